"""GraphQL root fields of resource presets (queries and mutations), merged into the schema."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable
from typing import Any

import strawberry
from strawberry.types import Info

from ai.backend.manager.actions.resource import (
    CreateResourcePresetAction,
    DeleteResourcePresetAction,
    GetResourcePresetAction,
    ListResourcePresetsAction,
    ModifyResourcePresetAction,
)
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.gql.types.resource_preset import (
    CreateResourcePresetInput,
    CreateResourcePresetPayload,
    DeleteResourcePresetPayload,
    ModifyResourcePresetInput,
    ModifyResourcePresetPayload,
    ResourcePreset,
)
from ai.backend.manager.api.gql.types.user import set_fields
from ai.backend.manager.data.resource_preset import PresetRecord
from ai.backend.manager.errors.base import InvalidAPIParameters, ObjectNotFound
from ai.backend.manager.errors.resource import InvalidResourcePresetInput, ResourcePresetConflict

# Failures a preset mutation reports as `ok: false`; refusals stay GraphQL errors.
_EXPECTED = (ObjectNotFound, InvalidAPIParameters, ResourcePresetConflict)


async def _attempt[T](work: Awaitable[T]) -> tuple[T | None, str | None]:
    try:
        return await work, None
    except _EXPECTED as e:
        return None, str(e)


def _slots(raw: str | None) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError as e:
        raise InvalidResourcePresetInput("resource_slots is not a JSON document") from e


@strawberry.type
class ResourcePresetQuery:
    @strawberry.field(description="A resource preset by name (or by id).")
    async def resource_preset(
        self,
        info: Info[GQLContext, None],
        name: str | None = None,
        id: uuid.UUID | None = None,
    ) -> ResourcePreset | None:
        ctx = info.context
        found = await ctx.processors.resource_preset.get.run(
            GetResourcePresetAction(requester=ctx.user, id=id, name=name)
        )
        return ResourcePreset.from_record(found) if found is not None else None

    @strawberry.field(description="A resource preset by id.")
    async def resource_preset_by_id(
        self, info: Info[GQLContext, None], id: uuid.UUID
    ) -> ResourcePreset | None:
        ctx = info.context
        found = await ctx.processors.resource_preset.get.run(
            GetResourcePresetAction(requester=ctx.user, id=id)
        )
        return ResourcePreset.from_record(found) if found is not None else None

    @strawberry.field(
        description="Every resource preset; `scaling_group_name` keeps that group's own presets."
    )
    async def resource_presets(
        self, info: Info[GQLContext, None], scaling_group_name: str | None = None
    ) -> list[ResourcePreset]:
        ctx = info.context
        records = await ctx.processors.resource_preset.list_presets.run(
            ListResourcePresetsAction(
                requester=ctx.user,
                scaling_group=scaling_group_name,
                include_global=False,
                everything=scaling_group_name is None,
            )
        )
        return [ResourcePreset.from_record(r) for r in records]


@strawberry.type
class ResourcePresetMutation:
    @strawberry.mutation(description="Create a resource preset (superadmins).")
    async def create_resource_preset(
        self, info: Info[GQLContext, None], name: str, props: CreateResourcePresetInput
    ) -> CreateResourcePresetPayload:
        ctx = info.context

        async def create() -> PresetRecord:
            return await ctx.processors.resource_preset.create.run(
                CreateResourcePresetAction(
                    requester=ctx.user,
                    name=name,
                    resource_slots=_slots(props.resource_slots),
                    shared_memory=props.shared_memory,
                    scaling_group_name=props.scaling_group_name,
                )
            )

        record, error = await _attempt(create())
        return CreateResourcePresetPayload(
            ok=error is None,
            msg=error or "success",
            resource_preset=ResourcePreset.from_record(record) if record else None,
        )

    @strawberry.mutation(description="Change the given fields of a preset (superadmins).")
    async def modify_resource_preset(
        self,
        info: Info[GQLContext, None],
        props: ModifyResourcePresetInput,
        id: uuid.UUID | None = None,
        name: str | None = None,
    ) -> ModifyResourcePresetPayload:
        ctx = info.context

        async def modify() -> PresetRecord:
            values = set_fields(props)
            if "resource_slots" in values:
                values["resource_slots"] = _slots(values["resource_slots"])
            return await ctx.processors.resource_preset.modify.run(
                ModifyResourcePresetAction(requester=ctx.user, id=id, name=name, values=values)
            )

        _, error = await _attempt(modify())
        return ModifyResourcePresetPayload(ok=error is None, msg=error or "success")

    @strawberry.mutation(description="Delete a resource preset (superadmins).")
    async def delete_resource_preset(
        self,
        info: Info[GQLContext, None],
        id: uuid.UUID | None = None,
        name: str | None = None,
    ) -> DeleteResourcePresetPayload:
        ctx = info.context
        _, error = await _attempt(
            ctx.processors.resource_preset.delete.run(
                DeleteResourcePresetAction(requester=ctx.user, id=id, name=name)
            )
        )
        return DeleteResourcePresetPayload(ok=error is None, msg=error or "success")
