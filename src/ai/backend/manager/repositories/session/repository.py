"""Sessions and kernels in PostgreSQL: enqueueing, reading, and every status change.

Status writes are `UPDATE ... WHERE status IN (<allowed sources>)` using the tables in
sokovan/lifecycle/transitions.py, and a kernel's slots are given back to its agent in the same
transaction that ends the kernel, guarded by `free_at IS NULL` so it happens exactly once
whichever path (destroy, agent lost, failure, forced, sweep) gets there first.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ai.backend.manager.data.session import (
    KernelRecord,
    SessionRecord,
    SessionSpec,
    StatusChange,
)
from ai.backend.manager.errors.session import SessionAlreadyExists
from ai.backend.manager.models.agent import agent_resources
from ai.backend.manager.models.group import groups
from ai.backend.manager.models.kernel import kernels, resource_allocations
from ai.backend.manager.models.session import session_dependencies, sessions
from ai.backend.manager.models.user import users
from ai.backend.manager.repositories.db import begin, begin_readonly
from ai.backend.manager.repositories.session.fields import SESSION_FIELDS
from ai.backend.manager.sokovan.lifecycle.transitions import (
    derive_session_status,
    kernel_sources,
    session_sources,
)
from ai.backend.manager.types import (
    KERNEL_TERMINAL_STATUSES,
    SESSION_TERMINAL_STATUSES,
    KernelStatus,
    SessionResult,
    SessionStatus,
)


def _now() -> datetime:
    return datetime.now(UTC)


def _history_append(column: sa.ColumnElement[Any], status: str, when: datetime) -> Any:
    return sa.func.coalesce(column, sa.text("'{}'::jsonb")).op("||")(
        sa.func.jsonb_build_object(status, when.isoformat())
    )


# What `_load` reads, built once (so their SQL is compiled and cached once): the sessions with
# their project's name, their owner's email and what they depend on, and their kernels with the
# slots each requested (amounts as text, to keep them exact).
_IDS: sa.BindParameter[Any] = sa.bindparam("ids", expanding=True)
_SESSIONS_BY_ID = (
    sa.select(
        sessions,
        groups.c.name.label("group_name"),
        users.c.email,
        sa.select(sa.func.array_agg(session_dependencies.c.depends_on))
        .where(session_dependencies.c.session_id == sessions.c.id)
        .scalar_subquery()
        .label("depends_on"),
    )
    .select_from(
        sessions.outerjoin(groups, groups.c.id == sessions.c.group_id).outerjoin(
            users, users.c.uuid == sessions.c.user_uuid
        )
    )
    .where(sessions.c.id.in_(_IDS))
)
_KERNELS_OF_SESSIONS = (
    sa.select(
        kernels,
        sa.select(
            sa.func.jsonb_object_agg(
                resource_allocations.c.slot_name,
                sa.cast(resource_allocations.c.requested, sa.Text),
                type_=pg.JSONB,
            )
        )
        .where(resource_allocations.c.kernel_id == kernels.c.id)
        .scalar_subquery()
        .label("requested_slots"),
    )
    .where(kernels.c.session_id.in_(_IDS))
    .order_by(kernels.c.cluster_role, kernels.c.cluster_idx)
)


class SessionRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- enqueue ------------------------------------------------------------------------------

    async def enqueue(self, spec: SessionSpec) -> None:
        now = _now()
        history = {SessionStatus.PENDING.name: now.isoformat()}
        mounts = [mount.to_wire() for mount in spec.vfolder_mounts]
        session_row = {
            "id": spec.session_id,
            "creation_id": spec.creation_id,
            "name": spec.name,
            "session_type": spec.session_type,
            "priority": spec.priority,
            "cluster_mode": spec.cluster_mode,
            "cluster_size": spec.cluster_size,
            "resource_group_id": spec.resource_group_id,
            "scaling_group_name": spec.scaling_group_name,
            "target_sgroup_names": [spec.scaling_group_name],
            "domain_name": spec.domain_name,
            "domain_id": spec.domain_id,
            "group_id": spec.group_id,
            "user_uuid": spec.user_uuid,
            "access_key": spec.access_key,
            "images": sorted({k.image for k in spec.kernels}),
            "image_ids": sorted({k.image_id for k in spec.kernels}),
            "tag": spec.tag,
            "environ": spec.environ,
            "bootstrap_script": spec.bootstrap_script,
            "startup_command": spec.startup_command,
            "callback_url": spec.callback_url,
            "requested_starts_at": spec.requested_starts_at,
            "batch_timeout": spec.batch_timeout,
            "designated_agent_ids": spec.designated_agent_ids,
            "status": SessionStatus.PENDING,
            "status_history": history,
            "vfolder_mounts": mounts,
            "options": {},
            "created_at": now,
        }
        kernel_rows = [
            {
                "id": k.kernel_id,
                "session_id": spec.session_id,
                "session_creation_id": spec.creation_id,
                "session_name": spec.name,
                "session_type": spec.session_type,
                "cluster_mode": spec.cluster_mode,
                "cluster_size": spec.cluster_size,
                "cluster_role": k.cluster_role,
                "cluster_idx": k.cluster_idx,
                "local_rank": k.local_rank,
                "cluster_hostname": k.cluster_hostname,
                "scaling_group": spec.scaling_group_name,
                "resource_group_id": spec.resource_group_id,
                "domain_name": spec.domain_name,
                "group_id": spec.group_id,
                "user_uuid": spec.user_uuid,
                "access_key": spec.access_key,
                "image": k.image,
                "image_id": k.image_id,
                "architecture": k.architecture,
                "registry": k.registry,
                "tag": spec.tag,
                "resource_opts": k.resource_opts,
                "bootstrap_script": spec.bootstrap_script,
                "startup_command": spec.startup_command,
                "preopen_ports": k.preopen_ports,
                "environ": [f"{key}={value}" for key, value in spec.environ.items()],
                "mounts": [mount.name for mount in spec.vfolder_mounts],
                "mount_map": {mount.name: mount.kernel_path for mount in spec.vfolder_mounts},
                "vfolder_mounts": mounts,
                "status": KernelStatus.PENDING,
                "status_changed": now,
                "status_history": history,
                "created_at": now,
            }
            for k in spec.kernels
        ]
        allocation_rows = [
            {"kernel_id": k.kernel_id, "slot_name": slot, "requested": amount}
            for k in spec.kernels
            for slot, amount in k.requested_slots.items()
        ]
        try:
            async with begin(self._engine) as conn:
                await conn.execute(sa.insert(sessions), [session_row])
                await conn.execute(sa.insert(kernels), kernel_rows)
                if allocation_rows:
                    await conn.execute(sa.insert(resource_allocations), allocation_rows)
                if spec.dependencies:
                    await conn.execute(
                        sa.insert(session_dependencies),
                        [
                            {"session_id": spec.session_id, "depends_on": dep}
                            for dep in spec.dependencies
                        ],
                    )
        except IntegrityError as e:
            if "uq_sessions_name_user_uuid_nonterminal" in str(e.orig):
                raise SessionAlreadyExists(
                    f"You already have a session named {spec.name!r}",
                    data={"existingSessionId": None},
                ) from None
            raise

    # --- reading ------------------------------------------------------------------------------

    async def match(
        self,
        reference: str,
        *,
        access_key: str | None = None,
        domain_name: str | None = None,
        include_terminated: bool = True,
        limit: int = 10,
    ) -> list[SessionRecord]:
        """Sessions whose id, id prefix or name matches `reference`, live ones first."""
        conditions: list[sa.ColumnElement[bool]] = []
        try:
            conditions.append(sessions.c.id == uuid.UUID(reference))
        except ValueError:
            conditions.append(sessions.c.name == reference)
            hex_part = reference.replace("-", "")
            if 4 <= len(hex_part) <= 32 and all(c in "0123456789abcdef" for c in hex_part.lower()):
                conditions.append(sa.cast(sessions.c.id, sa.String).like(f"{reference.lower()}%"))
        query = sa.select(sessions.c.id).where(sa.or_(*conditions))
        if access_key is not None:
            query = query.where(sessions.c.access_key == access_key)
        if domain_name is not None:
            query = query.where(sessions.c.domain_name == domain_name)
        if not include_terminated:
            query = query.where(sessions.c.status.not_in(SESSION_TERMINAL_STATUSES))
        is_live = sessions.c.status.not_in(SESSION_TERMINAL_STATUSES)
        query = query.order_by(sa.desc(is_live), sessions.c.created_at.desc()).limit(limit)
        async with begin_readonly(self._engine) as conn:
            ids = list((await conn.scalars(query)).all())
            return await self._load(conn, ids)

    async def get_status(self, session_id: uuid.UUID) -> SessionStatus | None:
        async with begin_readonly(self._engine) as conn:
            status: SessionStatus | None = await conn.scalar(
                sa.select(sessions.c.status).where(sessions.c.id == session_id)
            )
            return status

    async def get(self, session_id: uuid.UUID) -> SessionRecord | None:
        async with begin_readonly(self._engine) as conn:
            found = await self._load(conn, [session_id])
        return found[0] if found else None

    async def get_many(self, session_ids: Sequence[uuid.UUID]) -> list[SessionRecord]:
        async with begin_readonly(self._engine) as conn:
            return await self._load(conn, list(session_ids))

    async def list_sessions(
        self,
        *,
        statuses: Sequence[SessionStatus] | None,
        access_key: str | None,
        domain_name: str | None,
        group_id: uuid.UUID | None,
        user_uuid: uuid.UUID | None,
        limit: int,
        offset: int,
        expression: str | None = None,
        order: str | None = None,
    ) -> tuple[list[SessionRecord], int]:
        """A page of sessions: `expression` and `order` are the `filter`/`order` texts."""
        conditions: list[sa.ColumnElement[bool]] = []
        if statuses:
            conditions.append(sessions.c.status.in_(statuses))
        if access_key is not None:
            conditions.append(sessions.c.access_key == access_key)
        if domain_name is not None:
            conditions.append(sessions.c.domain_name == domain_name)
        if group_id is not None:
            conditions.append(sessions.c.group_id == group_id)
        if user_uuid is not None:
            conditions.append(sessions.c.user_uuid == user_uuid)
        conditions.extend(SESSION_FIELDS.where(expression))
        ordering = SESSION_FIELDS.order_by(
            order, default=[sessions.c.created_at.desc(), sessions.c.id]
        )
        where = sa.and_(sa.true(), *conditions)
        count = sa.select(sa.func.count()).select_from(sessions).where(where)
        # the total rides along with the page's ids (read apart only for an empty page)
        page = (
            sa.select(sessions.c.id, count.scalar_subquery().label("total"))
            .where(where)
            .order_by(*ordering)
            .limit(limit)
            .offset(offset)
        )
        async with begin_readonly(self._engine) as conn:
            rows = (await conn.execute(page)).all()
            total = rows[0].total if rows else await conn.scalar(count)
            return await self._load(conn, [row.id for row in rows]), int(total or 0)

    async def _load(self, conn: AsyncConnection, ids: list[uuid.UUID]) -> list[SessionRecord]:
        """The sessions with their kernels (and the kernels' requested slots): two statements."""
        if not ids:
            return []
        session_rows = (await conn.execute(_SESSIONS_BY_ID, {"ids": ids})).all()
        kernel_rows = (await conn.execute(_KERNELS_OF_SESSIONS, {"ids": ids})).all()
        by_session: dict[uuid.UUID, list[KernelRecord]] = defaultdict(list)
        for row in kernel_rows:
            slots = {slot: Decimal(amount) for slot, amount in (row.requested_slots or {}).items()}
            by_session[row.session_id].append(_kernel_record(row, slots))
        records = {
            row.id: _session_record(row, by_session.get(row.id, []), list(row.depends_on or []))
            for row in session_rows
        }
        return [records[i] for i in ids if i in records]

    # --- status changes -----------------------------------------------------------------------
    #
    # Lock order, everywhere a status changes: the sessions first (one statement, sorted by id),
    # then their kernels. Two transactions that touch overlapping sessions therefore queue up
    # instead of deadlocking (PostgreSQL would otherwise notice only after `deadlock_timeout`
    # and abort one of them).

    async def transition_kernels(
        self,
        kernel_ids: Iterable[uuid.UUID],
        target: KernelStatus,
        *,
        reason: str | None = None,
        data: Mapping[str, Any] | None = None,
        values: Mapping[str, Any] | None = None,
        only_agent: str | None = None,
    ) -> list[StatusChange]:
        """Move kernels to `target` where allowed, then let their sessions follow."""
        ids = list(kernel_ids)
        if not ids:
            return []
        async with begin(self._engine) as conn:
            locked = await _lock_sessions(conn, sessions.c.id.in_(_sessions_of_kernels(ids)))
            condition: sa.ColumnElement[bool] = kernels.c.id.in_(ids)
            if only_agent is not None:
                condition = sa.and_(condition, kernels.c.agent == only_agent)
            touched = await _move_kernels(conn, condition, target, reason, data, values)
            moved = {sid: locked[sid] for sid in touched if sid in locked}
            return await _settle(conn, moved, reason)

    async def transition_session(
        self,
        session_id: uuid.UUID,
        target: SessionStatus,
        *,
        kernel_target: KernelStatus | None = None,
        reason: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> StatusChange | None:
        """Move one session (and optionally all its kernels) to a status, if allowed."""
        async with begin(self._engine) as conn:
            locked = await _lock_sessions(conn, sessions.c.id == session_id)
            changes = await _move_sessions(conn, locked, target, reason, data)
            if changes and kernel_target is not None:
                await _move_kernels(
                    conn, kernels.c.session_id == session_id, kernel_target, reason, data, None
                )
            return changes[0] if changes else None

    async def transition_sessions(
        self,
        session_ids: Sequence[uuid.UUID],
        target: SessionStatus,
        *,
        kernel_target: KernelStatus,
        reason: str | None = None,
    ) -> list[StatusChange]:
        """`transition_session` for several sessions in one transaction; only the sessions
        that were allowed to move (and their kernels) move."""
        if not session_ids:
            return []
        async with begin(self._engine) as conn:
            locked = await _lock_sessions(conn, sessions.c.id.in_(list(session_ids)))
            changes = await _move_sessions(conn, locked, target, reason, None)
            if changes:
                moved = [c.session_id for c in changes]
                await _move_kernels(
                    conn, kernels.c.session_id.in_(moved), kernel_target, reason, None, None
                )
        return changes

    async def mark_kernel_started(
        self, kernel_id: uuid.UUID, creation_info: Mapping[str, Any]
    ) -> list[StatusChange]:
        values = {
            "container_id": creation_info.get("container_id") or None,
            "kernel_host": creation_info.get("kernel_host") or None,
            "repl_in_port": int(creation_info.get("repl_in_port") or 0),
            "repl_out_port": int(creation_info.get("repl_out_port") or 0),
            "stdin_port": int(creation_info.get("stdin_port") or 0),
            "stdout_port": int(creation_info.get("stdout_port") or 0),
            "service_ports": list(creation_info.get("service_ports") or []),
            "attached_devices": dict(creation_info.get("attached_devices") or {}),
            "starts_at": _now(),
        }
        return await self.transition_kernels([kernel_id], KernelStatus.RUNNING, values=values)

    async def settle(self, session_ids: Iterable[uuid.UUID]) -> list[StatusChange]:
        ids = sorted(set(session_ids))
        if not ids:
            return []
        async with begin(self._engine) as conn:
            locked = await _lock_sessions(conn, sessions.c.id.in_(ids))
            return await _settle(conn, locked, None)

    async def set_result(self, session_id: uuid.UUID, result: SessionResult) -> None:
        async with begin(self._engine) as conn:
            await conn.execute(
                sa.update(sessions)
                .where(sessions.c.id == session_id, sessions.c.result == SessionResult.UNDEFINED)
                .values(result=result)
            )

    async def rename(self, session_id: uuid.UUID, new_name: str) -> None:
        try:
            async with begin(self._engine) as conn:
                await conn.execute(
                    sa.update(sessions).where(sessions.c.id == session_id).values(name=new_name)
                )
                await conn.execute(
                    sa.update(kernels)
                    .where(kernels.c.session_id == session_id)
                    .values(session_name=new_name)
                )
        except IntegrityError:
            raise SessionAlreadyExists(f"You already have a session named {new_name!r}") from None

    async def kernels_in(
        self, statuses: Sequence[KernelStatus], *, agent_id: str | None = None
    ) -> list[tuple[uuid.UUID, uuid.UUID, str | None]]:
        """(kernel id, session id, agent) of kernels in the given statuses."""
        query = sa.select(kernels.c.id, kernels.c.session_id, kernels.c.agent).where(
            kernels.c.status.in_(statuses)
        )
        if agent_id is not None:
            query = query.where(kernels.c.agent == agent_id)
        async with begin_readonly(self._engine) as conn:
            return [(r.id, r.session_id, r.agent) for r in await conn.execute(query)]

    async def kernels_waiting_for_image(self, agent_id: str, image: str) -> list[uuid.UUID]:
        """Kernels on an agent that wait for an image to be ready there."""
        query = sa.select(kernels.c.id).where(
            kernels.c.agent == agent_id,
            kernels.c.image == image,
            kernels.c.status.in_(
                [KernelStatus.SCHEDULED, KernelStatus.PREPARING, KernelStatus.PULLING]
            ),
        )
        async with begin_readonly(self._engine) as conn:
            return list((await conn.scalars(query)).all())

    async def sessions_stuck(
        self, statuses: Sequence[SessionStatus], older_than: datetime
    ) -> list[uuid.UUID]:
        """Sessions that have been in one of `statuses` since before `older_than`."""
        last_change = sa.func.coalesce(
            sa.cast(
                sessions.c.status_history.op("->>")(sessions.c.status), pg.TIMESTAMP(timezone=True)
            ),
            sessions.c.created_at,
        )
        query = sa.select(sessions.c.id).where(
            sessions.c.status.in_(statuses), last_change < older_than
        )
        async with begin_readonly(self._engine) as conn:
            return list((await conn.scalars(query)).all())


async def release_kernel_slots(conn: AsyncConnection, kernel_ids: Sequence[uuid.UUID]) -> None:
    """Give the slots of ended kernels back to their agents, once per allocation."""
    freed = (
        await conn.execute(
            sa.update(resource_allocations)
            .where(
                resource_allocations.c.kernel_id.in_(kernel_ids),
                resource_allocations.c.free_at.is_(None),
            )
            .values(free_at=_now())
            .returning(
                resource_allocations.c.kernel_id,
                resource_allocations.c.slot_name,
                resource_allocations.c.used,
            )
        )
    ).all()
    charged = [row for row in freed if row.used is not None]
    if not charged:
        return
    agent_rows = await conn.execute(
        sa.select(kernels.c.id, kernels.c.agent).where(
            kernels.c.id.in_({row.kernel_id for row in charged})
        )
    )
    agent_of: dict[uuid.UUID, str | None] = {row.id: row.agent for row in agent_rows}
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in charged:
        agent = agent_of.get(row.kernel_id)
        if agent is not None:
            totals[(agent, row.slot_name)] += row.used
    for (agent, slot), amount in sorted(totals.items()):
        await conn.execute(
            sa.update(agent_resources)
            .where(agent_resources.c.agent_id == agent, agent_resources.c.slot_name == slot)
            .values(used=sa.func.greatest(agent_resources.c.used - amount, 0))
        )


# --- status-change steps (run inside a transaction, sessions locked first) --------------------


def _sessions_of_kernels(kernel_ids: Sequence[uuid.UUID]) -> sa.Select[tuple[uuid.UUID]]:
    return sa.select(kernels.c.session_id).where(kernels.c.id.in_(kernel_ids))


async def _lock_sessions(
    conn: AsyncConnection, condition: sa.ColumnElement[bool]
) -> dict[uuid.UUID, SessionStatus]:
    """Lock the matching sessions in id order and return their current statuses."""
    rows = await conn.execute(
        sa.select(sessions.c.id, sessions.c.status)
        .where(condition)
        .order_by(sessions.c.id)
        .with_for_update()
    )
    return {row.id: row.status for row in rows}


def _status_values(
    history: sa.ColumnElement[Any],
    status: KernelStatus | SessionStatus,
    now: datetime,
    reason: str | None,
    data: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The columns a kernel's or a session's status change sets."""
    values: dict[str, Any] = {
        "status": status,
        "status_history": _history_append(history, status.name, now),
    }
    if reason is not None:
        values["status_info"] = reason
    if data is not None:
        values["status_data"] = dict(data)
    ended = (
        status in KERNEL_TERMINAL_STATUSES
        if isinstance(status, KernelStatus)
        else status in SESSION_TERMINAL_STATUSES
    )
    if ended:
        values["terminated_at"] = now
    return values


async def _move_kernels(
    conn: AsyncConnection,
    condition: sa.ColumnElement[bool],
    target: KernelStatus,
    reason: str | None,
    data: Mapping[str, Any] | None,
    values: Mapping[str, Any] | None,
) -> set[uuid.UUID]:
    """Move the matching kernels that may go to `target`; returns their sessions."""
    now = _now()
    update_values = _status_values(kernels.c.status_history, target, now, reason, data)
    update_values.update(status_changed=now, **(values or {}))
    changed = (
        await conn.execute(
            sa.update(kernels)
            .where(condition, kernels.c.status.in_(kernel_sources(target)))
            .values(**update_values)
            .returning(kernels.c.id, kernels.c.session_id)
        )
    ).all()
    if target in KERNEL_TERMINAL_STATUSES and changed:
        await release_kernel_slots(conn, [row.id for row in changed])
    return {row.session_id for row in changed}


async def _move_sessions(
    conn: AsyncConnection,
    locked: Mapping[uuid.UUID, SessionStatus],
    target: SessionStatus,
    reason: str | None,
    data: Mapping[str, Any] | None,
) -> list[StatusChange]:
    """Move the locked sessions that may go to `target` (one statement)."""
    allowed = session_sources(target)
    moving = sorted(sid for sid, status in locked.items() if status in allowed)
    if not moving:
        return []
    now = _now()
    update_values = _status_values(sessions.c.status_history, target, now, reason, data)
    if target == SessionStatus.RUNNING:
        update_values["starts_at"] = now
    await conn.execute(sa.update(sessions).where(sessions.c.id.in_(moving)).values(**update_values))
    return [StatusChange(sid, locked[sid], target, reason) for sid in moving]


async def _settle(
    conn: AsyncConnection, locked: Mapping[uuid.UUID, SessionStatus], reason: str | None
) -> list[StatusChange]:
    """Let the locked sessions follow their kernels' statuses."""
    if not locked:
        return []
    kernel_statuses: dict[uuid.UUID, list[KernelStatus]] = defaultdict(list)
    rows = await conn.execute(
        sa.select(kernels.c.session_id, kernels.c.status).where(
            kernels.c.session_id.in_(list(locked))
        )
    )
    for row in rows:
        kernel_statuses[row.session_id].append(row.status)
    by_target: dict[SessionStatus, dict[uuid.UUID, SessionStatus]] = defaultdict(dict)
    for session_id, current in locked.items():
        target = derive_session_status(current, kernel_statuses.get(session_id, []))
        if target is not None:
            by_target[target][session_id] = current
    changes: list[StatusChange] = []
    for target, group in by_target.items():
        changes += await _move_sessions(conn, group, target, reason, None)
    return changes


def _kernel_record(row: Any, slots: dict[str, Decimal]) -> KernelRecord:
    return KernelRecord(
        id=row.id,
        session_id=row.session_id,
        cluster_role=row.cluster_role,
        cluster_idx=row.cluster_idx,
        local_rank=row.local_rank,
        cluster_hostname=row.cluster_hostname,
        status=row.status,
        status_info=row.status_info,
        status_data=row.status_data,
        status_changed=row.status_changed,
        agent=row.agent,
        agent_addr=row.agent_addr,
        image=row.image,
        architecture=row.architecture,
        registry=row.registry,
        container_id=row.container_id,
        kernel_host=row.kernel_host,
        service_ports=row.service_ports,
        preopen_ports=row.preopen_ports,
        resource_opts=row.resource_opts,
        occupied_slots=slots,
        created_at=row.created_at,
        terminated_at=row.terminated_at,
    )


def _session_record(
    row: Any, kernel_records: list[KernelRecord], deps: list[uuid.UUID]
) -> SessionRecord:
    return SessionRecord(
        id=row.id,
        creation_id=row.creation_id,
        name=row.name,
        session_type=row.session_type,
        priority=row.priority,
        cluster_mode=row.cluster_mode,
        cluster_size=row.cluster_size,
        scaling_group_name=row.scaling_group_name,
        domain_name=row.domain_name,
        group_id=row.group_id,
        group_name=row.group_name,
        user_uuid=row.user_uuid,
        user_email=row.email,
        access_key=row.access_key,
        images=list(row.images or []),
        tag=row.tag,
        status=row.status,
        status_info=row.status_info,
        status_data=row.status_data,
        status_history=row.status_history,
        result=row.result,
        environ=row.environ,
        bootstrap_script=row.bootstrap_script,
        startup_command=row.startup_command,
        callback_url=row.callback_url,
        created_at=row.created_at,
        terminated_at=row.terminated_at,
        starts_at=row.starts_at,
        requested_starts_at=row.requested_starts_at,
        batch_timeout=row.batch_timeout,
        agent_ids=list(row.agent_ids or []),
        kernels=kernel_records,
        dependencies=deps,
        vfolder_mounts=list(row.vfolder_mounts or []),
    )
