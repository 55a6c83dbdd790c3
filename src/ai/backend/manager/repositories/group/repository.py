"""Groups (projects) and their members in PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ai.backend.manager.data.group import (
    GroupDependants,
    GroupRecord,
    GroupSpec,
    GroupUpdate,
)
from ai.backend.manager.errors.domain import DomainNotFound
from ai.backend.manager.errors.group import GroupConflict
from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.group import association_groups_users, groups
from ai.backend.manager.models.kernel import kernels
from ai.backend.manager.models.scaling_group import sgroups_for_groups
from ai.backend.manager.models.session import sessions
from ai.backend.manager.models.user import users
from ai.backend.manager.models.vfolder import vfolders
from ai.backend.manager.repositories.db import begin, begin_readonly
from ai.backend.manager.types import (
    SESSION_TERMINAL_STATUSES,
    VFOLDER_DELETED_STATUSES,
    ProjectStatus,
)

_COLUMNS = (
    groups.c.id,
    groups.c.name,
    groups.c.description,
    groups.c.is_active,
    groups.c.status,
    groups.c.domain_name,
    groups.c.total_resource_slots,
    groups.c.allowed_vfolder_hosts,
    groups.c.integration_id,
    groups.c.resource_policy,
    groups.c.type,
    groups.c.created_at,
    groups.c.updated_at,
)


def _text(value: object) -> str:
    return str(getattr(value, "value", value))


def _record(row: Row[Any]) -> GroupRecord:
    return GroupRecord(
        id=row.id,
        name=row.name,
        description=row.description,
        is_active=bool(row.is_active),
        status=_text(row.status),
        domain_name=row.domain_name,
        total_resource_slots=row.total_resource_slots or {},
        allowed_vfolder_hosts=row.allowed_vfolder_hosts or {},
        integration_id=row.integration_id,
        resource_policy=row.resource_policy,
        type=_text(row.type),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@dataclass(frozen=True, slots=True)
class GroupPurge:
    """The outcome of a purge: `purged` is False when dependants kept the project."""

    purged: bool
    dependants: GroupDependants


class GroupRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def search(
        self, domain_name: str | None = None, is_active: bool | None = None
    ) -> list[GroupRecord]:
        query = sa.select(*_COLUMNS).order_by(groups.c.domain_name, groups.c.name)
        if is_active is not None:
            query = query.where(groups.c.is_active.is_(is_active))
        if domain_name is not None:
            query = query.where(groups.c.domain_name == domain_name)
        async with begin_readonly(self._engine) as conn:
            rows = (await conn.execute(query)).all()
        return [_record(row) for row in rows]

    async def list_by_name(self, name: str, domain_name: str | None = None) -> list[GroupRecord]:
        query = sa.select(*_COLUMNS).where(groups.c.name == name).order_by(groups.c.domain_name)
        if domain_name is not None:
            query = query.where(groups.c.domain_name == domain_name)
        async with begin_readonly(self._engine) as conn:
            rows = (await conn.execute(query)).all()
        return [_record(row) for row in rows]

    async def of_member(
        self, user_uuid: uuid.UUID, *, is_active: bool | None = None, name: str | None = None
    ) -> list[GroupRecord]:
        """The projects the user belongs to (optionally only those with this name)."""
        query = (
            sa.select(*_COLUMNS)
            .select_from(
                groups.join(
                    association_groups_users, association_groups_users.c.group_id == groups.c.id
                )
            )
            .where(association_groups_users.c.user_id == user_uuid)
            .order_by(groups.c.domain_name, groups.c.name)
        )
        if is_active is not None:
            query = query.where(groups.c.is_active.is_(is_active))
        if name is not None:
            query = query.where(groups.c.name == name)
        async with begin_readonly(self._engine) as conn:
            rows = (await conn.execute(query)).all()
        return [_record(row) for row in rows]

    async def get_for_member(self, group_id: uuid.UUID, user_uuid: uuid.UUID) -> GroupRecord | None:
        """The project if the user belongs to it; None otherwise (or if there is none)."""
        query = (
            sa.select(*_COLUMNS)
            .select_from(
                groups.join(
                    association_groups_users, association_groups_users.c.group_id == groups.c.id
                )
            )
            .where(groups.c.id == group_id, association_groups_users.c.user_id == user_uuid)
        )
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        return _record(row) if row is not None else None

    async def get(self, group_id: uuid.UUID) -> GroupRecord | None:
        async with begin_readonly(self._engine) as conn:
            return await self._get(conn, group_id)

    @staticmethod
    async def _get(conn: AsyncConnection, group_id: uuid.UUID) -> GroupRecord | None:
        row = (await conn.execute(sa.select(*_COLUMNS).where(groups.c.id == group_id))).first()
        return _record(row) if row is not None else None

    async def create(self, spec: GroupSpec) -> GroupRecord:
        stmt = (
            pg.insert(groups)
            .values(
                name=spec.name,
                domain_name=spec.domain_name,
                description=spec.description,
                is_active=spec.is_active,
                status=ProjectStatus.ACTIVE if spec.is_active else ProjectStatus.DELETED,
                total_resource_slots=dict(spec.total_resource_slots),
                allowed_vfolder_hosts={k: list(v) for k, v in spec.allowed_vfolder_hosts.items()},
                integration_id=spec.integration_id,
                resource_policy=spec.resource_policy,
            )
            .on_conflict_do_nothing(index_elements=[groups.c.name, groups.c.domain_name])
            .returning(*_COLUMNS)
        )
        async with begin(self._engine) as conn:
            exists = (
                await conn.execute(
                    sa.select(domains.c.name).where(domains.c.name == spec.domain_name)
                )
            ).first()
            if exists is None:
                raise DomainNotFound(f"No domain named {spec.domain_name!r}")
            row = (await conn.execute(stmt)).first()
        if row is None:
            raise GroupConflict(
                f"A project named {spec.name!r} already exists in domain {spec.domain_name!r}"
            )
        return _record(row)

    async def update(
        self,
        group_id: uuid.UUID,
        update: GroupUpdate,
        *,
        add_members: Sequence[uuid.UUID] = (),
        remove_members: Sequence[uuid.UUID] = (),
    ) -> GroupRecord | None:
        """Change the project's fields and members in one transaction; None if there is none."""
        values: dict[str, Any] = {}
        if update.name is not None:
            values["name"] = update.name
        if update.description is not None:
            values["description"] = update.description
        if update.is_active is not None:
            values["is_active"] = update.is_active
            if update.is_active:
                values["status"] = ProjectStatus.ACTIVE
        if update.total_resource_slots is not None:
            values["total_resource_slots"] = dict(update.total_resource_slots)
        if update.allowed_vfolder_hosts is not None:
            values["allowed_vfolder_hosts"] = {
                k: list(v) for k, v in update.allowed_vfolder_hosts.items()
            }
        if update.integration_id is not None:
            values["integration_id"] = update.integration_id
        try:
            async with begin(self._engine) as conn:
                if not values:
                    record = await self._get(conn, group_id)
                else:
                    row = (
                        await conn.execute(
                            sa.update(groups)
                            .where(groups.c.id == group_id)
                            .values(**values)
                            .returning(*_COLUMNS)
                        )
                    ).first()
                    record = _record(row) if row is not None else None
                if record is not None:
                    await self._add_members(conn, group_id, add_members)
                    await self._remove_members(conn, group_id, remove_members)
        except sa.exc.IntegrityError:
            raise GroupConflict(
                f"Another project in the domain is already named {update.name!r}"
            ) from None
        return record

    async def user_domains(self, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The domain of each of these users that exists."""
        query = sa.select(users.c.uuid, users.c.domain_name).where(
            users.c.uuid == sa.any_(sa.literal(list(user_ids), pg.ARRAY(pg.UUID(as_uuid=True))))
        )
        async with begin_readonly(self._engine) as conn:
            rows = (await conn.execute(query)).all()
        return {row.uuid: row.domain_name for row in rows}

    @staticmethod
    async def _add_members(
        conn: AsyncConnection, group_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
    ) -> None:
        """Make the users members (those already in stay)."""
        if not user_ids:
            return
        stmt = (
            pg.insert(association_groups_users)
            .values([{"group_id": group_id, "user_id": user_id} for user_id in user_ids])
            .on_conflict_do_nothing(
                index_elements=[
                    association_groups_users.c.user_id,
                    association_groups_users.c.group_id,
                ]
            )
        )
        await conn.execute(stmt)

    @staticmethod
    async def _remove_members(
        conn: AsyncConnection, group_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
    ) -> None:
        if not user_ids:
            return
        stmt = sa.delete(association_groups_users).where(
            association_groups_users.c.group_id == group_id,
            association_groups_users.c.user_id.in_(list(user_ids)),
        )
        await conn.execute(stmt)

    async def soft_delete(self, group_id: uuid.UUID) -> bool:
        stmt = (
            sa.update(groups)
            .where(groups.c.id == group_id)
            .values(is_active=False, status=ProjectStatus.DELETED)
        )
        async with begin(self._engine) as conn:
            result = await conn.execute(stmt)
        return result.rowcount > 0

    async def purge(self, group_id: uuid.UUID) -> GroupPurge | None:
        """Delete the project unless it has live sessions or folders; None if there is none.

        Its finished sessions (and their kernels), its memberships and its scaling group
        associations go with it, in one transaction.
        """
        live = sessions.c.status.not_in(list(SESSION_TERMINAL_STATUSES))
        live_folder = vfolders.c.status.not_in(list(VFOLDER_DELETED_STATUSES))
        async with begin(self._engine) as conn:
            found = (
                await conn.execute(
                    sa.select(groups.c.id).where(groups.c.id == group_id).with_for_update()
                )
            ).first()
            if found is None:
                return None
            counts = (
                await conn.execute(
                    sa.select(
                        sa.select(sa.func.count())
                        .select_from(sessions)
                        .where(sessions.c.group_id == group_id, live)
                        .scalar_subquery(),
                        sa.select(sa.func.count())
                        .select_from(vfolders)
                        .where(vfolders.c.group == group_id, live_folder)
                        .scalar_subquery(),
                    )
                )
            ).one()
            dependants = GroupDependants(live_sessions=int(counts[0]), vfolders=int(counts[1]))
            if dependants.describe():
                return GroupPurge(purged=False, dependants=dependants)
            finished = sa.select(sessions.c.id).where(sessions.c.group_id == group_id)
            await conn.execute(
                sa.delete(kernels).where(
                    sa.or_(kernels.c.group_id == group_id, kernels.c.session_id.in_(finished))
                )
            )
            await conn.execute(sa.delete(sessions).where(sessions.c.group_id == group_id))
            await conn.execute(
                sa.delete(association_groups_users).where(
                    association_groups_users.c.group_id == group_id
                )
            )
            await conn.execute(
                sa.delete(sgroups_for_groups).where(sgroups_for_groups.c.group == group_id)
            )
            await conn.execute(sa.delete(groups).where(groups.c.id == group_id))
        return GroupPurge(purged=True, dependants=dependants)
