"""What creating a session needs to know about its owner, project and resource groups."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

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
from ai.backend.manager.types import (
    SESSION_TERMINAL_STATUSES,
    DefaultForUnspecified,
    SessionStatus,
)


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


@dataclass(frozen=True, slots=True)
class AdmissionFacts:
    """What creating a session checks before it enqueues, read in one transaction."""

    owner: SessionOwner
    live_session_id: uuid.UUID | None  # the owner's live session of the same name
    project: ProjectRef | None  # the named project in the owner's domain
    is_member: bool  # the owner belongs to that project
    resource_groups: list[ResourceGroupRef]  # active ones open to the domain, project or keypair
    quota: QuotaState
    allowed_registries: list[str]  # the domain's `allowed_docker_registries`


def _text(value: object) -> str:
    return str(getattr(value, "value", value))


_OWNER_COLUMNS = (
    keypairs.c.access_key,
    users.c.uuid,
    users.c.email,
    users.c.username,
    users.c.role,
    users.c.domain_name,
    domains.c.id.label("domain_id"),
    domains.c.total_resource_slots.label("domain_slots"),
    domains.c.allowed_docker_registries,
    keypairs.c.resource_policy.label("policy_name"),
    keypair_resource_policies.c.max_containers_per_session,
    keypair_resource_policies.c.total_resource_slots,
    keypair_resource_policies.c.default_for_unspecified,
    keypair_resource_policies.c.max_pending_session_count,
    keypair_resource_policies.c.max_pending_session_resource_slots,
)
_OWNERS = (
    keypairs.join(users, users.c.uuid == keypairs.c.user)
    .join(domains, domains.c.name == users.c.domain_name)
    .outerjoin(
        keypair_resource_policies,
        keypair_resource_policies.c.name == keypairs.c.resource_policy,
    )
)


def _owner_from_row(row: Any) -> SessionOwner:
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


def _project_condition(name_or_id: str) -> sa.ColumnElement[bool]:
    try:
        return groups.c.id == uuid.UUID(name_or_id)
    except ValueError:
        return groups.c.name == name_or_id


class SessionLookupRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def owner_of(self, access_key: str) -> SessionOwner | None:
        query = sa.select(*_OWNER_COLUMNS).select_from(_OWNERS)
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query.where(keypairs.c.access_key == access_key))).first()
        return _owner_from_row(row) if row is not None else None

    async def admission(
        self, access_key: str, session_name: str, project: str
    ) -> AdmissionFacts | None:
        """Everything creating a session checks, in one read-only transaction: the owner (None
        when the access key is unknown) and its policy, a live session of the same name, the
        project (name or id, in the owner's domain) and the membership, the open resource
        groups, and the slot limits and pending queue the quota rules weigh."""
        live_session = (
            sa.select(sessions.c.id)
            .where(
                sessions.c.name == session_name,
                sessions.c.user_uuid == users.c.uuid,
                sessions.c.status.not_in(SESSION_TERMINAL_STATUSES),
            )
            .limit(1)
            .scalar_subquery()
        )
        membership = sa.exists().where(
            association_groups_users.c.user_id == users.c.uuid,
            association_groups_users.c.group_id == groups.c.id,
        )
        pending_count = (
            sa.select(sa.func.count())
            .where(
                sessions.c.access_key == keypairs.c.access_key,
                sessions.c.status == SessionStatus.PENDING,
            )
            .scalar_subquery()
        )
        query = (
            sa.select(
                *_OWNER_COLUMNS,
                live_session.label("live_session_id"),
                groups.c.id.label("project_id"),
                groups.c.name.label("project_name"),
                groups.c.is_active.label("project_active"),
                groups.c.total_resource_slots.label("project_slots"),
                membership.label("is_member"),
                pending_count.label("pending_count"),
            )
            .select_from(
                _OWNERS.outerjoin(
                    groups,
                    sa.and_(
                        groups.c.domain_name == users.c.domain_name, _project_condition(project)
                    ),
                )
            )
            .where(keypairs.c.access_key == access_key)
            .limit(1)
        )
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
            if row is None:
                return None
            owner = _owner_from_row(row)
            project_ref: ProjectRef | None = None
            resource_groups: list[ResourceGroupRef] = []
            if row.project_id is not None:
                project_ref = ProjectRef(
                    row.project_id, row.project_name, owner.domain_name, bool(row.project_active)
                )
                resource_groups = await _open_resource_groups(
                    conn, owner.domain_id, row.project_id, access_key
                )
            pending_slots: dict[str, Decimal] = {}
            if owner.max_pending_session_resource_slots:
                pending_slots = await _pending_slots(conn, access_key)
        return AdmissionFacts(
            owner=owner,
            live_session_id=row.live_session_id,
            project=project_ref,
            is_member=bool(row.is_member),
            resource_groups=resource_groups,
            quota=QuotaState(
                project_slots=dict(row.project_slots or {}),
                domain_slots=dict(row.domain_slots or {}),
                pending_count=int(row.pending_count or 0),
                pending_slots=pending_slots,
            ),
            allowed_registries=list(row.allowed_docker_registries or ()),
        )


async def _open_resource_groups(
    conn: AsyncConnection, domain_id: uuid.UUID, project_id: uuid.UUID, access_key: str
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
    rows = (await conn.execute(query)).all()
    return [ResourceGroupRef(r.name, r.id, dict(r.scheduler_opts or {})) for r in rows]


async def _pending_slots(conn: AsyncConnection, access_key: str) -> dict[str, Decimal]:
    """The slots the keypair's PENDING sessions ask for, per slot."""
    query = (
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
    return {r.slot_name: Decimal(r.amount or 0) for r in await conn.execute(query)}
