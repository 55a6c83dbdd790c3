"""Keypair, user and project resource policy object types, inputs and payloads."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import strawberry

from ai.backend.manager.api.gql.types.session import (
    JSONString,
    slots_json,
    to_json_string,
)
from ai.backend.manager.data.resource_policy import PolicyRow
from ai.backend.manager.errors.resource_policy import InvalidResourcePolicyInput
from ai.backend.manager.types import DefaultForUnspecified


@strawberry.type(name="KeyPairResourcePolicy")
class KeyPairResourcePolicy:
    id: uuid.UUID
    name: str
    created_at: datetime | None
    default_for_unspecified: str
    total_resource_slots: JSONString
    max_session_lifetime: int
    max_concurrent_sessions: int
    max_containers_per_session: int
    idle_timeout: int
    allowed_vfolder_hosts: JSONString
    max_pending_session_count: int | None
    max_pending_session_resource_slots: JSONString | None
    max_concurrent_sftp_sessions: int

    @classmethod
    def from_row(cls, row: PolicyRow) -> KeyPairResourcePolicy:
        pending = row["max_pending_session_resource_slots"]
        return cls(
            id=row["uuid"],
            name=row["name"],
            created_at=row["created_at"],
            default_for_unspecified=row["default_for_unspecified"].name,
            total_resource_slots=slots_json(row["total_resource_slots"]),
            max_session_lifetime=row["max_session_lifetime"],
            max_concurrent_sessions=row["max_concurrent_sessions"],
            max_containers_per_session=row["max_containers_per_session"],
            idle_timeout=row["idle_timeout"],
            allowed_vfolder_hosts=to_json_string(row["allowed_vfolder_hosts"] or {}),
            max_pending_session_count=row["max_pending_session_count"],
            max_pending_session_resource_slots=None if pending is None else slots_json(pending),
            max_concurrent_sftp_sessions=row["max_concurrent_sftp_sessions"],
        )


@strawberry.type(name="UserResourcePolicy")
class UserResourcePolicy:
    id: uuid.UUID
    name: str
    created_at: datetime | None
    max_vfolder_count: int
    max_quota_scope_size: int
    max_session_count_per_model_session: int
    max_customized_image_count: int

    @classmethod
    def from_row(cls, row: PolicyRow) -> UserResourcePolicy:
        return cls(
            id=row["uuid"],
            name=row["name"],
            created_at=row["created_at"],
            max_vfolder_count=row["max_vfolder_count"],
            max_quota_scope_size=row["max_quota_scope_size"],
            max_session_count_per_model_session=row["max_session_count_per_model_session"],
            max_customized_image_count=row["max_customized_image_count"],
        )


@strawberry.type(name="ProjectResourcePolicy")
class ProjectResourcePolicy:
    id: uuid.UUID
    name: str
    created_at: datetime | None
    max_vfolder_count: int
    max_quota_scope_size: int
    max_network_count: int

    @classmethod
    def from_row(cls, row: PolicyRow) -> ProjectResourcePolicy:
        return cls(
            id=row["uuid"],
            name=row["name"],
            created_at=row["created_at"],
            max_vfolder_count=row["max_vfolder_count"],
            max_quota_scope_size=row["max_quota_scope_size"],
            max_network_count=row["max_network_count"],
        )


@strawberry.input(name="CreateKeyPairResourcePolicyInput")
class CreateKeyPairResourcePolicyInput:
    default_for_unspecified: str | None = strawberry.UNSET
    total_resource_slots: str | None = strawberry.UNSET
    max_session_lifetime: int | None = strawberry.UNSET
    max_concurrent_sessions: int | None = strawberry.UNSET
    max_concurrent_sftp_sessions: int | None = strawberry.UNSET
    max_containers_per_session: int | None = strawberry.UNSET
    idle_timeout: int | None = strawberry.UNSET
    allowed_vfolder_hosts: str | None = strawberry.UNSET
    max_pending_session_count: int | None = strawberry.UNSET
    max_pending_session_resource_slots: str | None = strawberry.UNSET


@strawberry.input(name="ModifyKeyPairResourcePolicyInput")
class ModifyKeyPairResourcePolicyInput(CreateKeyPairResourcePolicyInput):
    pass


@strawberry.input(name="CreateUserResourcePolicyInput")
class CreateUserResourcePolicyInput:
    max_vfolder_count: int | None = strawberry.UNSET
    max_quota_scope_size: int | None = strawberry.UNSET
    max_session_count_per_model_session: int | None = strawberry.UNSET
    max_customized_image_count: int | None = strawberry.UNSET


@strawberry.input(name="ModifyUserResourcePolicyInput")
class ModifyUserResourcePolicyInput(CreateUserResourcePolicyInput):
    pass


@strawberry.input(name="CreateProjectResourcePolicyInput")
class CreateProjectResourcePolicyInput:
    max_vfolder_count: int | None = strawberry.UNSET
    max_quota_scope_size: int | None = strawberry.UNSET
    max_network_count: int | None = strawberry.UNSET


@strawberry.input(name="ModifyProjectResourcePolicyInput")
class ModifyProjectResourcePolicyInput(CreateProjectResourcePolicyInput):
    pass


@strawberry.type(name="CreateKeyPairResourcePolicy")
class CreateKeyPairResourcePolicyPayload:
    ok: bool
    msg: str
    resource_policy: KeyPairResourcePolicy | None


@strawberry.type(name="CreateUserResourcePolicy")
class CreateUserResourcePolicyPayload:
    ok: bool
    msg: str
    resource_policy: UserResourcePolicy | None


@strawberry.type(name="CreateProjectResourcePolicy")
class CreateProjectResourcePolicyPayload:
    ok: bool
    msg: str
    resource_policy: ProjectResourcePolicy | None


@strawberry.type(name="ResourcePolicyMutationResult")
class PolicyOkPayload:
    """The `{ ok msg }` answer of policy modifications and deletions."""

    ok: bool
    msg: str


def _json(field: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidResourcePolicyInput(f"{field} is not a JSON document: {e}") from None


def parse_slots(field: str, text: str) -> dict[str, Decimal]:
    """A resource slot JSON string (`{"cpu": "4", "mem": 1073741824}`) as exact amounts."""
    value = _json(field, text)
    if not isinstance(value, dict):
        raise InvalidResourcePolicyInput(f"{field} must be a JSON object of slot amounts")
    try:
        return {str(k): Decimal(str(v)) for k, v in value.items()}
    except InvalidOperation:
        raise InvalidResourcePolicyInput(f"{field} has a non-numeric amount") from None


def parse_vfolder_hosts(text: str) -> dict[str, list[str]]:
    value = _json("allowed_vfolder_hosts", text)
    if not isinstance(value, dict) or not all(
        isinstance(perms, list) and all(isinstance(p, str) for p in perms)
        for perms in value.values()
    ):
        raise InvalidResourcePolicyInput(
            "allowed_vfolder_hosts must map host names to lists of permission names"
        )
    return {str(k): list(v) for k, v in value.items()}


def keypair_policy_values(fields: dict[str, Any]) -> dict[str, Any]:
    """Column values from the set fields of a keypair policy input (JSON strings parsed)."""
    values: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "default_for_unspecified":
            if value is None:
                continue
            try:
                values[key] = DefaultForUnspecified[str(value).upper()]
            except KeyError:
                raise InvalidResourcePolicyInput(
                    "default_for_unspecified must be LIMITED or UNLIMITED"
                ) from None
        elif key == "total_resource_slots":
            if value is not None:
                values[key] = parse_slots(key, value)
        elif key == "max_pending_session_resource_slots":
            values[key] = None if value is None else parse_slots(key, value)
        elif key == "allowed_vfolder_hosts":
            if value is not None:
                values[key] = parse_vfolder_hosts(value)
        elif key == "max_pending_session_count" or value is not None:
            values[key] = value
    return values


def plain_policy_values(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}
