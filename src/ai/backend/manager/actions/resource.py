"""Operations on resource presets, container registries and usage reports."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from ai.backend.manager.actions.base import Action
from ai.backend.manager.services.auth.types import AuthenticatedUser


@dataclass(frozen=True, kw_only=True)
class ListResourcePresetsAction(Action):
    """Global presets, plus those of `scaling_group` when given (every user)."""

    entity_type: ClassVar[str] = "resource_preset"
    operation_type: ClassVar[str] = "list"

    requester: AuthenticatedUser
    scaling_group: str | None = None
    # False: only the presets of `scaling_group` (GraphQL's `scaling_group_name` filter)
    include_global: bool = True
    # True: every preset whatever its scope (GraphQL without a filter)
    everything: bool = False


@dataclass(frozen=True, kw_only=True)
class GetResourcePresetAction(Action):
    entity_type: ClassVar[str] = "resource_preset"
    operation_type: ClassVar[str] = "get"

    requester: AuthenticatedUser
    id: uuid.UUID | None = None
    name: str | None = None


@dataclass(frozen=True, kw_only=True)
class CheckResourcePresetsAction(Action):
    """What the caller's keypair may still launch, and which presets fit."""

    entity_type: ClassVar[str] = "resource_preset"
    operation_type: ClassVar[str] = "check"

    requester: AuthenticatedUser
    group: str
    scaling_group: str | None = None


@dataclass(frozen=True, kw_only=True)
class CreateResourcePresetAction(Action):
    entity_type: ClassVar[str] = "resource_preset"
    operation_type: ClassVar[str] = "create"

    requester: AuthenticatedUser
    name: str
    resource_slots: dict[str, Any]
    shared_memory: str | int | None = None
    scaling_group_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class ModifyResourcePresetAction(Action):
    """Change the given fields (`values`: name, resource_slots, shared_memory,
    scaling_group_name) of the preset named by `id` or by `name`."""

    entity_type: ClassVar[str] = "resource_preset"
    operation_type: ClassVar[str] = "modify"

    requester: AuthenticatedUser
    id: uuid.UUID | None = None
    name: str | None = None
    values: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class DeleteResourcePresetAction(Action):
    entity_type: ClassVar[str] = "resource_preset"
    operation_type: ClassVar[str] = "delete"

    requester: AuthenticatedUser
    id: uuid.UUID | None = None
    name: str | None = None


@dataclass(frozen=True, kw_only=True)
class ListContainerRegistriesAction(Action):
    """`{"<project>/<registry name>": url}` of the registered registries (superadmins)."""

    entity_type: ClassVar[str] = "container_registry"
    operation_type: ClassVar[str] = "list"

    requester: AuthenticatedUser


@dataclass(frozen=True, kw_only=True)
class UsagePerMonthAction(Action):
    entity_type: ClassVar[str] = "usage"
    operation_type: ClassVar[str] = "per_month"

    requester: AuthenticatedUser
    month: str
    group_ids: list[uuid.UUID] | None = None


@dataclass(frozen=True, kw_only=True)
class UsagePerPeriodAction(Action):
    entity_type: ClassVar[str] = "usage"
    operation_type: ClassVar[str] = "per_period"

    requester: AuthenticatedUser
    start_date: str
    end_date: str
    group_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class MonthStatsAction(Action):
    """Fifteen-minute bins over the last 30 days: the caller's kernels, or (`everyone`,
    superadmins) every kernel."""

    entity_type: ClassVar[str] = "usage"
    operation_type: ClassVar[str] = "month_stats"

    requester: AuthenticatedUser
    everyone: bool = False


@dataclass(frozen=True, kw_only=True)
class RecalculateUsageAction(Action):
    entity_type: ClassVar[str] = "usage"
    operation_type: ClassVar[str] = "recalculate"

    requester: AuthenticatedUser
