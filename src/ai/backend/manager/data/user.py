"""User records and the specifications the user repository takes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class GroupRef:
    id: uuid.UUID
    name: str


@dataclass(frozen=True, slots=True)
class UserRecord:
    uuid: uuid.UUID
    username: str
    email: str
    need_password_change: bool
    full_name: str | None
    description: str | None
    status: str
    status_info: str | None
    role: str
    domain_name: str
    resource_policy: str
    allowed_client_ip: list[str] | None
    totp_activated: bool
    sudo_session_enabled: bool
    container_uid: int | None
    container_main_gid: int | None
    container_gids: list[int] | None
    created_at: datetime | None
    modified_at: datetime | None
    main_access_key: str | None
    groups: tuple[GroupRef, ...] = ()


@dataclass(frozen=True, slots=True)
class UserListFilter:
    """Which users a list covers; `None` means no restriction."""

    domain_name: str | None = None
    status: str | None = None
    is_active: bool | None = None
    group_id: uuid.UUID | None = None
    email: str | None = None
    user_uuid: uuid.UUID | None = None
    # a `filter` expression (the mini-language of paged lists) over the user list's fields
    expression: str | None = None


@dataclass(frozen=True, slots=True)
class NewKeypair:
    access_key: str
    secret_key: str
    ssh_public_key: str | None
    ssh_private_key: str | None


@dataclass(frozen=True, slots=True)
class UserCreateSpec:
    """A new user: `values` are the `users` columns to insert (password already hashed)."""

    values: dict[str, Any]
    group_ids: tuple[uuid.UUID, ...]
    keypair: NewKeypair
    keypair_is_admin: bool


@dataclass(frozen=True, slots=True)
class UserModifySpec:
    """Changed `users` columns; `group_ids` replaces the memberships when not None."""

    values: dict[str, Any] = field(default_factory=dict)
    group_ids: tuple[uuid.UUID, ...] | None = None
    main_access_key: str | None = None
    sync_keypair_admin: bool | None = None


@dataclass(frozen=True, slots=True)
class UserRemoval:
    """What removing or deactivating a user touched (for cache invalidation)."""

    user_uuid: uuid.UUID
    access_keys: tuple[str, ...]
