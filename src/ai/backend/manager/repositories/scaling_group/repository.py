"""Scaling groups (resource groups) and who may use them, in PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ai.backend.manager.data.scaling_group import (
    AssociationTarget,
    ScalingGroupRecord,
    ScalingGroupSpec,
    ScalingGroupUpdate,
    ScalingGroupUsers,
)
from ai.backend.manager.errors.base import ObjectNotFound
from ai.backend.manager.errors.domain import DomainNotFound
from ai.backend.manager.errors.group import GroupNotFound
from ai.backend.manager.errors.scaling_group import ScalingGroupConflict, ScalingGroupNotFound
from ai.backend.manager.models.agent import agents
from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.group import association_groups_users, groups
from ai.backend.manager.models.kernel import kernels
from ai.backend.manager.models.keypair import keypairs
from ai.backend.manager.models.resource_preset import resource_presets
from ai.backend.manager.models.scaling_group import (
    scaling_groups,
    sgroups_for_domains,
    sgroups_for_groups,
    sgroups_for_keypairs,
)
from ai.backend.manager.models.session import sessions
from ai.backend.manager.repositories.db import begin, begin_readonly
from ai.backend.manager.types import SESSION_TERMINAL_STATUSES

_COLUMNS = (
    scaling_groups.c.id,
    scaling_groups.c.name,
    scaling_groups.c.description,
    scaling_groups.c.is_active,
    scaling_groups.c.is_public,
    scaling_groups.c.created_at,
    scaling_groups.c.wsproxy_addr,
    scaling_groups.c.wsproxy_api_token,
    scaling_groups.c.driver,
    scaling_groups.c.driver_opts,
    scaling_groups.c.scheduler,
    scaling_groups.c.scheduler_opts,
    scaling_groups.c.use_host_network,
)

_UPDATABLE = (
    "description",
    "is_active",
    "is_public",
    "wsproxy_addr",
    "wsproxy_api_token",
    "driver",
    "driver_opts",
    "scheduler",
    "scheduler_opts",
    "use_host_network",
)


def _record(row: Row[Any]) -> ScalingGroupRecord:
    return ScalingGroupRecord(
        id=row.id,
        name=row.name,
        description=row.description,
        created_at=row.created_at,
        is_active=bool(row.is_active),
        is_public=row.is_public,
        scheduler=row.scheduler,
        scheduler_opts=row.scheduler_opts or {},
        driver=row.driver,
        driver_opts=row.driver_opts or {},
        use_host_network=row.use_host_network,
        wsproxy_addr=row.wsproxy_addr,
        wsproxy_api_token=row.wsproxy_api_token,
    )


@dataclass(frozen=True, slots=True)
class ScalingGroupDeletion:
    """The outcome of a delete: `deleted` is False when agents or sessions kept the group."""

    deleted: bool
    users: ScalingGroupUsers


@dataclass(frozen=True, slots=True)
class _Link:
    table: sa.Table
    member: sa.Column[Any]


_LINKS = {
    AssociationTarget.DOMAIN: _Link(sgroups_for_domains, sgroups_for_domains.c.domain_id),
    AssociationTarget.GROUP: _Link(sgroups_for_groups, sgroups_for_groups.c.group),
    AssociationTarget.KEYPAIR: _Link(sgroups_for_keypairs, sgroups_for_keypairs.c.access_key),
}


class ScalingGroupRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def search(self, is_active: bool | None = None) -> list[ScalingGroupRecord]:
        query = sa.select(*_COLUMNS).order_by(scaling_groups.c.name)
        if is_active is not None:
            query = query.where(scaling_groups.c.is_active.is_(is_active))
        async with begin_readonly(self._engine) as conn:
            rows = (await conn.execute(query)).all()
        return [_record(row) for row in rows]

    async def get(self, name: str) -> ScalingGroupRecord | None:
        query = sa.select(*_COLUMNS).where(scaling_groups.c.name == name)
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        return _record(row) if row is not None else None

    async def create(self, spec: ScalingGroupSpec) -> ScalingGroupRecord:
        stmt = (
            pg.insert(scaling_groups)
            .values(
                name=spec.name,
                description=spec.description,
                is_active=spec.is_active,
                is_public=spec.is_public,
                wsproxy_addr=spec.wsproxy_addr,
                wsproxy_api_token=spec.wsproxy_api_token,
                driver=spec.driver,
                driver_opts=dict(spec.driver_opts),
                scheduler=spec.scheduler,
                scheduler_opts=dict(spec.scheduler_opts),
                use_host_network=spec.use_host_network,
            )
            .on_conflict_do_nothing(index_elements=[scaling_groups.c.name])
            .returning(*_COLUMNS)
        )
        async with begin(self._engine) as conn:
            row = (await conn.execute(stmt)).first()
        if row is None:
            raise ScalingGroupConflict(f"A scaling group named {spec.name!r} already exists")
        return _record(row)

    async def update(self, name: str, update: ScalingGroupUpdate) -> ScalingGroupRecord | None:
        values: dict[str, Any] = {}
        for key in _UPDATABLE:
            value = getattr(update, key)
            if value is not None:
                values[key] = dict(value) if key.endswith("_opts") else value
        async with begin(self._engine) as conn:
            if not values:
                query = sa.select(*_COLUMNS).where(scaling_groups.c.name == name)
            else:
                query = (
                    sa.update(scaling_groups)  # type: ignore[assignment]
                    .where(scaling_groups.c.name == name)
                    .values(**values)
                    .returning(*_COLUMNS)
                )
            row = (await conn.execute(query)).first()
        return _record(row) if row is not None else None

    async def delete(self, name: str) -> ScalingGroupDeletion | None:
        """Delete the group unless agents or live sessions use it; None if there is none.

        Finished sessions recorded in it, their kernels, the presets scoped to it and every
        association go with it, in one transaction.
        """
        async with begin(self._engine) as conn:
            group_id = (
                await conn.execute(
                    sa.select(scaling_groups.c.id)
                    .where(scaling_groups.c.name == name)
                    .with_for_update()
                )
            ).scalar_one_or_none()
            if group_id is None:
                return None
            in_group = sessions.c.resource_group_id == group_id
            counts = (
                await conn.execute(
                    sa.select(
                        sa.select(sa.func.count())
                        .select_from(agents)
                        .where(
                            sa.or_(
                                agents.c.resource_group_id == group_id,
                                agents.c.scaling_group == name,
                            )
                        )
                        .scalar_subquery(),
                        sa.select(sa.func.count())
                        .select_from(sessions)
                        .where(in_group, sessions.c.status.not_in(list(SESSION_TERMINAL_STATUSES)))
                        .scalar_subquery(),
                    )
                )
            ).one()
            users = ScalingGroupUsers(agents=int(counts[0]), live_sessions=int(counts[1]))
            if users.describe():
                return ScalingGroupDeletion(deleted=False, users=users)
            finished = sa.select(sessions.c.id).where(in_group)
            await conn.execute(
                sa.delete(kernels).where(
                    sa.or_(
                        kernels.c.resource_group_id == group_id, kernels.c.session_id.in_(finished)
                    )
                )
            )
            await conn.execute(sa.delete(sessions).where(in_group))
            await conn.execute(
                sa.delete(resource_presets).where(resource_presets.c.scaling_group_name == name)
            )
            for link in _LINKS.values():
                await conn.execute(
                    sa.delete(link.table).where(link.table.c.resource_group_id == group_id)
                )
            await conn.execute(sa.delete(scaling_groups).where(scaling_groups.c.id == group_id))
        return ScalingGroupDeletion(deleted=True, users=users)

    # --- who may use which group -----------------------------------------------------------------

    async def associate(self, target: AssociationTarget, key: str, name: str) -> bool:
        """Open the scaling group to the target; False if it already was."""
        link = _LINKS[target]
        async with begin(self._engine) as conn:
            group_id = await _scaling_group_id(conn, name)
            member = await _member_key(conn, target, key)
            result = await conn.execute(
                pg.insert(link.table)
                .values({"resource_group_id": group_id, link.member.name: member})
                .on_conflict_do_nothing(
                    index_elements=[link.table.c.resource_group_id, link.member]
                )
            )
        return result.rowcount > 0

    async def disassociate(self, target: AssociationTarget, key: str, name: str | None) -> int:
        """Close one scaling group (or, with `name` None, every one) to the target."""
        link = _LINKS[target]
        async with begin(self._engine) as conn:
            member = await _member_key(conn, target, key)
            stmt = sa.delete(link.table).where(link.member == member)
            if name is not None:
                stmt = stmt.where(
                    link.table.c.resource_group_id == await _scaling_group_id(conn, name)
                )
            result = await conn.execute(stmt)
        return result.rowcount

    # --- what a caller may use -------------------------------------------------------------------

    async def find_group(self, domain_name: str, name_or_id: str) -> tuple[uuid.UUID, str] | None:
        """A project by id (any domain) or by name (in `domain_name`): its id and domain."""
        try:
            condition = groups.c.id == uuid.UUID(name_or_id)
        except ValueError:
            condition = sa.and_(groups.c.name == name_or_id, groups.c.domain_name == domain_name)
        query = sa.select(groups.c.id, groups.c.domain_name).where(condition)
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        return (row.id, row.domain_name) if row is not None else None

    async def is_member(self, group_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        query = sa.select(association_groups_users.c.id).where(
            association_groups_users.c.group_id == group_id,
            association_groups_users.c.user_id == user_id,
        )
        async with begin_readonly(self._engine) as conn:
            return (await conn.execute(query)).first() is not None

    async def list_allowed(
        self, *, domain_name: str, group_id: uuid.UUID, access_key: str, public_only: bool
    ) -> list[ScalingGroupRecord]:
        """Active groups opened to the domain, the project or the keypair (one query)."""
        domain_id = sa.select(domains.c.id).where(domains.c.name == domain_name).scalar_subquery()
        allowed = sa.union(
            sa.select(sgroups_for_domains.c.resource_group_id).where(
                sgroups_for_domains.c.domain_id == domain_id
            ),
            sa.select(sgroups_for_groups.c.resource_group_id).where(
                sgroups_for_groups.c.group == group_id
            ),
            sa.select(sgroups_for_keypairs.c.resource_group_id).where(
                sgroups_for_keypairs.c.access_key == access_key
            ),
        )
        query = (
            sa.select(*_COLUMNS)
            .where(scaling_groups.c.id.in_(allowed), scaling_groups.c.is_active.is_(True))
            .order_by(scaling_groups.c.name)
        )
        if public_only:
            query = query.where(scaling_groups.c.is_public.is_(True))
        async with begin_readonly(self._engine) as conn:
            rows = (await conn.execute(query)).all()
        return [_record(row) for row in rows]


async def _scaling_group_id(conn: AsyncConnection, name: str) -> uuid.UUID:
    query = sa.select(scaling_groups.c.id).where(scaling_groups.c.name == name)
    group_id = (await conn.execute(query)).scalar_one_or_none()
    if group_id is None:
        raise ScalingGroupNotFound(f"No scaling group named {name!r}")
    return group_id  # type: ignore[no-any-return]


async def _member_key(conn: AsyncConnection, target: AssociationTarget, key: str) -> object:
    """The association row's value for the target (raises if there is no such target)."""
    match target:
        case AssociationTarget.DOMAIN:
            query = sa.select(domains.c.id).where(domains.c.name == key)
            found = (await conn.execute(query)).scalar_one_or_none()
            if found is None:
                raise DomainNotFound(f"No domain named {key!r}")
            return found
        case AssociationTarget.GROUP:
            try:
                group_id = uuid.UUID(key)
            except ValueError:
                raise GroupNotFound(f"{key!r} is not a project id") from None
            query = sa.select(groups.c.id).where(groups.c.id == group_id)
            found = (await conn.execute(query)).scalar_one_or_none()
            if found is None:
                raise GroupNotFound(f"No project with id {key}")
            return found
        case AssociationTarget.KEYPAIR:
            query = sa.select(keypairs.c.access_key).where(keypairs.c.access_key == key)
            found = (await conn.execute(query)).scalar_one_or_none()
            if found is None:
                raise ObjectNotFound(f"No keypair with access key {key}")
            return found
