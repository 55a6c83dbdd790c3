"""What creating a session needs to know about its owner, project and resource groups."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.group import association_groups_users, groups
from ai.backend.manager.models.kernel import kernels, resource_allocations
from ai.backend.manager.models.keypair import keypairs
from ai.backend.manager.models.resource_policy import keypair_resource_policies
from ai.backend.manager.models.scaling_group import (
    scaling_groups,
    sgroups_for_domains,
    sgroups_for_groups,
    sgroups_for_keypairs,
)
from ai.backend.manager.models.session import sessions
from ai.backend.manager.models.user import users
from ai.backend.manager.repositories.db import begin_readonly
from ai.backend.manager.types import DefaultForUnspecified, SessionStatus


@dataclass(frozen=True, slots=True)
class SessionOwner:
    access_key: str
    user_uuid: uuid.UUID
    email: str
    username: str | None
    role: str
    domain_name: str
    domain_id: uuid.UUID
    # the keypair's resource policy (name), and its limits; None when it has no policy row
    keypair_resource_policy: str | None = None
    max_containers_per_session: int | None = None
    total_resource_slots: dict[str, Decimal] = field(default_factory=dict)
    default_for_unspecified: DefaultForUnspecified = DefaultForUnspecified.LIMITED
    max_pending_session_count: int | None = None
    max_pending_session_resource_slots: dict[str, Decimal] | None = None


@dataclass(frozen=True, slots=True)
class QuotaState:
    project_slots: dict[str, Decimal]
    domain_slots: dict[str, Decimal]
    pending_count: int
    pending_slots: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class ProjectRef:
    id: uuid.UUID
    name: str
    domain_name: str
    is_active: bool


@dataclass(frozen=True, slots=True)
class ResourceGroupRef:
    name: str
    id: uuid.UUID
    scheduler_opts: dict[str, Any]


def _text(value: object) -> str:
    return str(getattr(value, "value", value))


class SessionLookupRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def owner_of(self, access_key: str) -> SessionOwner | None:
        query = (
            sa.select(
                keypairs.c.access_key,
                users.c.uuid,
                users.c.email,
                users.c.username,
                users.c.role,
                users.c.domain_name,
                domains.c.id.label("domain_id"),
                keypairs.c.resource_policy.label("policy_name"),
                keypair_resource_policies.c.max_containers_per_session,
                keypair_resource_policies.c.total_resource_slots,
                keypair_resource_policies.c.default_for_unspecified,
                keypair_resource_policies.c.max_pending_session_count,
                keypair_resource_policies.c.max_pending_session_resource_slots,
            )
            .select_from(
                keypairs.join(users, users.c.uuid == keypairs.c.user)
                .join(domains, domains.c.name == users.c.domain_name)
                .outerjoin(
                    keypair_resource_policies,
                    keypair_resource_policies.c.name == keypairs.c.resource_policy,
                )
            )
            .where(keypairs.c.access_key == access_key)
        )
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return SessionOwner(
            access_key=row.access_key,
            user_uuid=row.uuid,
            email=row.email,
            username=row.username,
            role=_text(row.role),
            domain_name=row.domain_name,
            domain_id=row.domain_id,
            keypair_resource_policy=row.policy_name,
            max_containers_per_session=row.max_containers_per_session,
            total_resource_slots=dict(row.total_resource_slots or {}),
            default_for_unspecified=row.default_for_unspecified or DefaultForUnspecified.LIMITED,
            max_pending_session_count=row.max_pending_session_count,
            max_pending_session_resource_slots=(
                dict(row.max_pending_session_resource_slots)
                if row.max_pending_session_resource_slots
                else None
            ),
        )

    async def quota_state(
        self, access_key: str, project_id: uuid.UUID, domain_name: str
    ) -> QuotaState:
        """The project's and domain's slot limits and the keypair's pending queue, one read."""
        project_slots = (
            sa.select(groups.c.total_resource_slots)
            .where(groups.c.id == project_id)
            .scalar_subquery()
        )
        domain_slots = (
            sa.select(domains.c.total_resource_slots)
            .where(domains.c.name == domain_name)
            .scalar_subquery()
        )
        pending_count = (
            sa.select(sa.func.count())
            .where(
                sessions.c.access_key == access_key,
                sessions.c.status == SessionStatus.PENDING,
            )
            .scalar_subquery()
        )
        pending_slots = (
            sa.select(
                resource_allocations.c.slot_name,
                sa.func.sum(resource_allocations.c.requested).label("amount"),
            )
            .select_from(
                resource_allocations.join(
                    kernels, kernels.c.id == resource_allocations.c.kernel_id
                ).join(sessions, sessions.c.id == kernels.c.session_id)
            )
            .where(
                sessions.c.access_key == access_key,
                sessions.c.status == SessionStatus.PENDING,
            )
            .group_by(resource_allocations.c.slot_name)
        )
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(sa.select(project_slots, domain_slots, pending_count))).one()
            slots = {r.slot_name: Decimal(r.amount or 0) for r in await conn.execute(pending_slots)}
        return QuotaState(
            project_slots=dict(row[0] or {}),
            domain_slots=dict(row[1] or {}),
            pending_count=int(row[2] or 0),
            pending_slots=slots,
        )

    async def find_project(self, domain_name: str, name_or_id: str) -> ProjectRef | None:
        condition: sa.ColumnElement[bool]
        try:
            condition = groups.c.id == uuid.UUID(name_or_id)
        except ValueError:
            condition = groups.c.name == name_or_id
        query = sa.select(
            groups.c.id, groups.c.name, groups.c.domain_name, groups.c.is_active
        ).where(condition, groups.c.domain_name == domain_name)
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return ProjectRef(row.id, row.name, row.domain_name, bool(row.is_active))

    async def is_member(self, user_uuid: uuid.UUID, project_id: uuid.UUID) -> bool:
        query = sa.select(sa.literal(1)).where(
            association_groups_users.c.user_id == user_uuid,
            association_groups_users.c.group_id == project_id,
        )
        async with begin_readonly(self._engine) as conn:
            return (await conn.scalar(query)) is not None

    async def allowed_resource_groups(
        self, domain_id: uuid.UUID, project_id: uuid.UUID, access_key: str
    ) -> list[ResourceGroupRef]:
        """Active resource groups associated with the domain, the project or the keypair."""
        linked = sa.union(
            sa.select(sgroups_for_domains.c.resource_group_id.label("rg")).where(
                sgroups_for_domains.c.domain_id == domain_id
            ),
            sa.select(sgroups_for_groups.c.resource_group_id.label("rg")).where(
                sgroups_for_groups.c.group == project_id
            ),
            sa.select(sgroups_for_keypairs.c.resource_group_id.label("rg")).where(
                sgroups_for_keypairs.c.access_key == access_key
            ),
        ).subquery()
        query = (
            sa.select(scaling_groups.c.name, scaling_groups.c.id, scaling_groups.c.scheduler_opts)
            .where(
                scaling_groups.c.id.in_(sa.select(linked.c.rg)),
                sa.func.coalesce(scaling_groups.c.is_active, sa.true()),
            )
            .order_by(scaling_groups.c.name)
        )
        async with begin_readonly(self._engine) as conn:
            rows = (await conn.execute(query)).all()
        return [ResourceGroupRef(r.name, r.id, dict(r.scheduler_opts or {})) for r in rows]
