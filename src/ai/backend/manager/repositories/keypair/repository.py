"""Keypairs in PostgreSQL: lookups for authentication and usage bookkeeping."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.models.keypair import keypairs
from ai.backend.manager.models.user import users
from ai.backend.manager.repositories.db import begin, begin_readonly
from ai.backend.manager.repositories.keypair.types import (
    KeypairCredential,
    KeypairDetail,
    KeypairUsage,
)


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

    async def get_detail(self, access_key: str) -> KeypairDetail | None:
        query = (
            sa.select(
                keypairs.c.access_key,
                keypairs.c.secret_key,
                keypairs.c.is_active,
                keypairs.c.is_admin,
                keypairs.c.resource_policy,
                keypairs.c.rate_limit,
                keypairs.c.num_queries,
                keypairs.c.created_at,
                keypairs.c.last_used,
                users.c.uuid,
                users.c.email,
                users.c.full_name,
                users.c.domain_name,
            )
            .select_from(keypairs.join(users, keypairs.c.user == users.c.uuid))
            .where(keypairs.c.access_key == access_key)
        )
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return KeypairDetail(
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
