"""The `User` object type, its inputs and mutation payloads, and the shared mutation outcome."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import strawberry

from ai.backend.manager.data.user import UserRecord
from ai.backend.manager.errors.base import BackendAIError, InvalidAPIParameters, ObjectNotFound
from ai.backend.manager.errors.resource_policy import ResourcePolicyConflict, ResourcePolicyInUse
from ai.backend.manager.errors.user import UserConflict, UserHasDependants

# Failures a mutation reports as `ok: false` with a message; refusals stay GraphQL errors.
_EXPECTED_FAILURES: tuple[type[BackendAIError], ...] = (
    ObjectNotFound,
    InvalidAPIParameters,
    UserConflict,
    UserHasDependants,
    ResourcePolicyConflict,
    ResourcePolicyInUse,
)


@dataclass(frozen=True, slots=True)
class Outcome[T]:
    ok: bool
    msg: str
    value: T | None = None


async def run_mutation[T](work: Awaitable[T]) -> Outcome[T]:
    """Run `work`; expected failures become `ok: false` with the error's message."""
    try:
        value = await work
    except _EXPECTED_FAILURES as e:
        return Outcome(ok=False, msg=str(e))
    return Outcome(ok=True, msg="success", value=value)


def set_fields(obj: object) -> dict[str, Any]:
    """The fields of an input object the caller actually set (null included)."""
    return {
        name: value
        for name, value in vars(obj).items()
        if value is not strawberry.UNSET and not name.startswith("_")
    }


@strawberry.type(name="UserGroup")
class UserGroup:
    id: uuid.UUID
    name: str


@strawberry.type(name="User")
class User:
    uuid: uuid.UUID
    id: strawberry.ID
    username: str
    email: str
    need_password_change: bool
    full_name: str | None
    description: str | None
    is_active: bool
    status: str
    status_info: str | None
    created_at: datetime | None
    modified_at: datetime | None
    domain_name: str
    role: str
    resource_policy: str
    allowed_client_ip: list[str] | None
    totp_activated: bool
    sudo_session_enabled: bool
    main_access_key: str | None
    container_uid: int | None
    container_main_gid: int | None
    container_gids: list[int] | None
    groups: list[UserGroup]

    @classmethod
    def from_record(cls, record: UserRecord) -> User:
        return cls(
            uuid=record.uuid,
            id=strawberry.ID(str(record.uuid)),
            username=record.username,
            email=record.email,
            need_password_change=record.need_password_change,
            full_name=record.full_name,
            description=record.description,
            is_active=record.status == "active",
            status=record.status,
            status_info=record.status_info,
            created_at=record.created_at,
            modified_at=record.modified_at,
            domain_name=record.domain_name,
            role=record.role,
            resource_policy=record.resource_policy,
            allowed_client_ip=record.allowed_client_ip,
            totp_activated=record.totp_activated,
            sudo_session_enabled=record.sudo_session_enabled,
            main_access_key=record.main_access_key,
            container_uid=record.container_uid,
            container_main_gid=record.container_main_gid,
            container_gids=record.container_gids,
            groups=[UserGroup(id=g.id, name=g.name) for g in record.groups],
        )


@strawberry.type(name="UserList")
class UserList:
    items: list[User]
    total_count: int


@strawberry.input(name="UserInput")
class UserInput:
    password: str
    username: str | None = strawberry.UNSET
    need_password_change: bool | None = strawberry.UNSET
    full_name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET
    status: str | None = strawberry.UNSET
    domain_name: str | None = strawberry.UNSET
    role: str | None = strawberry.UNSET
    group_ids: list[str] | None = strawberry.UNSET
    allowed_client_ip: list[str] | None = strawberry.UNSET
    totp_activated: bool | None = strawberry.UNSET
    resource_policy: str | None = strawberry.UNSET
    sudo_session_enabled: bool | None = strawberry.UNSET
    container_uid: int | None = strawberry.UNSET
    container_main_gid: int | None = strawberry.UNSET
    container_gids: list[int] | None = strawberry.UNSET


@strawberry.input(name="ModifyUserInput")
class ModifyUserInput:
    username: str | None = strawberry.UNSET
    password: str | None = strawberry.UNSET
    need_password_change: bool | None = strawberry.UNSET
    full_name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET
    status: str | None = strawberry.UNSET
    domain_name: str | None = strawberry.UNSET
    role: str | None = strawberry.UNSET
    group_ids: list[str] | None = strawberry.UNSET
    allowed_client_ip: list[str] | None = strawberry.UNSET
    totp_activated: bool | None = strawberry.UNSET
    resource_policy: str | None = strawberry.UNSET
    sudo_session_enabled: bool | None = strawberry.UNSET
    main_access_key: str | None = strawberry.UNSET
    container_uid: int | None = strawberry.UNSET
    container_main_gid: int | None = strawberry.UNSET
    container_gids: list[int] | None = strawberry.UNSET


@strawberry.input(name="PurgeUserInput")
class PurgeUserInput:
    purge_shared_vfolders: bool | None = False
    delegate_endpoint_ownership: bool | None = False


@strawberry.type(name="CreateUser")
class CreateUserPayload:
    ok: bool
    msg: str
    user: User | None


@strawberry.type(name="ModifyUser")
class ModifyUserPayload:
    ok: bool
    msg: str
    user: User | None


@strawberry.type(name="DeleteUser")
class DeleteUserPayload:
    ok: bool
    msg: str


@strawberry.type(name="PurgeUser")
class PurgeUserPayload:
    ok: bool
    msg: str


def parse_group_ids(values: list[str] | None) -> tuple[uuid.UUID, ...]:
    try:
        return tuple(uuid.UUID(v) for v in values or ())
    except ValueError:
        raise InvalidAPIParameters(f"group_ids must be project UUIDs: {values}") from None
