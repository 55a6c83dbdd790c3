"""Agents in PostgreSQL: registration from heartbeats, status transitions, lookups.

Every write locks the agent's row (SELECT ... FOR UPDATE) and compares the time the event was
produced with `status_changed`, so events handled late or twice leave the row as it was.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ai.backend.manager.data.agent import (
    EXITED_STATUSES,
    AgentHeartbeat,
    AgentPage,
    AgentRow,
    HeartbeatOutcome,
    HeartbeatResult,
    SlotTypeRecord,
    StatusChange,
)
from ai.backend.manager.models.agent import agent_resources, agents
from ai.backend.manager.models.kernel import kernels
from ai.backend.manager.models.resource_slot_type import resource_slot_types
from ai.backend.manager.models.scaling_group import scaling_groups
from ai.backend.manager.repositories.db import begin, begin_readonly
from ai.backend.manager.repositories.querying import (
    QueryFields,
    boolean,
    enum_field,
    text,
    timestamp,
)
from ai.backend.manager.types import AgentStatus, KernelStatus, SlotType

# Kernels whose container exists on the agent (created and not yet gone).
CONTAINER_KERNEL_STATUSES = frozenset(
    {
        KernelStatus.CREATING,
        KernelStatus.RUNNING,
        KernelStatus.RESTARTING,
        KernelStatus.RESIZING,
        KernelStatus.SUSPENDED,
        KernelStatus.TERMINATING,
    }
)

_ROW_COLUMNS = (
    agents.c.id,
    agents.c.uuid,
    agents.c.status,
    agents.c.status_changed,
    agents.c.region,
    agents.c.scaling_group,
    agents.c.resource_group_id,
    agents.c.schedulable,
    agents.c.addr,
    agents.c.public_host,
    agents.c.public_key,
    agents.c.first_contact,
    agents.c.lost_at,
    agents.c.version,
    agents.c.architecture,
    agents.c.compute_plugins,
    agents.c.auto_terminate_abusing_kernel,
)

# Fields a heartbeat overwrites on an existing row (never the scaling group).
_HEARTBEAT_FIELDS = (
    "region",
    "addr",
    "public_host",
    "public_key",
    "version",
    "architecture",
    "compute_plugins",
    "auto_terminate_abusing_kernel",
)


def _is_older(at: datetime, than: datetime | None) -> bool:
    return than is not None and at < than


# What `filter` and `order` may name in agent lists (the reference's names, and architecture).
AGENT_FIELDS = QueryFields(
    {
        "id": text(agents.c.id),
        "status": enum_field(agents.c.status, AgentStatus),
        "status_changed": timestamp(agents.c.status_changed),
        "region": text(agents.c.region),
        "scaling_group": text(agents.c.scaling_group),
        "schedulable": boolean(agents.c.schedulable),
        "addr": text(agents.c.addr),
        "architecture": text(agents.c.architecture),
        "first_contact": timestamp(agents.c.first_contact),
        "lost_at": timestamp(agents.c.lost_at),
        "version": text(agents.c.version),
    }
)


class AgentRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- heartbeats -------------------------------------------------------------------------

    async def apply_heartbeat(self, hb: AgentHeartbeat) -> HeartbeatResult:
        """Register or refresh the agent, its slot types and its capacity, in one transaction."""
        async with begin(self._engine) as conn:
            result = await self._register_or_refresh(conn, hb)
            if result.outcome in (HeartbeatOutcome.STALE, HeartbeatOutcome.NO_SCALING_GROUP):
                return result
            new_slot_types = await self._ensure_slot_types(conn, hb.slot_types)
            await self._store_capacity(conn, hb)
        return replace(result, new_slot_types=new_slot_types)

    async def _register_or_refresh(
        self, conn: AsyncConnection, hb: AgentHeartbeat
    ) -> HeartbeatResult:
        current = await self._lock_agent(conn, hb.agent_id)
        if current is None:
            registered = await self._register(conn, hb)
            if registered is not None:
                return registered
            # A concurrent transaction inserted the row first; now it is committed.
            current = await self._lock_agent(conn, hb.agent_id)
            if current is None:
                raise RuntimeError(f"agent {hb.agent_id} vanished while registering it")
        return await self._refresh(conn, hb, current)

    async def _lock_agent(self, conn: AsyncConnection, agent_id: str) -> sa.Row[Any] | None:
        # FOR NO KEY UPDATE: heartbeats of one agent still queue up, but a scheduler placing
        # kernels there (whose foreign key takes FOR KEY SHARE on this row while it holds the
        # agent's resource rows, which the heartbeat updates next) does not wait for it.
        query = (
            sa.select(*_ROW_COLUMNS).where(agents.c.id == agent_id).with_for_update(key_share=True)
        )
        return (await conn.execute(query)).first()

    async def _resolve_scaling_group(
        self, conn: AsyncConnection, requested: str | None
    ) -> sa.Row[Any] | None:
        columns = (scaling_groups.c.name, scaling_groups.c.id)
        if requested:
            row = (
                await conn.execute(sa.select(*columns).where(scaling_groups.c.name == requested))
            ).first()
            if row is not None:
                return row
        return (
            await conn.execute(sa.select(*columns).where(scaling_groups.c.is_default).limit(1))
        ).first()

    async def _register(self, conn: AsyncConnection, hb: AgentHeartbeat) -> HeartbeatResult | None:
        """Insert a new row; None if a concurrent transaction inserted it first."""
        group = await self._resolve_scaling_group(conn, hb.requested_scaling_group)
        if group is None:
            return HeartbeatResult(outcome=HeartbeatOutcome.NO_SCALING_GROUP)
        stmt = (
            pg.insert(agents)
            .values(
                id=hb.agent_id,
                status=AgentStatus.ALIVE,
                status_changed=hb.seen_at,
                scaling_group=group.name,
                resource_group_id=group.id,
                lost_at=None,
                **{name: getattr(hb, name) for name in _HEARTBEAT_FIELDS},
            )
            .on_conflict_do_nothing(index_elements=[agents.c.id])
            .returning(agents.c.id)
        )
        if (await conn.execute(stmt)).first() is None:
            return None
        return HeartbeatResult(outcome=HeartbeatOutcome.REGISTERED, scaling_group=group.name)

    async def _refresh(
        self, conn: AsyncConnection, hb: AgentHeartbeat, current: sa.Row[Any]
    ) -> HeartbeatResult:
        previous: AgentStatus = current.status
        if previous is not AgentStatus.ALIVE and _is_older(hb.seen_at, current.status_changed):
            return HeartbeatResult(outcome=HeartbeatOutcome.STALE, previous_status=previous)
        values: dict[str, Any] = {
            name: getattr(hb, name)
            for name in _HEARTBEAT_FIELDS
            if getattr(current, name) != getattr(hb, name)
        }
        if previous is not AgentStatus.ALIVE:
            values.update(status=AgentStatus.ALIVE, status_changed=hb.seen_at)
        if current.lost_at is not None:
            values["lost_at"] = None
        if values:
            await conn.execute(sa.update(agents).where(agents.c.id == hb.agent_id).values(**values))
        return HeartbeatResult(
            outcome=(
                HeartbeatOutcome.REVIVED
                if previous in EXITED_STATUSES
                else HeartbeatOutcome.UPDATED
            ),
            previous_status=previous,
            scaling_group=current.scaling_group,
            address_changed=(current.addr, current.public_key) != (hb.addr, hb.public_key),
        )

    async def _ensure_slot_types(
        self, conn: AsyncConnection, slot_types: Mapping[str, SlotType]
    ) -> tuple[str, ...]:
        """Add the slot types we have never seen; returns their names."""
        if not slot_types:
            return ()
        known = set(
            (
                await conn.execute(
                    sa.select(resource_slot_types.c.slot_name).where(
                        resource_slot_types.c.slot_name.in_(list(slot_types))
                    )
                )
            ).scalars()
        )
        missing = [name for name in slot_types if name not in known]
        if not missing:
            return ()
        stmt = (
            pg.insert(resource_slot_types)
            .values(
                [
                    {
                        "slot_name": name,
                        "slot_type": slot_types[name],
                        "number_format": {
                            "binary": slot_types[name] is SlotType.BYTES,
                            "round_length": 0,
                        },
                    }
                    for name in sorted(missing)
                ]
            )
            .on_conflict_do_nothing(index_elements=[resource_slot_types.c.slot_name])
            .returning(resource_slot_types.c.slot_name)
        )
        return tuple((await conn.execute(stmt)).scalars())

    async def _store_capacity(self, conn: AsyncConnection, hb: AgentHeartbeat) -> None:
        """Set `capacity` per reported slot, keeping `used`/`reserved` (the scheduler's)."""
        agent_uuid = (
            await conn.execute(sa.select(agents.c.uuid).where(agents.c.id == hb.agent_id))
        ).scalar_one()
        reported = list(hb.capacity)
        if reported:
            insert = pg.insert(agent_resources).values(
                [
                    {
                        "agent_id": hb.agent_id,
                        "slot_name": slot,
                        "agent_uuid": agent_uuid,
                        "capacity": amount,
                    }
                    for slot, amount in hb.capacity.items()
                ]
            )
            await conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[agent_resources.c.agent_id, agent_resources.c.slot_name],
                    set_={
                        "capacity": insert.excluded.capacity,
                        "agent_uuid": insert.excluded.agent_uuid,
                    },
                    where=(agent_resources.c.capacity != insert.excluded.capacity)
                    | (agent_resources.c.agent_uuid != insert.excluded.agent_uuid),
                )
            )
        # Slots the agent stopped reporting: gone if nothing holds them, else zero capacity.
        gone = sa.and_(
            agent_resources.c.agent_id == hb.agent_id,
            agent_resources.c.slot_name.not_in(reported),
        )
        idle = sa.and_(
            agent_resources.c.used == 0,
            agent_resources.c.reserved == 0,
            agent_resources.c.prereserved == 0,
        )
        await conn.execute(sa.delete(agent_resources).where(gone, idle))
        await conn.execute(
            sa.update(agent_resources)
            .where(gone, agent_resources.c.capacity != 0)
            .values(capacity=Decimal(0))
        )

    # --- status transitions -------------------------------------------------------------------

    async def mark_alive(self, agent_id: str, at: datetime) -> StatusChange:
        """The agent says it started: ALIVE unless a later transition was recorded."""
        async with begin(self._engine) as conn:
            current = await self._lock_agent(conn, agent_id)
            if current is None:
                return StatusChange.NOT_FOUND
            if current.status is AgentStatus.ALIVE:
                return StatusChange.UNCHANGED
            if _is_older(at, current.status_changed):
                return StatusChange.STALE
            await conn.execute(
                sa.update(agents)
                .where(agents.c.id == agent_id)
                .values(status=AgentStatus.ALIVE, status_changed=at, lost_at=None)
            )
        return StatusChange.APPLIED

    async def mark_exited(self, agent_id: str, status: AgentStatus, at: datetime) -> StatusChange:
        """LOST, TERMINATED or RESTARTING; an agent already LOST/TERMINATED stays as it is."""
        async with begin(self._engine) as conn:
            current = await self._lock_agent(conn, agent_id)
            if current is None:
                return StatusChange.NOT_FOUND
            if current.status in EXITED_STATUSES or current.status is status:
                return StatusChange.UNCHANGED
            if _is_older(at, current.status_changed):
                return StatusChange.STALE
            values: dict[str, Any] = {"status": status, "status_changed": at}
            if status in EXITED_STATUSES:
                values["lost_at"] = at
            await conn.execute(sa.update(agents).where(agents.c.id == agent_id).values(**values))
        return StatusChange.APPLIED

    # --- reads ----------------------------------------------------------------------------

    async def get(self, agent_id: str) -> AgentRow | None:
        rows = await self._fetch(agents.c.id == agent_id)
        return rows[0] if rows else None

    async def list_agents(
        self,
        *,
        statuses: Collection[AgentStatus] | None = None,
        scaling_group: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[AgentRow]:
        """Agents ordered by id, optionally filtered by status and scaling group."""
        conditions: list[sa.ColumnElement[bool]] = []
        if statuses is not None:
            conditions.append(agents.c.status.in_(list(statuses)))
        if scaling_group is not None:
            conditions.append(agents.c.scaling_group == scaling_group)
        return await self._fetch(*conditions, limit=limit, offset=offset)

    async def count_agents(
        self,
        *,
        statuses: Collection[AgentStatus] | None = None,
        scaling_group: str | None = None,
    ) -> int:
        query = sa.select(sa.func.count()).select_from(agents)
        if statuses is not None:
            query = query.where(agents.c.status.in_(list(statuses)))
        if scaling_group is not None:
            query = query.where(agents.c.scaling_group == scaling_group)
        async with begin_readonly(self._engine) as conn:
            return int((await conn.execute(query)).scalar_one())

    async def list_page(
        self,
        *,
        statuses: Collection[AgentStatus] | None = None,
        scaling_group: str | None = None,
        expression: str | None = None,
        order: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> AgentPage:
        """A page of agents with the total count and each one's live kernel count;
        `expression` and `order` are the `filter`/`order` texts (default order: id).

        Costs four statements whatever the page size: count, rows, slots, kernel counts.
        """
        conditions: list[sa.ColumnElement[bool]] = []
        if statuses is not None:
            conditions.append(agents.c.status.in_(list(statuses)))
        if scaling_group is not None:
            conditions.append(agents.c.scaling_group == scaling_group)
        conditions.extend(AGENT_FIELDS.where(expression))
        ordering = AGENT_FIELDS.order_by(order, default=[])
        count_query = sa.select(sa.func.count()).select_from(agents).where(*conditions)
        async with begin_readonly(self._engine) as conn:
            total = int((await conn.execute(count_query)).scalar_one())
            rows = await self._fetch_rows(
                conn, *conditions, order=ordering, limit=limit, offset=offset
            )
            counts = await self._container_counts(conn, [row.id for row in rows])
        return AgentPage(items=rows, total_count=total, container_counts=counts)

    async def slot_types(self) -> list[SlotTypeRecord]:
        """Every known resource slot type, by rank then name."""
        t = resource_slot_types
        query = sa.select(
            t.c.slot_name,
            t.c.slot_type,
            t.c.enabled,
            t.c.display_name,
            t.c.description,
            t.c.display_unit,
            t.c.display_icon,
            t.c.number_format,
            t.c.rank,
        ).order_by(t.c.rank, t.c.slot_name)
        async with begin_readonly(self._engine) as conn:
            rows = (await conn.execute(query)).all()
        return [
            SlotTypeRecord(
                slot_name=row.slot_name,
                slot_type=SlotType(row.slot_type),
                enabled=bool(row.enabled),
                display_name=row.display_name or "",
                description=row.description or "",
                display_unit=row.display_unit or "",
                display_icon=row.display_icon or "",
                number_format=dict(row.number_format or {}),
                rank=int(row.rank or 0),
            )
            for row in rows
        ]

    async def slots_in_scaling_group(self, scaling_group: str) -> set[str]:
        """The slot names that the scaling group's live agents report."""
        query = (
            sa.select(agent_resources.c.slot_name)
            .distinct()
            .select_from(agent_resources.join(agents, agents.c.id == agent_resources.c.agent_id))
            .where(agents.c.scaling_group == scaling_group, agents.c.status == AgentStatus.ALIVE)
        )
        async with begin_readonly(self._engine) as conn:
            return set((await conn.execute(query)).scalars())

    async def container_counts(self, agent_ids: Sequence[str]) -> dict[str, int]:
        async with begin_readonly(self._engine) as conn:
            return await self._container_counts(conn, agent_ids)

    async def _container_counts(
        self, conn: AsyncConnection, agent_ids: Sequence[str]
    ) -> dict[str, int]:
        """How many kernels with a live container each agent holds (agents without: 0)."""
        if not agent_ids:
            return {}
        query = (
            sa.select(kernels.c.agent, sa.func.count())
            .where(
                kernels.c.agent.in_(list(agent_ids)),
                kernels.c.status.in_(list(CONTAINER_KERNEL_STATUSES)),
            )
            .group_by(kernels.c.agent)
        )
        counts = {agent_id: 0 for agent_id in agent_ids}
        for agent_id, count in (await conn.execute(query)).all():
            counts[agent_id] = int(count)
        return counts

    async def _fetch(
        self, *conditions: sa.ColumnElement[bool], limit: int | None = None, offset: int = 0
    ) -> list[AgentRow]:
        async with begin_readonly(self._engine) as conn:
            return await self._fetch_rows(conn, *conditions, limit=limit, offset=offset)

    async def _fetch_rows(
        self,
        conn: AsyncConnection,
        *conditions: sa.ColumnElement[bool],
        order: Sequence[sa.ColumnElement[Any]] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[AgentRow]:
        query = sa.select(*_ROW_COLUMNS).where(*conditions).order_by(*order, agents.c.id)
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        rows: Sequence[sa.Row[Any]] = (await conn.execute(query)).all()
        if not rows:
            return []
        slots = (
            await conn.execute(
                sa.select(
                    agent_resources.c.agent_id,
                    agent_resources.c.slot_name,
                    agent_resources.c.capacity,
                    agent_resources.c.used,
                    agent_resources.c.reserved,
                ).where(agent_resources.c.agent_id.in_([row.id for row in rows]))
            )
        ).all()
        per_agent: dict[str, tuple[dict[str, Decimal], ...]] = {
            row.id: ({}, {}, {}) for row in rows
        }
        for slot in slots:
            capacity, used, reserved = per_agent[slot.agent_id]
            capacity[slot.slot_name] = slot.capacity
            used[slot.slot_name] = slot.used
            reserved[slot.slot_name] = slot.reserved
        return [_to_agent_row(row, *per_agent[row.id]) for row in rows]


def _to_agent_row(
    row: sa.Row[Any],
    capacity: dict[str, Decimal],
    used: dict[str, Decimal],
    reserved: dict[str, Decimal],
) -> AgentRow:
    return AgentRow(
        id=row.id,
        uuid=row.uuid,
        status=row.status,
        status_changed=row.status_changed,
        region=row.region,
        scaling_group=row.scaling_group,
        resource_group_id=row.resource_group_id,
        schedulable=row.schedulable,
        addr=row.addr,
        public_host=row.public_host,
        public_key=row.public_key,
        first_contact=row.first_contact,
        lost_at=row.lost_at,
        version=row.version,
        architecture=row.architecture,
        compute_plugins=dict(row.compute_plugins or {}),
        auto_terminate_abusing_kernel=row.auto_terminate_abusing_kernel,
        capacity=capacity,
        used=used,
        reserved=reserved,
    )
