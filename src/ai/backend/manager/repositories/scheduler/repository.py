"""The scheduler's reads and its one write: snapshot a resource group, apply a plan.

A pass runs inside one transaction holding a PostgreSQL advisory lock for its resource
group, so two managers never schedule the same group at once. Independently of the lock,
each slot charge is a conditional `UPDATE agent_resources SET used = used + x WHERE used + x
<= capacity`: an agent can never be over-committed, even by a plan made from a stale view.
Each session is applied under its own savepoint, so one that no longer fits is left PENDING
without undoing the others.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ai.backend.manager.data.session import StatusChange
from ai.backend.manager.models.agent import agent_installed_images, agent_resources, agents
from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.group import groups
from ai.backend.manager.models.image import images
from ai.backend.manager.models.kernel import kernels, resource_allocations
from ai.backend.manager.models.keypair import keypairs
from ai.backend.manager.models.resource_policy import keypair_resource_policies
from ai.backend.manager.models.scaling_group import scaling_groups
from ai.backend.manager.models.session import session_dependencies, sessions
from ai.backend.manager.repositories.db import begin, begin_readonly
from ai.backend.manager.repositories.session.repository import release_kernel_slots
from ai.backend.manager.sokovan.scheduler.types import (
    AgentSnapshot,
    DependencyState,
    KernelRequest,
    KeypairLimits,
    KeypairUsage,
    PendingSession,
    QueuePolicy,
    SchedulingPlan,
    SchedulingSnapshot,
    SessionPlacement,
)
from ai.backend.manager.types import (
    KERNEL_RESOURCE_OCCUPIED_STATUSES,
    KERNEL_RESOURCE_REQUESTED_STATUSES,
    SESSION_RESOURCE_OCCUPIED_STATUSES,
    AgentSelectionStrategy,
    AgentStatus,
    DefaultForUnspecified,
    KernelStatus,
    SessionStatus,
    SessionTypes,
)

Planner = Callable[[SchedulingSnapshot], SchedulingPlan]

# Private sessions (the SFTP/system ones) count against `max_concurrent_sftp_sessions` instead.
PRIVATE_SESSION_TYPES: frozenset[SessionTypes] = frozenset({SessionTypes.SYSTEM})

_KERNEL_COUNTED = KERNEL_RESOURCE_OCCUPIED_STATUSES | KERNEL_RESOURCE_REQUESTED_STATUSES


@dataclass
class PassResult:
    """What one scheduling pass did."""

    locked: bool = True
    pending: int = 0
    scheduled: list[uuid.UUID] = field(default_factory=list)
    deferred: int = 0
    lost_race: int = 0
    changes: list[StatusChange] = field(default_factory=list)
    roundrobin_cursor: int = 0


def _lock_key(resource_group: str) -> int:
    digest = hashlib.blake2b(f"sokovan:{resource_group}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _history(column: Any, status: str, now: datetime) -> Any:
    return sa.func.coalesce(column, sa.text("'{}'::jsonb")).op("||")(
        sa.func.jsonb_build_object(status, now.isoformat())
    )


# What the planner reads of a pending session (not its environ, mounts or history: decoding
# those JSON columns for every queued session was a good part of a pass).
_PENDING_SESSION_COLUMNS = (
    sessions.c.id,
    sessions.c.name,
    sessions.c.access_key,
    sessions.c.user_uuid,
    sessions.c.group_id,
    sessions.c.domain_name,
    sessions.c.session_type,
    sessions.c.cluster_mode,
    sessions.c.cluster_size,
    sessions.c.priority,
    sessions.c.created_at,
    sessions.c.requested_starts_at,
    sessions.c.designated_agent_ids,
)


class SchedulerRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def resource_groups_with_pending(self) -> list[str]:
        query = (
            sa.select(sessions.c.scaling_group_name)
            .where(sessions.c.status == SessionStatus.PENDING)
            .distinct()
        )
        async with begin_readonly(self._engine) as conn:
            return sorted((await conn.scalars(query)).all())

    async def run_pass(
        self, resource_group: str, planner: Planner, *, now: datetime, roundrobin_cursor: int = 0
    ) -> PassResult:
        async with begin(self._engine) as conn:
            locked = await conn.scalar(
                sa.select(sa.func.pg_try_advisory_xact_lock(_lock_key(resource_group)))
            )
            if not locked:
                return PassResult(locked=False, roundrobin_cursor=roundrobin_cursor)
            snapshot = await self._snapshot(conn, resource_group, now, roundrobin_cursor)
            result = PassResult(pending=len(snapshot.pending), roundrobin_cursor=roundrobin_cursor)
            if not snapshot.pending:
                return result
            plan = planner(snapshot)
            result.roundrobin_cursor = plan.next_roundrobin_cursor
            applied = await self._apply_all_placements(conn, plan.placements, now)
            if applied is not None:
                result.scheduled += [c.session_id for c in applied]
                result.changes += applied
            else:
                # something moved under the plan: apply session by session, skipping losers
                for placement in plan.placements:
                    change = await self._apply_placement(conn, placement, now)
                    if change is None:
                        result.lost_race += 1
                    else:
                        result.scheduled.append(placement.session_id)
                        result.changes.append(change)
            await self._record_deferrals(conn, plan)
            result.deferred = len(plan.deferrals)
            result.changes += await self._cancel(conn, plan, now)
            return result

    # --- snapshot -----------------------------------------------------------------------------

    async def _snapshot(
        self, conn: AsyncConnection, resource_group: str, now: datetime, cursor: int
    ) -> SchedulingSnapshot:
        group = (
            await conn.execute(
                sa.select(scaling_groups.c.scheduler, scaling_groups.c.scheduler_opts).where(
                    scaling_groups.c.name == resource_group
                )
            )
        ).first()
        opts: dict[str, Any] = dict(group.scheduler_opts or {}) if group else {}
        policy = (group.scheduler if group else "fifo").lower()
        strategy = str(opts.get("agent_selection_strategy") or "dispersed").lower()
        pending = await self._pending_sessions(conn, resource_group)
        access_keys = {s.access_key for s in pending}
        dependency_ids = {dep for s in pending for dep in s.dependencies}
        group_limits = await self._scope_limits(
            conn, groups.c.id, groups.c.total_resource_slots, {s.group_id for s in pending}
        )
        domain_limits = await self._scope_limits(
            conn, domains.c.name, domains.c.total_resource_slots, {s.domain_name for s in pending}
        )
        return SchedulingSnapshot(
            resource_group=resource_group,
            scheduler=QueuePolicy(policy if policy in QueuePolicy._value2member_map_ else "fifo"),
            agent_selection_strategy=AgentSelectionStrategy(
                strategy
                if strategy in AgentSelectionStrategy._value2member_map_
                else AgentSelectionStrategy.DISPERSED
            ),
            now=now,
            agents=await self._agents(conn, resource_group),
            pending=pending,
            allowed_session_types=frozenset(opts.get("allowed_session_types") or ()),
            keypair_limits=await self._keypair_limits(conn, access_keys),
            keypair_usage=await self._keypair_usage(conn, access_keys),
            group_limits=group_limits,
            domain_limits=domain_limits,
            group_usage=await self._scope_usage(conn, kernels.c.group_id, set(group_limits)),
            domain_usage=await self._scope_usage(conn, kernels.c.domain_name, set(domain_limits)),
            dependency_states=await self._dependency_states(conn, dependency_ids),
            roundrobin_cursor=cursor,
        )

    async def _pending_sessions(
        self, conn: AsyncConnection, resource_group: str
    ) -> tuple[PendingSession, ...]:
        rows = (
            await conn.execute(
                sa.select(*_PENDING_SESSION_COLUMNS)
                .where(
                    sessions.c.scaling_group_name == resource_group,
                    sessions.c.status == SessionStatus.PENDING,
                )
                .order_by(sessions.c.created_at)
                .limit(5000)
            )
        ).all()
        if not rows:
            return ()
        ids = [row.id for row in rows]
        kernel_rows = (
            await conn.execute(
                sa.select(
                    kernels.c.id,
                    kernels.c.session_id,
                    kernels.c.cluster_role,
                    kernels.c.cluster_idx,
                    kernels.c.image,
                    kernels.c.architecture,
                )
                .where(kernels.c.session_id.in_(ids))
                .order_by(kernels.c.cluster_role, kernels.c.cluster_idx)
            )
        ).all()
        requested: dict[uuid.UUID, dict[str, Decimal]] = defaultdict(dict)
        for alloc in await conn.execute(
            sa.select(
                resource_allocations.c.kernel_id,
                resource_allocations.c.slot_name,
                resource_allocations.c.requested,
            )
            .select_from(resource_allocations.join(kernels))
            .where(kernels.c.session_id.in_(ids))
        ):
            requested[alloc.kernel_id][alloc.slot_name] = alloc.requested
        deps: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for dep in await conn.execute(
            sa.select(session_dependencies).where(session_dependencies.c.session_id.in_(ids))
        ):
            deps[dep.session_id].append(dep.depends_on)
        by_session: dict[uuid.UUID, list[KernelRequest]] = defaultdict(list)
        for k in kernel_rows:
            by_session[k.session_id].append(
                KernelRequest(
                    kernel_id=k.id,
                    cluster_role=k.cluster_role,
                    cluster_idx=k.cluster_idx,
                    requested_slots=requested.get(k.id, {}),
                    image=k.image,
                    architecture=k.architecture,
                )
            )
        return tuple(
            PendingSession(
                session_id=row.id,
                name=row.name,
                access_key=row.access_key,
                user_uuid=row.user_uuid,
                group_id=row.group_id,
                domain_name=row.domain_name,
                session_type=row.session_type.value,
                cluster_mode=row.cluster_mode,
                cluster_size=row.cluster_size,
                priority=row.priority,
                created_at=row.created_at,
                kernels=tuple(by_session.get(row.id, [])),
                requested_starts_at=row.requested_starts_at,
                dependencies=tuple(deps.get(row.id, [])),
                designated_agent_ids=tuple(row.designated_agent_ids)
                if row.designated_agent_ids
                else None,
                is_private=row.session_type in PRIVATE_SESSION_TYPES,
            )
            for row in rows
        )

    async def _agents(
        self, conn: AsyncConnection, resource_group: str
    ) -> tuple[AgentSnapshot, ...]:
        rows = (
            await conn.execute(
                sa.select(agents.c.id, agents.c.addr, agents.c.architecture, agents.c.schedulable)
                .where(
                    agents.c.scaling_group == resource_group, agents.c.status == AgentStatus.ALIVE
                )
                .order_by(agents.c.id)
            )
        ).all()
        if not rows:
            return ()
        ids = [row.id for row in rows]
        capacity: dict[str, dict[str, Decimal]] = defaultdict(dict)
        used: dict[str, dict[str, Decimal]] = defaultdict(dict)
        for res in await conn.execute(
            sa.select(agent_resources).where(agent_resources.c.agent_id.in_(ids))
        ):
            capacity[res.agent_id][res.slot_name] = res.capacity
            used[res.agent_id][res.slot_name] = res.used
        containers: dict[str, int] = {}
        for agent_id, count in await conn.execute(
            sa.select(kernels.c.agent, sa.func.count())
            .where(kernels.c.agent.in_(ids), kernels.c.status.in_(_KERNEL_COUNTED))
            .group_by(kernels.c.agent)
        ):
            containers[agent_id] = int(count)
        installed: dict[str, set[str]] = defaultdict(set)
        for agent_id, name in await conn.execute(
            sa.select(agent_installed_images.c.agent_id, images.c.name)
            .select_from(
                agent_installed_images.join(
                    images, images.c.id == agent_installed_images.c.image_id
                )
            )
            .where(agent_installed_images.c.agent_id.in_(ids))
        ):
            installed[agent_id].add(name)
        return tuple(
            AgentSnapshot(
                id=row.id,
                addr=row.addr,
                architecture=row.architecture,
                capacity=capacity.get(row.id, {}),
                occupied=used.get(row.id, {}),
                container_count=int(containers.get(row.id, 0)),
                schedulable=bool(row.schedulable),
                installed_images=frozenset(installed.get(row.id, ())),
            )
            for row in rows
        )

    async def _keypair_limits(
        self, conn: AsyncConnection, access_keys: set[str]
    ) -> dict[str, KeypairLimits]:
        if not access_keys:
            return {}
        rows = await conn.execute(
            sa.select(keypairs.c.access_key, keypair_resource_policies)
            .select_from(
                keypairs.join(
                    keypair_resource_policies,
                    keypair_resource_policies.c.name == keypairs.c.resource_policy,
                )
            )
            .where(keypairs.c.access_key.in_(access_keys))
        )
        return {
            row.access_key: KeypairLimits(
                max_concurrent_sessions=row.max_concurrent_sessions,
                total_resource_slots=dict(row.total_resource_slots or {}),
                default_for_unspecified=row.default_for_unspecified
                or DefaultForUnspecified.LIMITED,
                max_containers_per_session=row.max_containers_per_session,
                max_pending_session_count=row.max_pending_session_count,
                max_concurrent_sftp_sessions=row.max_concurrent_sftp_sessions,
            )
            for row in rows
        }

    async def _keypair_usage(
        self, conn: AsyncConnection, access_keys: set[str]
    ) -> dict[str, KeypairUsage]:
        if not access_keys:
            return {}
        counts: dict[str, int] = {}
        private_counts: dict[str, int] = {}
        is_private = sessions.c.session_type.in_(PRIVATE_SESSION_TYPES)
        for access_key, private, count in await conn.execute(
            sa.select(sessions.c.access_key, is_private.label("private"), sa.func.count())
            .where(
                sessions.c.access_key.in_(access_keys),
                sessions.c.status.in_(SESSION_RESOURCE_OCCUPIED_STATUSES),
            )
            .group_by(sessions.c.access_key, is_private)
        ):
            (private_counts if private else counts)[access_key] = int(count)
        occupied: dict[str, dict[str, Decimal]] = defaultdict(dict)
        for row in await conn.execute(
            sa.select(
                kernels.c.access_key,
                resource_allocations.c.slot_name,
                sa.func.sum(resource_allocations.c.used).label("amount"),
            )
            .select_from(resource_allocations.join(kernels))
            .where(
                kernels.c.access_key.in_(access_keys),
                resource_allocations.c.free_at.is_(None),
                resource_allocations.c.used.is_not(None),
            )
            .group_by(kernels.c.access_key, resource_allocations.c.slot_name)
        ):
            occupied[row.access_key][row.slot_name] = Decimal(row.amount or 0)
        return {
            ak: KeypairUsage(
                session_count=counts.get(ak, 0),
                occupied=occupied.get(ak, {}),
                private_session_count=private_counts.get(ak, 0),
            )
            for ak in access_keys
        }

    async def _scope_limits[K](
        self, conn: AsyncConnection, key: Any, slots: Any, wanted: set[K]
    ) -> dict[K, dict[str, Decimal]]:
        """The non-empty `total_resource_slots` of the wanted projects or domains."""
        if not wanted:
            return {}
        return {
            row[0]: dict(row[1])
            for row in await conn.execute(sa.select(key, slots).where(key.in_(wanted)))
            if row[1]
        }

    async def _scope_usage[K](
        self, conn: AsyncConnection, key: Any, wanted: set[K]
    ) -> dict[K, dict[str, Decimal]]:
        """Slots held now by the kernels of the wanted projects or domains (only limited ones)."""
        if not wanted:
            return {}
        usage: dict[K, dict[str, Decimal]] = defaultdict(dict)
        for row in await conn.execute(
            sa.select(
                key.label("scope"),
                resource_allocations.c.slot_name,
                sa.func.sum(resource_allocations.c.used).label("amount"),
            )
            .select_from(resource_allocations.join(kernels))
            .where(
                key.in_(wanted),
                resource_allocations.c.free_at.is_(None),
                resource_allocations.c.used.is_not(None),
            )
            .group_by(key, resource_allocations.c.slot_name)
        ):
            usage[row.scope][row.slot_name] = Decimal(row.amount or 0)
        return dict(usage)

    async def _dependency_states(
        self, conn: AsyncConnection, ids: set[uuid.UUID]
    ) -> dict[uuid.UUID, DependencyState]:
        if not ids:
            return {}
        rows = await conn.execute(
            sa.select(sessions.c.id, sessions.c.status, sessions.c.result).where(
                sessions.c.id.in_(ids)
            )
        )
        return {row.id: DependencyState(status=row.status, result=row.result) for row in rows}

    # --- applying the plan --------------------------------------------------------------------

    async def _apply_all_placements(
        self, conn: AsyncConnection, placements: Sequence[SessionPlacement], now: datetime
    ) -> list[StatusChange] | None:
        """The whole plan in a few statements, or None (nothing written) if any part of it no
        longer holds: an agent without the room, a session or kernel no longer PENDING."""
        if not placements:
            return []
        charges: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        placed_kernels: list[tuple[uuid.UUID, str, str | None]] = []
        for placement in placements:
            for kernel in placement.kernels:
                placed_kernels.append((kernel.kernel_id, kernel.agent_id, kernel.agent_addr))
                for slot, amount in kernel.slots.items():
                    if amount > 0:
                        charges[kernel.agent_id, slot] += amount
        savepoint = await conn.begin_nested()
        try:
            await _lock_sessions(conn, [p.session_id for p in placements])
            if charges:
                charge = sa.values(
                    sa.column("agent_id", agent_resources.c.agent_id.type),
                    sa.column("slot_name", agent_resources.c.slot_name.type),
                    sa.column("amount", agent_resources.c.used.type),
                    name="charge",
                ).data([(agent, slot, amount) for (agent, slot), amount in charges.items()])
                charged = await conn.execute(
                    sa.update(agent_resources)
                    .where(
                        agent_resources.c.agent_id == charge.c.agent_id,
                        agent_resources.c.slot_name == charge.c.slot_name,
                        agent_resources.c.used + charge.c.amount <= agent_resources.c.capacity,
                    )
                    .values(used=agent_resources.c.used + charge.c.amount)
                    .returning(agent_resources.c.agent_id)
                )
                if len(charged.all()) != len(charges):
                    await savepoint.rollback()
                    return None
            kernel_ids = [kernel_id for kernel_id, _, _ in placed_kernels]
            await conn.execute(
                sa.update(resource_allocations)
                .where(
                    resource_allocations.c.kernel_id.in_(kernel_ids),
                    resource_allocations.c.free_at.is_(None),
                )
                .values(
                    used=resource_allocations.c.requested,
                    reserved=resource_allocations.c.requested,
                    reserved_at=now,
                    used_at=now,
                )
            )
            target = sa.values(
                sa.column("kernel_id", kernels.c.id.type),
                sa.column("agent", kernels.c.agent.type),
                sa.column("agent_addr", kernels.c.agent_addr.type),
                name="target",
            ).data(placed_kernels)
            moved_kernels = await conn.execute(
                sa.update(kernels)
                .where(kernels.c.id == target.c.kernel_id, kernels.c.status == KernelStatus.PENDING)
                .values(
                    agent=target.c.agent,
                    agent_addr=target.c.agent_addr,
                    status=KernelStatus.SCHEDULED,
                    status_changed=now,
                    status_info="scheduled",
                    status_history=_history(kernels.c.status_history, "SCHEDULED", now),
                )
                .returning(kernels.c.id)
            )
            if len(moved_kernels.all()) != len(placed_kernels):
                await savepoint.rollback()
                return None
            hosts = sa.values(
                sa.column("session_id", sessions.c.id.type),
                sa.column("agent_ids", sessions.c.agent_ids.type),
                name="hosts",
            ).data([(p.session_id, sorted({k.agent_id for k in p.kernels})) for p in placements])
            moved_sessions = await conn.execute(
                sa.update(sessions)
                .where(
                    sessions.c.id == hosts.c.session_id,
                    sessions.c.status == SessionStatus.PENDING,
                )
                .values(
                    status=SessionStatus.SCHEDULED,
                    status_info="scheduled",
                    status_data=None,
                    agent_ids=hosts.c.agent_ids,
                    status_history=_history(sessions.c.status_history, "SCHEDULED", now),
                )
                .returning(sessions.c.id)
            )
            if len(moved_sessions.all()) != len(placements):
                await savepoint.rollback()
                return None
        except BaseException:
            await savepoint.rollback()
            raise
        await savepoint.commit()
        return [
            StatusChange(p.session_id, SessionStatus.PENDING, SessionStatus.SCHEDULED)
            for p in placements
        ]

    async def _apply_placement(
        self, conn: AsyncConnection, placement: SessionPlacement, now: datetime
    ) -> StatusChange | None:
        savepoint = await conn.begin_nested()
        try:
            await _lock_sessions(conn, [placement.session_id])
            for kernel in placement.kernels:
                for slot, amount in kernel.slots.items():
                    if amount <= 0:
                        continue
                    charged = await conn.execute(
                        sa.update(agent_resources)
                        .where(
                            agent_resources.c.agent_id == kernel.agent_id,
                            agent_resources.c.slot_name == slot,
                            agent_resources.c.used + amount <= agent_resources.c.capacity,
                        )
                        .values(used=agent_resources.c.used + amount)
                    )
                    if charged.rowcount != 1:
                        await savepoint.rollback()
                        return None
                await conn.execute(
                    sa.update(resource_allocations)
                    .where(
                        resource_allocations.c.kernel_id == kernel.kernel_id,
                        resource_allocations.c.free_at.is_(None),
                    )
                    .values(
                        used=resource_allocations.c.requested,
                        reserved=resource_allocations.c.requested,
                        reserved_at=now,
                        used_at=now,
                    )
                )
                moved = await conn.execute(
                    sa.update(kernels)
                    .where(
                        kernels.c.id == kernel.kernel_id, kernels.c.status == KernelStatus.PENDING
                    )
                    .values(
                        agent=kernel.agent_id,
                        agent_addr=kernel.agent_addr,
                        status=KernelStatus.SCHEDULED,
                        status_changed=now,
                        status_info="scheduled",
                        status_history=_history(kernels.c.status_history, "SCHEDULED", now),
                    )
                )
                if moved.rowcount != 1:
                    await savepoint.rollback()
                    return None
            moved = await conn.execute(
                sa.update(sessions)
                .where(
                    sessions.c.id == placement.session_id,
                    sessions.c.status == SessionStatus.PENDING,
                )
                .values(
                    status=SessionStatus.SCHEDULED,
                    status_info="scheduled",
                    status_data=None,
                    agent_ids=sorted({k.agent_id for k in placement.kernels}),
                    status_history=_history(sessions.c.status_history, "SCHEDULED", now),
                )
            )
            if moved.rowcount != 1:
                await savepoint.rollback()
                return None
        except BaseException:
            await savepoint.rollback()
            raise
        await savepoint.commit()
        return StatusChange(placement.session_id, SessionStatus.PENDING, SessionStatus.SCHEDULED)

    async def _record_deferrals(self, conn: AsyncConnection, plan: SchedulingPlan) -> None:
        if not plan.deferrals:
            return
        stmt = (
            sa.update(sessions)
            .where(
                sessions.c.id == sa.bindparam("sid"),
                sessions.c.status == SessionStatus.PENDING,
                sa.or_(
                    sessions.c.status_info.is_(None),
                    sessions.c.status_info != sa.bindparam("msg"),
                ),
            )
            .values(
                status_info=sa.bindparam("msg"),
                status_data=sa.bindparam("data", type_=sessions.c.status_data.type),
            )
        )
        await conn.execute(
            stmt,
            [
                {
                    "sid": d.session_id,
                    "msg": d.message,
                    "data": {"scheduler": {"reason": str(d.reason_code), "msg": d.message}},
                }
                for d in plan.deferrals
            ],
        )

    async def _cancel(
        self, conn: AsyncConnection, plan: SchedulingPlan, now: datetime
    ) -> list[StatusChange]:
        changes: list[StatusChange] = []
        for cancellation in plan.cancellations:
            moved = await conn.execute(
                sa.update(sessions)
                .where(
                    sessions.c.id == cancellation.session_id,
                    sessions.c.status == SessionStatus.PENDING,
                )
                .values(
                    status=SessionStatus.CANCELLED,
                    status_info=cancellation.message,
                    status_data={
                        "scheduler": {
                            "reason": str(cancellation.reason_code),
                            "msg": cancellation.message,
                        }
                    },
                    terminated_at=now,
                    status_history=_history(sessions.c.status_history, "CANCELLED", now),
                )
            )
            if moved.rowcount != 1:
                continue
            kernel_ids: Sequence[uuid.UUID] = (
                await conn.scalars(
                    sa.update(kernels)
                    .where(kernels.c.session_id == cancellation.session_id)
                    .values(
                        status=KernelStatus.CANCELLED,
                        status_changed=now,
                        terminated_at=now,
                        status_info=cancellation.message,
                        status_history=_history(kernels.c.status_history, "CANCELLED", now),
                    )
                    .returning(kernels.c.id)
                )
            ).all()
            await release_kernel_slots(conn, kernel_ids)
            changes.append(
                StatusChange(
                    cancellation.session_id,
                    SessionStatus.PENDING,
                    SessionStatus.CANCELLED,
                    cancellation.message,
                )
            )
        return changes


async def _lock_sessions(conn: AsyncConnection, session_ids: Sequence[uuid.UUID]) -> None:
    """Lock the sessions before their kernels, in id order: the order every status change in
    the session repository takes too, so a placement and a concurrent destroy queue up."""
    await conn.execute(
        sa.select(sessions.c.id)
        .where(sessions.c.id.in_(session_ids))
        .order_by(sessions.c.id)
        .with_for_update()
    )
