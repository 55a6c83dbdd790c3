"""The kernels that ran in a time window, with the slots they held: what usage reports sum."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.models.base import GUID
from ai.backend.manager.models.group import groups
from ai.backend.manager.models.kernel import kernels, resource_allocations
from ai.backend.manager.models.user import users
from ai.backend.manager.repositories.db import begin_readonly
from ai.backend.manager.types import KernelStatus


@dataclass(frozen=True, slots=True)
class KernelUsageRecord:
    id: uuid.UUID
    session_id: uuid.UUID
    session_name: str | None
    container_id: str | None
    domain_name: str
    group_id: uuid.UUID
    group_name: str
    user_uuid: uuid.UUID
    email: str | None
    full_name: str | None
    access_key: str | None
    agent: str | None
    image: str | None
    status: KernelStatus
    status_info: str | None
    status_changed: datetime | None
    status_history: Any
    cluster_mode: str
    created_at: datetime
    terminated_at: datetime | None
    resource_opts: dict[str, Any] | None
    attached_devices: dict[str, Any] | None
    last_stat: dict[str, Any] | None
    slots: dict[str, Decimal] = field(default_factory=dict)


class UsageRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def kernels_in_window(
        self,
        start: datetime,
        end: datetime,
        *,
        group_ids: Sequence[uuid.UUID] | None = None,
        domain_name: str | None = None,
        user_uuid: uuid.UUID | None = None,
    ) -> list[KernelUsageRecord]:
        """Kernels alive at some moment of [start, end) — created before `end`, not ended
        before `start` — never cancelled before running (two statements)."""
        query = (
            sa.select(
                kernels.c.id,
                kernels.c.session_id,
                kernels.c.session_name,
                kernels.c.container_id,
                kernels.c.domain_name,
                kernels.c.group_id,
                groups.c.name.label("group_name"),
                kernels.c.user_uuid,
                users.c.email,
                users.c.full_name,
                kernels.c.access_key,
                kernels.c.agent,
                kernels.c.image,
                kernels.c.status,
                kernels.c.status_info,
                kernels.c.status_changed,
                kernels.c.status_history,
                kernels.c.cluster_mode,
                kernels.c.created_at,
                kernels.c.terminated_at,
                kernels.c.resource_opts,
                kernels.c.attached_devices,
                kernels.c.last_stat,
            )
            .select_from(
                kernels.join(groups, groups.c.id == kernels.c.group_id).outerjoin(
                    users, users.c.uuid == kernels.c.user_uuid
                )
            )
            .where(
                kernels.c.created_at < end,
                sa.or_(kernels.c.terminated_at.is_(None), kernels.c.terminated_at >= start),
                kernels.c.status != KernelStatus.CANCELLED,
            )
            .order_by(kernels.c.created_at, kernels.c.id)
        )
        if group_ids is not None:
            query = query.where(kernels.c.group_id.in_(list(group_ids)))
        if domain_name is not None:
            query = query.where(kernels.c.domain_name == domain_name)
        if user_uuid is not None:
            query = query.where(kernels.c.user_uuid == user_uuid)
        async with begin_readonly(self._engine) as conn:
            rows = (await conn.execute(query)).all()
            slots: dict[uuid.UUID, dict[str, Decimal]] = defaultdict(dict)
            if rows:
                alloc = await conn.execute(
                    sa.select(
                        resource_allocations.c.kernel_id,
                        resource_allocations.c.slot_name,
                        sa.func.coalesce(
                            resource_allocations.c.used, resource_allocations.c.requested
                        ).label("amount"),
                    ).where(
                        resource_allocations.c.kernel_id
                        == sa.any_(_uuid_array([r.id for r in rows]))
                    )
                )
                for a in alloc:
                    if a.amount is not None:
                        slots[a.kernel_id][a.slot_name] = Decimal(a.amount)
        return [
            KernelUsageRecord(
                id=r.id,
                session_id=r.session_id,
                session_name=r.session_name,
                container_id=r.container_id,
                domain_name=r.domain_name,
                group_id=r.group_id,
                group_name=r.group_name,
                user_uuid=r.user_uuid,
                email=r.email,
                full_name=r.full_name,
                access_key=r.access_key,
                agent=r.agent,
                image=r.image,
                status=r.status,
                status_info=r.status_info,
                status_changed=r.status_changed,
                status_history=r.status_history,
                cluster_mode=str(getattr(r.cluster_mode, "value", r.cluster_mode)),
                created_at=r.created_at,
                terminated_at=r.terminated_at,
                resource_opts=r.resource_opts,
                attached_devices=r.attached_devices,
                last_stat=r.last_stat,
                slots=slots.get(r.id, {}),
            )
            for r in rows
        ]

    async def group_domains(self, group_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The domain of each of the given projects that exists."""
        query = sa.select(groups.c.id, groups.c.domain_name).where(groups.c.id.in_(list(group_ids)))
        async with begin_readonly(self._engine) as conn:
            return {row.id: row.domain_name for row in await conn.execute(query)}


def _uuid_array(ids: list[uuid.UUID]) -> sa.BindParameter[Any]:
    return sa.bindparam("kernel_ids", ids, type_=pg.ARRAY(GUID))
