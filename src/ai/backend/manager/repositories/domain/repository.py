"""Domains in PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ai.backend.manager.data.domain import (
    DomainDependants,
    DomainRecord,
    DomainSpec,
    DomainUpdate,
)
from ai.backend.manager.errors.domain import DomainConflict
from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.group import groups
from ai.backend.manager.models.keypair import keypairs
from ai.backend.manager.models.scaling_group import sgroups_for_domains
from ai.backend.manager.models.session import sessions
from ai.backend.manager.models.user import users
from ai.backend.manager.models.vfolder import vfolders
from ai.backend.manager.repositories.db import begin, begin_readonly
from ai.backend.manager.types import DomainStatus

_COLUMNS = (
    domains.c.id,
    domains.c.name,
    domains.c.description,
    domains.c.is_active,
    domains.c.status,
    domains.c.total_resource_slots,
    domains.c.allowed_vfolder_hosts,
    domains.c.allowed_docker_registries,
    domains.c.integration_id,
    domains.c.created_at,
    domains.c.updated_at,
)


def _record(row: Row[Any]) -> DomainRecord:
    return DomainRecord(
        id=row.id,
        name=row.name,
        description=row.description,
        is_active=row.is_active,
        status=str(getattr(row.status, "value", row.status)),
        total_resource_slots=row.total_resource_slots or {},
        allowed_vfolder_hosts=row.allowed_vfolder_hosts or {},
        allowed_docker_registries=list(row.allowed_docker_registries or ()),
        integration_id=row.integration_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@dataclass(frozen=True, slots=True)
class DomainPurge:
    """The outcome of a purge: `purged` is False when dependants kept the domain."""

    purged: bool
    dependants: DomainDependants


class DomainRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list_all(self, is_active: bool | None = None) -> list[DomainRecord]:
        query = sa.select(*_COLUMNS).order_by(domains.c.name)
        if is_active is not None:
            query = query.where(domains.c.is_active.is_(is_active))
        async with begin_readonly(self._engine) as conn:
            rows = (await conn.execute(query)).all()
        return [_record(row) for row in rows]

    async def get(self, name: str) -> DomainRecord | None:
        async with begin_readonly(self._engine) as conn:
            return await self._get(conn, name)

    @staticmethod
    async def _get(conn: AsyncConnection, name: str) -> DomainRecord | None:
        row = (await conn.execute(sa.select(*_COLUMNS).where(domains.c.name == name))).first()
        return _record(row) if row is not None else None

    async def create(self, spec: DomainSpec) -> DomainRecord:
        stmt = (
            pg.insert(domains)
            .values(
                name=spec.name,
                description=spec.description,
                is_active=spec.is_active,
                status=DomainStatus.ACTIVE if spec.is_active else DomainStatus.DELETED,
                total_resource_slots=dict(spec.total_resource_slots),
                allowed_vfolder_hosts={k: list(v) for k, v in spec.allowed_vfolder_hosts.items()},
                allowed_docker_registries=list(spec.allowed_docker_registries),
                integration_id=spec.integration_id,
            )
            .on_conflict_do_nothing(index_elements=[domains.c.name])
            .returning(*_COLUMNS)
        )
        async with begin(self._engine) as conn:
            row = (await conn.execute(stmt)).first()
        if row is None:
            raise DomainConflict(f"A domain named {spec.name!r} already exists")
        return _record(row)

    async def update(self, name: str, update: DomainUpdate) -> DomainRecord | None:
        """Apply `update`; a rename carries users, projects and sessions along (and folders)."""
        values: dict[str, Any] = {}
        if update.new_name is not None:
            values["name"] = update.new_name
        if update.description is not None:
            values["description"] = update.description
        if update.is_active is not None:
            values["is_active"] = update.is_active
            if update.is_active:
                values["status"] = DomainStatus.ACTIVE
        if update.total_resource_slots is not None:
            values["total_resource_slots"] = dict(update.total_resource_slots)
        if update.allowed_vfolder_hosts is not None:
            values["allowed_vfolder_hosts"] = {
                k: list(v) for k, v in update.allowed_vfolder_hosts.items()
            }
        if update.allowed_docker_registries is not None:
            values["allowed_docker_registries"] = list(update.allowed_docker_registries)
        if update.integration_id is not None:
            values["integration_id"] = update.integration_id
        renaming = update.new_name is not None and update.new_name != name
        try:
            async with begin(self._engine) as conn:
                if not values:
                    return await self._get(conn, name)
                row = (
                    await conn.execute(
                        sa.update(domains)
                        .where(domains.c.name == name)
                        .values(**values)
                        .returning(*_COLUMNS)
                    )
                ).first()
                if row is not None and renaming:
                    # folders keep the domain by name without a foreign key
                    await conn.execute(
                        sa.update(vfolders)
                        .where(vfolders.c.domain_name == name)
                        .values(domain_name=update.new_name)
                    )
        except sa.exc.IntegrityError:
            raise DomainConflict(f"A domain named {update.new_name!r} already exists") from None
        return _record(row) if row is not None else None

    async def access_keys(self, name: str) -> list[str]:
        """The access keys of every user of the domain."""
        query = (
            sa.select(keypairs.c.access_key)
            .select_from(keypairs.join(users, keypairs.c.user == users.c.uuid))
            .where(users.c.domain_name == name)
        )
        async with begin_readonly(self._engine) as conn:
            return list((await conn.execute(query)).scalars())

    async def soft_delete(self, name: str) -> bool:
        stmt = (
            sa.update(domains)
            .where(domains.c.name == name)
            .values(is_active=False, status=DomainStatus.DELETED)
        )
        async with begin(self._engine) as conn:
            result = await conn.execute(stmt)
        return result.rowcount > 0

    async def purge(self, name: str) -> DomainPurge | None:
        """Delete the domain unless anything still refers to it; None if there is no such one.

        The row is locked first, so nothing can join the domain between the check and the delete.
        """
        async with begin(self._engine) as conn:
            domain_id = (
                await conn.execute(
                    sa.select(domains.c.id).where(domains.c.name == name).with_for_update()
                )
            ).scalar_one_or_none()
            if domain_id is None:
                return None
            counts = (
                await conn.execute(
                    sa.select(
                        _count(users, users.c.domain_name == name),
                        _count(groups, groups.c.domain_name == name),
                        _count(sessions, sessions.c.domain_name == name),
                        _count(sgroups_for_domains, sgroups_for_domains.c.domain_id == domain_id),
                    )
                )
            ).one()
            dependants = DomainDependants(*(int(count) for count in counts))
            if dependants.describe():
                return DomainPurge(purged=False, dependants=dependants)
            await conn.execute(sa.delete(domains).where(domains.c.name == name))
        return DomainPurge(purged=True, dependants=dependants)


def _count(table: sa.Table, condition: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
    return sa.select(sa.func.count()).select_from(table).where(condition).scalar_subquery()
