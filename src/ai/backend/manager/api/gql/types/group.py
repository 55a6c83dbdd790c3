"""The `Group` (project) object type and its input types."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from ai.backend.manager.api.gql.types.domain import hosts_json
from ai.backend.manager.api.gql.types.session import JSONString, slots_json
from ai.backend.manager.data.group import GroupRecord


@strawberry.type(name="Group")
class Group:
    id: uuid.UUID
    name: str
    description: str | None
    is_active: bool
    created_at: datetime
    modified_at: datetime
    domain_name: str
    total_resource_slots: JSONString
    allowed_vfolder_hosts: JSONString
    integration_id: str | None
    resource_policy: str
    type: str

    @classmethod
    def from_record(cls, record: GroupRecord) -> Group:
        return cls(
            id=record.id,
            name=record.name,
            description=record.description,
            is_active=record.is_active,
            created_at=record.created_at,
            modified_at=record.updated_at,
            domain_name=record.domain_name,
            total_resource_slots=slots_json(record.total_resource_slots),
            allowed_vfolder_hosts=hosts_json(record.allowed_vfolder_hosts),
            integration_id=record.integration_id,
            resource_policy=record.resource_policy,
            type=record.type.upper().replace("-", "_"),
        )


@strawberry.input(name="GroupInput")
class GroupInput:
    domain_name: str
    description: str | None = ""
    is_active: bool | None = True
    total_resource_slots: JSONString | None = None
    allowed_vfolder_hosts: JSONString | None = None
    integration_id: str | None = None


@strawberry.input(name="ModifyGroupInput")
class ModifyGroupInput:
    name: str | None = None
    description: str | None = None
    is_active: bool | None = None
    total_resource_slots: JSONString | None = None
    allowed_vfolder_hosts: JSONString | None = None
    integration_id: str | None = None
    user_update_mode: str | None = None
    user_uuids: list[str] | None = None


@strawberry.type(name="CreateGroup")
class CreateGroupPayload:
    ok: bool
    msg: str
    group: Group | None = None


@strawberry.type(name="ModifyGroup")
class ModifyGroupPayload:
    ok: bool
    msg: str
    group: Group | None = None


@strawberry.type(name="DeleteGroup")
class DeleteGroupPayload:
    ok: bool
    msg: str


@strawberry.type(name="PurgeGroup")
class PurgeGroupPayload:
    ok: bool
    msg: str
