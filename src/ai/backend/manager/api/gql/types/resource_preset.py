"""The `ResourcePreset` object type, its inputs and the mutation payloads."""

from __future__ import annotations

import uuid

import strawberry

from ai.backend.manager.api.gql.types.image import BigInt
from ai.backend.manager.api.gql.types.session import JSONString, slots_json
from ai.backend.manager.data.resource_preset import PresetRecord


@strawberry.type(name="ResourcePreset")
class ResourcePreset:
    id: uuid.UUID
    name: str
    resource_slots: JSONString
    shared_memory: BigInt | None
    scaling_group_name: str | None

    @classmethod
    def from_record(cls, record: PresetRecord) -> ResourcePreset:
        return cls(
            id=record.id,
            name=record.name,
            resource_slots=slots_json(record.resource_slots),
            shared_memory=record.shared_memory,
            scaling_group_name=record.scaling_group_name,
        )


@strawberry.input(name="CreateResourcePresetInput")
class CreateResourcePresetInput:
    resource_slots: JSONString
    shared_memory: str | None = None
    scaling_group_name: str | None = None


@strawberry.input(name="ModifyResourcePresetInput")
class ModifyResourcePresetInput:
    name: str | None = strawberry.UNSET
    resource_slots: JSONString | None = strawberry.UNSET
    shared_memory: str | None = strawberry.UNSET
    scaling_group_name: str | None = strawberry.UNSET


@strawberry.type(name="CreateResourcePreset")
class CreateResourcePresetPayload:
    ok: bool
    msg: str
    resource_preset: ResourcePreset | None


@strawberry.type(name="ModifyResourcePreset")
class ModifyResourcePresetPayload:
    ok: bool
    msg: str


@strawberry.type(name="DeleteResourcePreset")
class DeleteResourcePresetPayload:
    ok: bool
    msg: str
