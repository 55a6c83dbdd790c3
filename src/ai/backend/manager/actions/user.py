"""Operations on user accounts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ai.backend.manager.actions.base import Action
from ai.backend.manager.services.auth.types import AuthenticatedUser


@dataclass(frozen=True, kw_only=True)
class ListUsersAction(Action):
    """A page of users (admins only); `limit=None` lists them all."""

    entity_type: ClassVar[str] = "user"
    operation_type: ClassVar[str] = "list"

    requester: AuthenticatedUser
    status: str | None = None
    is_active: bool | None = None
    group_id: uuid.UUID | None = None
    domain_name: str | None = None
    filter: str | None = None
    order: str | None = None
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True, kw_only=True)
class GetUserAction(Action):
    """One user by email or uuid; neither means the requester."""

    entity_type: ClassVar[str] = "user"
    operation_type: ClassVar[str] = "get"

    requester: AuthenticatedUser
    email: str | None = None
    user_uuid: uuid.UUID | None = None
    domain_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class CreateUserAction(Action):
    entity_type: ClassVar[str] = "user"
    operation_type: ClassVar[str] = "create"

    requester: AuthenticatedUser
    email: str
    password: str
    domain_name: str
    props: dict[str, Any] = field(default_factory=dict)
    group_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ModifyUserAction(Action):
    """Change the given fields (`props` holds only what the caller set)."""

    entity_type: ClassVar[str] = "user"
    operation_type: ClassVar[str] = "modify"

    requester: AuthenticatedUser
    email: str
    props: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class DeleteUserAction(Action):
    entity_type: ClassVar[str] = "user"
    operation_type: ClassVar[str] = "delete"

    requester: AuthenticatedUser
    email: str


@dataclass(frozen=True, kw_only=True)
class PurgeUserAction(Action):
    entity_type: ClassVar[str] = "user"
    operation_type: ClassVar[str] = "purge"

    requester: AuthenticatedUser
    email: str
    purge_shared_vfolders: bool = False


@dataclass(frozen=True, kw_only=True)
class UpdatePasswordAction(Action):
    """The requester changes their own password."""

    entity_type: ClassVar[str] = "user"
    operation_type: ClassVar[str] = "update_password"

    requester: AuthenticatedUser
    old_password: str
    new_password: str
    new_password_confirm: str
