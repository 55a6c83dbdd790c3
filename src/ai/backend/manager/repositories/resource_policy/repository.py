"""Keypair, user and project resource policies in PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.data.resource_policy import PolicyKind, PolicyRow
from ai.backend.manager.errors.resource_policy import ResourcePolicyConflict, ResourcePolicyInUse
from ai.backend.manager.models.group import groups
from ai.backend.manager.models.keypair import keypairs
from ai.backend.manager.models.resource_policy import (
    keypair_resource_policies,
    project_resource_policies,
    user_resource_policies,
)
from ai.backend.manager.models.user import users
from ai.backend.manager.repositories.db import begin, begin_readonly

_TABLES = {
    PolicyKind.KEYPAIR: keypair_resource_policies,
    PolicyKind.USER: user_resource_policies,
    PolicyKind.PROJECT: project_resource_policies,
}
# the table whose rows name a policy of each kind, and what those rows are called
_USERS_OF = {
    PolicyKind.KEYPAIR: (keypairs, "keypair"),
    PolicyKind.USER: (users, "user"),
    PolicyKind.PROJECT: (groups, "project"),
}


class ResourcePolicyRepository:
    @staticmethod
    def settable_fields(kind: PolicyKind) -> frozenset[str]:
        """The columns a create or update may set."""
        return frozenset(_TABLES[kind].c.keys()) - {"name", "uuid", "created_at"}

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list(
        self, kind: PolicyKind, *, name: str | None = None, names: Collection[str] | None = None
    ) -> list[PolicyRow]:
        """Policies of a kind by name: all, the one named `name`, or those in `names`."""
        table = _TABLES[kind]
        query = sa.select(table).order_by(table.c.name)
        if name is not None:
            query = query.where(table.c.name == name)
        if names is not None:
            query = query.where(table.c.name.in_(list(names)))
        async with begin_readonly(self._engine) as conn:
            return [dict(row._mapping) for row in await conn.execute(query)]

    async def keypair_policies_of(self, user_uuid: uuid.UUID) -> set[str]:
        """The keypair resource policies of the user's keypairs."""
        query = sa.select(keypairs.c.resource_policy).where(keypairs.c.user == user_uuid)
        async with begin_readonly(self._engine) as conn:
            return set((await conn.execute(query)).scalars())

    async def user_policy_of(self, user_uuid: uuid.UUID) -> str | None:
        """The user resource policy of the user's account."""
        query = sa.select(users.c.resource_policy).where(users.c.uuid == user_uuid)
        async with begin_readonly(self._engine) as conn:
            name: str | None = (await conn.execute(query)).scalar()
        return name

    async def get(self, kind: PolicyKind, name: str) -> PolicyRow | None:
        found = await self.list(kind, name=name)
        return found[0] if found else None

    async def create(self, kind: PolicyKind, name: str, values: dict[str, Any]) -> PolicyRow:
        table = _TABLES[kind]
        async with begin(self._engine) as conn:
            clash = await conn.execute(sa.select(table.c.name).where(table.c.name == name))
            if clash.first() is not None:
                raise ResourcePolicyConflict(
                    f"A {kind.value} resource policy named {name} already exists"
                )
            row = (
                await conn.execute(sa.insert(table).values(name=name, **values).returning(table))
            ).one()
            return dict(row._mapping)

    async def update(self, kind: PolicyKind, name: str, values: dict[str, Any]) -> bool:
        table = _TABLES[kind]
        async with begin(self._engine) as conn:
            if not values:
                found = await conn.execute(sa.select(table.c.name).where(table.c.name == name))
                return found.first() is not None
            stmt = (
                sa.update(table).where(table.c.name == name).values(values).returning(table.c.name)
            )
            return (await conn.execute(stmt)).first() is not None

    async def delete(self, kind: PolicyKind, name: str) -> bool:
        """Delete the policy; refused while anything still uses it."""
        table = _TABLES[kind]
        dependants, noun = _USERS_OF[kind]
        async with begin(self._engine) as conn:
            found = await conn.execute(
                sa.select(table.c.name).where(table.c.name == name).with_for_update()
            )
            if found.first() is None:
                return False
            in_use = (
                await conn.execute(
                    sa.select(sa.func.count())
                    .select_from(dependants)
                    .where(dependants.c.resource_policy == name)
                )
            ).scalar_one()
            if in_use:
                raise ResourcePolicyInUse(
                    f"The {kind.value} resource policy {name} is still used by {in_use} {noun}(s)"
                )
            await conn.execute(sa.delete(table).where(table.c.name == name))
            return True
