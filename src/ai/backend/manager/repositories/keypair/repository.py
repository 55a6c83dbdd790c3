"""Keypairs in PostgreSQL: lookups for authentication and usage bookkeeping."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ai.backend.manager.data.keypair import (
    KeypairCreateSpec,
    KeypairCredential,
    KeypairDetail,
    KeypairListFilter,
    KeypairUsage,
)
from ai.backend.manager.errors.keypair import InvalidKeypairInput
from ai.backend.manager.models.group import association_groups_users, groups
from ai.backend.manager.models.keypair import keypairs
from ai.backend.manager.models.resource_policy import keypair_resource_policies
from ai.backend.manager.models.session import sessions
from ai.backend.manager.models.user import users
from ai.backend.manager.repositories.db import begin, begin_readonly
from ai.backend.manager.repositories.querying import (
    Condition,
    Predicate,
    QueryFields,
    any_text,
    boolean,
    integer,
    text,
    timestamp,
    uuid_field,
)
from ai.backend.manager.types import SESSION_TERMINAL_STATUSES


def _enum_text(value: object) -> str:
    return str(getattr(value, "value", value))


class KeypairRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get_credential(self, access_key: str) -> KeypairCredential | None:
        query = (
            sa.select(
                keypairs.c.access_key,
                keypairs.c.secret_key,
                keypairs.c.is_active,
                keypairs.c.is_admin,
                keypairs.c.resource_policy,
                keypairs.c.rate_limit,
                users.c.uuid,
                users.c.email,
                users.c.role,
                users.c.status,
                users.c.domain_name,
            )
            .select_from(keypairs.join(users, keypairs.c.user == users.c.uuid))
            .where(keypairs.c.access_key == access_key)
        )
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return KeypairCredential(
            access_key=row.access_key,
            secret_key=row.secret_key,
            is_active=row.is_active,
            is_admin=row.is_admin,
            resource_policy=row.resource_policy,
            rate_limit=row.rate_limit,
            user_uuid=row.uuid,
            user_email=row.email,
            user_role=_enum_text(row.role),
            user_status=_enum_text(row.status),
            domain_name=row.domain_name,
        )

    async def record_usage(self, usages: Sequence[KeypairUsage]) -> None:
        """Apply accumulated `last_used` and `num_queries` in one statement."""
        if not usages:
            return
        values = sa.values(
            sa.column("access_key", sa.String),
            sa.column("last_used", sa.DateTime(timezone=True)),
            sa.column("num_queries", sa.Integer),
            name="usage",
        ).data([(u.access_key, u.last_used, u.num_queries) for u in usages])
        stmt = (
            sa.update(keypairs)
            .where(keypairs.c.access_key == values.c.access_key)
            .values(
                last_used=sa.func.greatest(keypairs.c.last_used, values.c.last_used),
                num_queries=keypairs.c.num_queries + values.c.num_queries,
            )
        )
        async with begin(self._engine) as conn:
            await conn.execute(stmt)


def _project_membership(user: sa.ColumnElement[Any]) -> list[sa.ColumnElement[bool]]:
    return [
        association_groups_users.c.user_id == user,
        association_groups_users.c.group_id == groups.c.id,
    ]


def _in_project_named(match: Predicate) -> Condition:
    """Some project of the keypair's owner (correlated to `keypairs`) has a matching name."""
    return sa.exists().where(*_project_membership(keypairs.c.user), match(groups.c.name))


# the owner's project names in order, to sort keypairs by their projects
_PROJECT_NAMES = (
    sa.select(sa.func.array_agg(aggregate_order_by(groups.c.name, groups.c.name)))
    .where(*_project_membership(keypairs.c.user))
    .scalar_subquery()
)

# What `filter` and `order` may name in keypair lists (the names the reference manager accepts).
KEYPAIR_FIELDS = QueryFields(
    {
        "access_key": text(keypairs.c.access_key),
        "user_id": uuid_field(users.c.uuid),
        "email": text(users.c.email),
        "full_name": text(users.c.full_name),
        "is_active": boolean(keypairs.c.is_active),
        "is_admin": boolean(keypairs.c.is_admin),
        "resource_policy": text(keypairs.c.resource_policy),
        "created_at": timestamp(keypairs.c.created_at),
        "last_used": timestamp(keypairs.c.last_used),
        "rate_limit": integer(keypairs.c.rate_limit),
        "num_queries": integer(keypairs.c.num_queries),
        "ssh_public_key": text(keypairs.c.ssh_public_key, sortable=False),
        "projects": any_text(_in_project_named, sort=_PROJECT_NAMES),
    }
)

_DETAIL_COLUMNS = (
    keypairs.c.access_key,
    keypairs.c.secret_key,
    keypairs.c.is_active,
    keypairs.c.is_admin,
    keypairs.c.resource_policy,
    keypairs.c.rate_limit,
    keypairs.c.num_queries,
    keypairs.c.created_at,
    keypairs.c.updated_at,
    keypairs.c.last_used,
    keypairs.c.ssh_public_key,
    users.c.uuid,
    users.c.email,
    users.c.full_name,
    users.c.domain_name,
    users.c.role,
)


def _list_where(flt: KeypairListFilter) -> list[sa.ColumnElement[bool]]:
    conds: list[sa.ColumnElement[bool]] = []
    if flt.domain_name is not None:
        conds.append(users.c.domain_name == flt.domain_name)
    if flt.email is not None:
        conds.append(users.c.email == flt.email)
    if flt.is_active is not None:
        conds.append(keypairs.c.is_active == flt.is_active)
    if flt.user_uuid is not None:
        conds.append(keypairs.c.user == flt.user_uuid)
    if flt.access_key is not None:
        conds.append(keypairs.c.access_key == flt.access_key)
    conds.extend(KEYPAIR_FIELDS.where(flt.expression))
    return conds


class KeypairAdminRepository:
    """Keypair administration: paged lists, creation, changes and SSH keypairs."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list_keypairs(
        self,
        flt: KeypairListFilter,
        *,
        limit: int | None = None,
        offset: int = 0,
        order: str | None = None,
        with_total: bool = False,
    ) -> tuple[list[KeypairDetail], int]:
        """A page of keypairs with owners, projects and live session counts, in four statements."""
        conds = _list_where(flt)
        joined = keypairs.join(users, keypairs.c.user == users.c.uuid)
        # Sort and skip on the narrow key only, then read the page's wide rows by key.
        page = (
            sa.select(keypairs.c.access_key)
            .select_from(joined)
            .where(*conds)
            .order_by(
                *KEYPAIR_FIELDS.order_by(
                    order, default=[keypairs.c.created_at, keypairs.c.access_key]
                )
            )
            .offset(offset)
        )
        if limit is not None:
            page = page.limit(limit)
        async with begin_readonly(self._engine) as conn:
            page_keys = list((await conn.scalars(page)).all())
            by_key = {
                row.access_key: row
                for row in await conn.execute(
                    sa.select(*_DETAIL_COLUMNS)
                    .select_from(joined)
                    .where(keypairs.c.access_key.in_(page_keys))
                )
            }
            rows = [by_key[key] for key in page_keys if key in by_key]
            total = len(rows)
            if with_total:
                count = sa.select(sa.func.count()).select_from(joined).where(*conds)
                total = (await conn.execute(count)).scalar_one()
            projects = await self._projects_of(conn, {row.uuid for row in rows})
            used = await self._concurrency_of(conn, [row.access_key for row in rows])
        return [
            KeypairDetail(
                access_key=row.access_key,
                secret_key=row.secret_key,
                is_active=row.is_active,
                is_admin=row.is_admin,
                resource_policy=row.resource_policy,
                rate_limit=row.rate_limit,
                num_queries=row.num_queries,
                created_at=row.created_at,
                last_used=row.last_used,
                user_uuid=row.uuid,
                user_email=row.email,
                user_full_name=row.full_name,
                domain_name=row.domain_name,
                user_role=_enum_text(row.role),
                modified_at=row.updated_at,
                projects=tuple(projects.get(row.uuid, ())),
                concurrency_used=used.get(row.access_key, 0),
                ssh_public_key=row.ssh_public_key,
            )
            for row in rows
        ], total

    @staticmethod
    async def _projects_of(
        conn: AsyncConnection, user_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, list[str]]:
        if not user_ids:
            return {}
        query = (
            sa.select(association_groups_users.c.user_id, groups.c.name)
            .select_from(
                association_groups_users.join(
                    groups, association_groups_users.c.group_id == groups.c.id
                )
            )
            .where(association_groups_users.c.user_id.in_(list(user_ids)))
            .order_by(groups.c.name)
        )
        result: dict[uuid.UUID, list[str]] = defaultdict(list)
        for row in await conn.execute(query):
            result[row.user_id].append(row.name)
        return result

    @staticmethod
    async def _concurrency_of(conn: AsyncConnection, access_keys: list[str]) -> dict[str, int]:
        if not access_keys:
            return {}
        query = (
            sa.select(sessions.c.access_key, sa.func.count())
            .where(
                sessions.c.access_key.in_(access_keys),
                sessions.c.status.not_in(SESSION_TERMINAL_STATUSES),
            )
            .group_by(sessions.c.access_key)
        )
        return {row[0]: int(row[1]) for row in await conn.execute(query)}

    async def get(self, access_key: str) -> KeypairDetail | None:
        found, _ = await self.list_keypairs(KeypairListFilter(access_key=access_key), limit=1)
        return found[0] if found else None

    async def policy_exists(self, conn: AsyncConnection, name: str) -> bool:
        query = sa.select(keypair_resource_policies.c.name).where(
            keypair_resource_policies.c.name == name
        )
        return (await conn.execute(query)).first() is not None

    async def create(self, spec: KeypairCreateSpec) -> None:
        async with begin(self._engine) as conn:
            if not await self.policy_exists(conn, spec.resource_policy):
                raise InvalidKeypairInput(
                    f"No keypair resource policy named {spec.resource_policy}"
                )
            has_main = (
                await conn.execute(
                    sa.select(keypairs.c.access_key).where(
                        keypairs.c.user == spec.user_uuid, keypairs.c.is_default
                    )
                )
            ).first()
            await conn.execute(
                sa.insert(keypairs).values(
                    access_key=spec.access_key,
                    secret_key=spec.secret_key,
                    user=spec.user_uuid,
                    is_active=spec.is_active,
                    is_admin=spec.is_admin,
                    is_default=has_main is None,
                    resource_policy=spec.resource_policy,
                    rate_limit=spec.rate_limit,
                    ssh_public_key=spec.ssh_public_key,
                    ssh_private_key=spec.ssh_private_key,
                )
            )

    async def update(self, access_key: str, values: dict[str, Any]) -> bool:
        async with begin(self._engine) as conn:
            policy = values.get("resource_policy")
            if policy is not None and not await self.policy_exists(conn, policy):
                raise InvalidKeypairInput(f"No keypair resource policy named {policy}")
            stmt = (
                sa.update(keypairs)
                .where(keypairs.c.access_key == access_key)
                .values(values)
                .returning(keypairs.c.access_key)
            )
            return (await conn.execute(stmt)).first() is not None

    async def delete(self, access_key: str) -> bool:
        """Delete a keypair unless it is its owner's main one (then refuse)."""
        async with begin(self._engine) as conn:
            row = (
                await conn.execute(
                    sa.select(keypairs.c.is_default).where(keypairs.c.access_key == access_key)
                )
            ).first()
            if row is None:
                return False
            if row.is_default:
                raise InvalidKeypairInput(
                    f"{access_key} is its owner's main access key and cannot be deleted"
                )
            await conn.execute(sa.delete(keypairs).where(keypairs.c.access_key == access_key))
            return True

    async def get_ssh_keypair(self, access_key: str) -> tuple[str | None, str | None]:
        query = sa.select(keypairs.c.ssh_public_key, keypairs.c.ssh_private_key).where(
            keypairs.c.access_key == access_key
        )
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None, None
        return row.ssh_public_key, row.ssh_private_key

    async def set_ssh_keypair(self, access_key: str, public_key: str, private_key: str) -> None:
        stmt = (
            sa.update(keypairs)
            .where(keypairs.c.access_key == access_key)
            .values(ssh_public_key=public_key, ssh_private_key=private_key)
        )
        async with begin(self._engine) as conn:
            await conn.execute(stmt)
