"""Operations on groups (projects). Domain admins act inside their own domain only."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ai.backend.manager.actions.base import Action
from ai.backend.manager.data.group import GroupSpec, GroupUpdate
from ai.backend.manager.services.auth.types import AuthenticatedUser


class MembershipChange(enum.StrEnum):
    ADD = "add"
    REMOVE = "remove"


@dataclass(frozen=True, kw_only=True)
class ListGroupsAction(Action):
    """Projects of one domain, or of every domain (superadmins) when `domain_name` is None."""

    entity_type: ClassVar[str] = "group"
    operation_type: ClassVar[str] = "search"

    requester: AuthenticatedUser
    domain_name: str | None = None
    is_active: bool | None = None


@dataclass(frozen=True, kw_only=True)
class ListGroupsByNameAction(Action):
    """Projects with this name: in one domain, or across domains when `domain_name` is None."""

    entity_type: ClassVar[str] = "group"
    operation_type: ClassVar[str] = "search"

    requester: AuthenticatedUser
    name: str
    domain_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class GetGroupAction(Action):
    entity_type: ClassVar[str] = "group"
    operation_type: ClassVar[str] = "get"

    requester: AuthenticatedUser
    group_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class CreateGroupAction(Action):
    entity_type: ClassVar[str] = "group"
    operation_type: ClassVar[str] = "create"

    requester: AuthenticatedUser
    spec: GroupSpec


@dataclass(frozen=True, kw_only=True)
class ModifyGroupAction(Action):
    """Change a project's fields and/or add or remove members."""

    entity_type: ClassVar[str] = "group"
    operation_type: ClassVar[str] = "update"

    requester: AuthenticatedUser
    group_id: uuid.UUID
    update: GroupUpdate
    membership: MembershipChange | None = None
    user_ids: Sequence[uuid.UUID] = ()


@dataclass(frozen=True, kw_only=True)
class DeleteGroupAction(Action):
    """Deactivate a project (it stays in the database)."""

    entity_type: ClassVar[str] = "group"
    operation_type: ClassVar[str] = "delete"

    requester: AuthenticatedUser
    group_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class PurgeGroupAction(Action):
    """Remove a project for good; refused while it has live sessions or folders."""

    entity_type: ClassVar[str] = "group"
    operation_type: ClassVar[str] = "purge"

    requester: AuthenticatedUser
    group_id: uuid.UUID
