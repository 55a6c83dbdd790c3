"""Operations on scaling groups (resource groups): superadmins only, except for listing the
groups a caller may use in a project."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ai.backend.manager.actions.base import Action
from ai.backend.manager.data.scaling_group import (
    ScalingGroupSpec,
    ScalingGroupUpdate,
)
from ai.backend.manager.services.auth.types import AuthenticatedUser


@dataclass(frozen=True, kw_only=True)
class ListScalingGroupsAction(Action):
    entity_type: ClassVar[str] = "scaling_group"
    operation_type: ClassVar[str] = "search"

    requester: AuthenticatedUser
    is_active: bool | None = None


@dataclass(frozen=True, kw_only=True)
class GetScalingGroupAction(Action):
    entity_type: ClassVar[str] = "scaling_group"
    operation_type: ClassVar[str] = "get"

    requester: AuthenticatedUser
    name: str | None


@dataclass(frozen=True, kw_only=True)
class CreateScalingGroupAction(Action):
    entity_type: ClassVar[str] = "scaling_group"
    operation_type: ClassVar[str] = "create"

    requester: AuthenticatedUser
    spec: ScalingGroupSpec


@dataclass(frozen=True, kw_only=True)
class ModifyScalingGroupAction(Action):
    entity_type: ClassVar[str] = "scaling_group"
    operation_type: ClassVar[str] = "update"

    requester: AuthenticatedUser
    name: str
    update: ScalingGroupUpdate


@dataclass(frozen=True, kw_only=True)
class DeleteScalingGroupAction(Action):
    """Remove a scaling group; refused while agents or live sessions use it."""

    entity_type: ClassVar[str] = "scaling_group"
    operation_type: ClassVar[str] = "delete"

    requester: AuthenticatedUser
    name: str


@dataclass(frozen=True, kw_only=True)
class AssociateScalingGroupWithDomainAction(Action):
    entity_type: ClassVar[str] = "scaling_group"
    operation_type: ClassVar[str] = "associate"

    requester: AuthenticatedUser
    scaling_group: str
    domain_name: str


@dataclass(frozen=True, kw_only=True)
class DisassociateScalingGroupWithDomainAction(Action):
    """Close one scaling group to a domain, or every one when `scaling_group` is None."""

    entity_type: ClassVar[str] = "scaling_group"
    operation_type: ClassVar[str] = "disassociate"

    requester: AuthenticatedUser
    scaling_group: str | None
    domain_name: str


@dataclass(frozen=True, kw_only=True)
class AssociateScalingGroupWithGroupAction(Action):
    entity_type: ClassVar[str] = "scaling_group"
    operation_type: ClassVar[str] = "associate"

    requester: AuthenticatedUser
    scaling_group: str
    group_id: str


@dataclass(frozen=True, kw_only=True)
class DisassociateScalingGroupWithGroupAction(Action):
    """Close one scaling group to a project, or every one when `scaling_group` is None."""

    entity_type: ClassVar[str] = "scaling_group"
    operation_type: ClassVar[str] = "disassociate"

    requester: AuthenticatedUser
    scaling_group: str | None
    group_id: str


@dataclass(frozen=True, kw_only=True)
class AssociateScalingGroupWithKeypairAction(Action):
    entity_type: ClassVar[str] = "scaling_group"
    operation_type: ClassVar[str] = "associate"

    requester: AuthenticatedUser
    scaling_group: str
    access_key: str


@dataclass(frozen=True, kw_only=True)
class DisassociateScalingGroupWithKeypairAction(Action):
    entity_type: ClassVar[str] = "scaling_group"
    operation_type: ClassVar[str] = "disassociate"

    requester: AuthenticatedUser
    scaling_group: str
    access_key: str


@dataclass(frozen=True, kw_only=True)
class ListAvailableScalingGroupsAction(Action):
    """The active groups the requester may use in a project (given by name or id): those opened
    to the project's domain, to the project and to the requester's keypair."""

    entity_type: ClassVar[str] = "scaling_group"
    operation_type: ClassVar[str] = "search"

    requester: AuthenticatedUser
    group: str
