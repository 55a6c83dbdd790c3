"""Resource presets in PostgreSQL, and the occupancy snapshot `check-presets` answers from."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ai.backend.manager.data.resource_preset import (
    CheckPresetsSnapshot,
    PresetRecord,
    ScopeLimits,
)
from ai.backend.manager.errors.group import GroupNotFound
from ai.backend.manager.errors.resource import ResourcePresetConflict
from ai.backend.manager.models.agent import agent_resources, agents
from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.group import association_groups_users, groups
from ai.backend.manager.models.image import container_registries
from ai.backend.manager.models.kernel import kernels, resource_allocations
from ai.backend.manager.models.resource_policy import keypair_resource_policies
from ai.backend.manager.models.resource_preset import resource_presets
from ai.backend.manager.models.resource_slot_type import resource_slot_types
from ai.backend.manager.models.scaling_group import (
    scaling_groups,
    sgroups_for_domains,
    sgroups_for_groups,
    sgroups_for_keypairs,
)
from ai.backend.manager.repositories.db import begin, begin_readonly
from ai.backend.manager.types import (
    KERNEL_RESOURCE_OCCUPIED_STATUSES,
    KERNEL_RESOURCE_REQUESTED_STATUSES,
    AgentStatus,
    DefaultForUnspecified,
)

# cpu and mem are always known; other slots come from `resource_slot_types`.
_INTRINSIC_SLOTS = ("cpu", "mem")
_HOLDING_STATUSES = KERNEL_RESOURCE_OCCUPIED_STATUSES | KERNEL_RESOURCE_REQUESTED_STATUSES


@dataclass
class _Occupancy:
    keypair: dict[str, Decimal] = field(default_factory=dict)
    group: dict[str, Decimal] = field(default_factory=dict)
    domain: dict[str, Decimal] = field(default_factory=dict)
    user_per_sgroup: dict[str, dict[str, Decimal]] = field(default_factory=dict)


def _decimals(slots: dict[str, Any] | None) -> dict[str, Decimal]:
    """A `total_resource_slots` read through a scalar subquery (raw JSON: strings)."""
    return {name: Decimal(str(value)) for name, value in (slots or {}).items()}


def _preset(row: sa.Row[Any]) -> PresetRecord:
    return PresetRecord(
        id=row.id,
        name=row.name,
        resource_slots=dict(row.resource_slots or {}),
        shared_memory=row.shared_memory,
        scaling_group_name=row.scaling_group_name,
    )


def _scope_clause(scaling_group: str | None, *, include_global: bool) -> sa.ColumnElement[bool]:
    """Global presets, and/or those of one scaling group."""
    is_global = resource_presets.c.scaling_group_name.is_(None)
    if scaling_group is None:
        return is_global
    in_group = resource_presets.c.scaling_group_name == scaling_group
    return sa.or_(is_global, in_group) if include_global else in_group


class ResourcePresetRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- presets --------------------------------------------------------------------------

    async def list_presets(
        self, *, scaling_group: str | None = None, include_global: bool = True
    ) -> list[PresetRecord]:
        query = (
            sa.select(resource_presets)
            .where(_scope_clause(scaling_group, include_global=include_global))
            .order_by(resource_presets.c.name, resource_presets.c.scaling_group_name)
        )
        async with begin_readonly(self._engine) as conn:
            return [_preset(row) for row in await conn.execute(query)]

    async def list_all(self) -> list[PresetRecord]:
        query = sa.select(resource_presets).order_by(
            resource_presets.c.name, resource_presets.c.scaling_group_name
        )
        async with begin_readonly(self._engine) as conn:
            return [_preset(row) for row in await conn.execute(query)]

    async def find(
        self, *, preset_id: uuid.UUID | None = None, name: str | None = None
    ) -> list[PresetRecord]:
        query = sa.select(resource_presets)
        if preset_id is not None:
            query = query.where(resource_presets.c.id == preset_id)
        if name is not None:
            query = query.where(resource_presets.c.name == name)
        async with begin_readonly(self._engine) as conn:
            return [_preset(row) for row in await conn.execute(query)]

    async def scaling_group_exists(self, name: str) -> bool:
        query = sa.select(scaling_groups.c.name).where(scaling_groups.c.name == name)
        async with begin_readonly(self._engine) as conn:
            return (await conn.execute(query)).first() is not None

    async def create(self, values: dict[str, Any]) -> PresetRecord:
        try:
            async with begin(self._engine) as conn:
                row = (
                    await conn.execute(
                        sa.insert(resource_presets).values(values).returning(resource_presets)
                    )
                ).one()
        except IntegrityError as e:
            raise ResourcePresetConflict(
                f"A resource preset named {values.get('name')!r} already exists in that scope"
            ) from e
        return _preset(row)

    async def update(self, preset_id: uuid.UUID, values: dict[str, Any]) -> PresetRecord | None:
        try:
            async with begin(self._engine) as conn:
                stmt = (
                    sa.update(resource_presets)
                    .where(resource_presets.c.id == preset_id)
                    .values(values)
                    .returning(resource_presets)
                )
                row = (await conn.execute(stmt)).first()
        except IntegrityError as e:
            raise ResourcePresetConflict(
                "Another resource preset already has that name in that scope"
            ) from e
        return _preset(row) if row is not None else None

    async def delete(self, preset_id: uuid.UUID) -> PresetRecord | None:
        async with begin(self._engine) as conn:
            stmt = (
                sa.delete(resource_presets)
                .where(resource_presets.c.id == preset_id)
                .returning(resource_presets)
            )
            row = (await conn.execute(stmt)).first()
        return _preset(row) if row is not None else None

    async def container_registries(self) -> dict[str, str]:
        """`{"<project>/<registry name>": url}` of every registered registry."""
        query = sa.select(
            container_registries.c.registry_name,
            container_registries.c.project,
            container_registries.c.url,
        ).order_by(container_registries.c.registry_name, container_registries.c.project)
        async with begin_readonly(self._engine) as conn:
            return {
                f"{row.project}/{row.registry_name}": row.url for row in await conn.execute(query)
            }

    # --- check-presets --------------------------------------------------------------------

    async def check_presets_snapshot(
        self,
        *,
        access_key: str,
        keypair_policy: str,
        user_id: uuid.UUID,
        domain_name: str,
        group_name: str,
        scaling_group: str | None,
        require_membership: bool,
    ) -> tuple[CheckPresetsSnapshot, list[str]]:
        """The limits, occupancy and agent room the caller's presets are checked against, and
        the scaling groups the caller may use: four statements in one transaction, whatever
        the number of agents and sessions."""
        async with begin_readonly(self._engine) as conn:
            ctx = await self._context(
                conn,
                access_key=access_key,
                keypair_policy=keypair_policy,
                user_id=user_id,
                domain_name=domain_name,
                group_name=group_name,
            )
            if ctx.group_id is None:
                raise GroupNotFound(f"No project named {group_name!r} in domain {domain_name!r}")
            if require_membership and not ctx.is_member:
                raise GroupNotFound(f"You are not a member of the project {group_name!r}")
            group_id: uuid.UUID = ctx.group_id
            allowed: list[str] = list(ctx.allowed or ())
            sgroup_names = allowed if scaling_group is None else [scaling_group]
            occupancy = await self._occupancy(
                conn,
                access_key=access_key,
                group_id=group_id,
                domain_name=domain_name,
                user_id=user_id,
                sgroup_names=sgroup_names,
            )
            agent_free = await self._agent_free_room(conn, sgroup_names)
            preset_rows = await conn.execute(
                sa.select(resource_presets)
                .where(_scope_clause(scaling_group, include_global=True))
                .order_by(resource_presets.c.name)
            )
            presets = [_preset(row) for row in preset_rows]
        known = list(_INTRINSIC_SLOTS)
        known.extend(name for name in ctx.slot_names or () if name not in _INTRINSIC_SLOTS)
        snapshot = CheckPresetsSnapshot(
            known_slots=known,
            keypair_limits=ScopeLimits(
                total_resource_slots=_decimals(ctx.policy_slots),
                default_for_unspecified=ctx.policy_default or DefaultForUnspecified.LIMITED,
            ),
            keypair_using=occupancy.keypair,
            group_limits=ScopeLimits(
                total_resource_slots=_decimals(ctx.group_slots),
                default_for_unspecified=DefaultForUnspecified.UNLIMITED,
            ),
            group_using=occupancy.group,
            domain_limits=ScopeLimits(
                total_resource_slots=_decimals(ctx.domain_slots),
                default_for_unspecified=DefaultForUnspecified.UNLIMITED,
            ),
            domain_using=occupancy.domain,
            user_using_per_sgroup=occupancy.user_per_sgroup,
            agent_free_per_sgroup=agent_free,
            presets=presets,
        )
        return snapshot, allowed

    @staticmethod
    async def _context(
        conn: AsyncConnection,
        *,
        access_key: str,
        keypair_policy: str,
        user_id: uuid.UUID,
        domain_name: str,
        group_name: str,
    ) -> sa.Row[Any]:
        """The project, the caller's membership, the keypair policy, the domain, the known slot
        names and the scaling groups the caller may use, in one statement of subqueries."""
        group = sa.select(groups.c.id, groups.c.total_resource_slots).where(
            groups.c.name == group_name, groups.c.domain_name == domain_name
        )
        policy = keypair_resource_policies.c
        domain = sa.select(domains.c.id, domains.c.total_resource_slots).where(
            domains.c.name == domain_name
        )
        membership = sa.exists().where(
            association_groups_users.c.user_id == user_id,
            association_groups_users.c.group_id
            == group.with_only_columns(groups.c.id).scalar_subquery(),
        )
        slot_names = sa.func.array(
            sa.select(resource_slot_types.c.slot_name)
            .where(resource_slot_types.c.enabled.is_(True))
            .order_by(resource_slot_types.c.rank, resource_slot_types.c.slot_name)
            .scalar_subquery()
        )
        group_id = group.with_only_columns(groups.c.id).scalar_subquery()
        domain_id = domain.with_only_columns(domains.c.id).scalar_subquery()
        opened_to_caller = sa.union(
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
        allowed = sa.func.array(
            sa.select(scaling_groups.c.name)
            .where(scaling_groups.c.id.in_(opened_to_caller), scaling_groups.c.is_active.is_(True))
            .order_by(scaling_groups.c.name)
            .scalar_subquery()
        )
        query = sa.select(
            group_id.label("group_id"),
            group.with_only_columns(groups.c.total_resource_slots)
            .scalar_subquery()
            .label("group_slots"),
            membership.label("is_member"),
            sa.select(policy.total_resource_slots)
            .where(policy.name == keypair_policy)
            .scalar_subquery()
            .label("policy_slots"),
            sa.select(policy.default_for_unspecified)
            .where(policy.name == keypair_policy)
            .scalar_subquery()
            .label("policy_default"),
            domain.with_only_columns(domains.c.id).scalar_subquery().label("domain_id"),
            domain.with_only_columns(domains.c.total_resource_slots)
            .scalar_subquery()
            .label("domain_slots"),
            slot_names.label("slot_names"),
            allowed.label("allowed"),
        )
        return (await conn.execute(query)).one()

    async def known_slots(self) -> list[str]:
        async with begin_readonly(self._engine) as conn:
            return await self._known_slots(conn)

    @staticmethod
    async def _known_slots(conn: AsyncConnection) -> list[str]:
        rows = await conn.execute(
            sa.select(resource_slot_types.c.slot_name)
            .where(resource_slot_types.c.enabled.is_(True))
            .order_by(resource_slot_types.c.rank, resource_slot_types.c.slot_name)
        )
        names = list(_INTRINSIC_SLOTS)
        names.extend(name for (name,) in rows if name not in _INTRINSIC_SLOTS)
        return names

    @staticmethod
    def _holding() -> list[sa.ColumnElement[bool]]:
        return [
            resource_allocations.c.free_at.is_(None),
            kernels.c.status.in_(_HOLDING_STATUSES),
        ]

    @staticmethod
    def _amount() -> sa.ColumnElement[Any]:
        return sa.func.coalesce(resource_allocations.c.used, resource_allocations.c.requested)

    async def _occupancy(
        self,
        conn: AsyncConnection,
        *,
        access_key: str,
        group_id: uuid.UUID,
        domain_name: str,
        user_id: uuid.UUID,
        sgroup_names: list[str],
    ) -> _Occupancy:
        """What the keypair, the project, the domain and (per scaling group) the user hold,
        slot by slot: one pass over the live allocations."""
        amount = self._amount()
        mine = kernels.c.user_uuid == user_id
        query = (
            sa.select(
                kernels.c.scaling_group,
                resource_allocations.c.slot_name,
                sa.func.sum(amount).filter(kernels.c.access_key == access_key).label("kp"),
                sa.func.sum(amount).filter(kernels.c.group_id == group_id).label("grp"),
                sa.func.sum(amount).filter(kernels.c.domain_name == domain_name).label("dom"),
                sa.func.sum(amount).filter(mine).label("usr"),
            )
            .select_from(resource_allocations.join(kernels))
            .where(
                *self._holding(),
                sa.or_(
                    kernels.c.domain_name == domain_name,
                    kernels.c.access_key == access_key,
                    mine,
                ),
            )
            .group_by(kernels.c.scaling_group, resource_allocations.c.slot_name)
        )
        result = _Occupancy(user_per_sgroup={name: {} for name in sgroup_names})
        for row in await conn.execute(query):
            slot = row.slot_name
            for target, value in (
                (result.keypair, row.kp),
                (result.group, row.grp),
                (result.domain, row.dom),
            ):
                if value is not None:
                    target[slot] = target.get(slot, Decimal(0)) + Decimal(value)
            per_sgroup = result.user_per_sgroup.get(row.scaling_group)
            if per_sgroup is not None and row.usr is not None:
                per_sgroup[slot] = Decimal(row.usr)
        return result

    @staticmethod
    async def _agent_free_room(
        conn: AsyncConnection, sgroup_names: list[str]
    ) -> dict[str, list[dict[str, Decimal]]]:
        free: dict[str, list[dict[str, Decimal]]] = {name: [] for name in sgroup_names}
        if not sgroup_names:
            return free
        query = (
            sa.select(
                agents.c.id,
                agents.c.scaling_group,
                agent_resources.c.slot_name,
                (agent_resources.c.capacity - agent_resources.c.used).label("room"),
            )
            .select_from(agent_resources.join(agents))
            .where(
                agents.c.scaling_group.in_(sgroup_names),
                agents.c.schedulable.is_(True),
                agents.c.status == AgentStatus.ALIVE,
            )
        )
        per_agent: dict[str, dict[str, Decimal]] = defaultdict(dict)
        agent_group: dict[str, str] = {}
        for row in await conn.execute(query):
            per_agent[row.id][row.slot_name] = Decimal(row.room)
            agent_group[row.id] = row.scaling_group
        for agent_id, room in per_agent.items():
            free[agent_group[agent_id]].append(room)
        return free
