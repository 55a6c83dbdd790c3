"""GraphQL root fields of container registries (superadmin only).

The legacy fields name a registry by `hostname` (every row of that name); the node fields by
row id (a UUID or a relay global id). Refusals and failures are GraphQL errors, as in the
reference schema (these mutations have no `ok`/`msg`).
"""

from __future__ import annotations

import json
from typing import Any

import strawberry
from strawberry.types import Info

from ai.backend.manager.actions.container_registry import (
    CreateRegistryAction,
    DeleteRegistryAction,
    GetRegistryAction,
    ListRegistriesAction,
    ModifyRegistryAction,
)
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.gql.types.container_registry import (
    ContainerRegistry,
    ContainerRegistryNode,
    ContainerRegistryTypeField,
    parse_registry_id,
)
from ai.backend.manager.api.gql.types.session import JSONString
from ai.backend.manager.data.image import RegistryInput
from ai.backend.manager.errors.container_registry import InvalidContainerRegistry
from ai.backend.manager.types import ContainerRegistryType

UNSET: Any = strawberry.UNSET


def _registry_type(value: str | None) -> ContainerRegistryType | None:
    if value is None or value is UNSET:
        return None
    try:
        return ContainerRegistryType(value.strip().lower())
    except ValueError:
        known = ", ".join(t.value for t in ContainerRegistryType)
        raise InvalidContainerRegistry(
            f"Unknown registry type {value!r} (known: {known})"
        ) from None


def _extra(value: str | None) -> dict[str, Any] | None:
    if value is None or value is UNSET:
        return None
    parsed = json.loads(value)
    if not isinstance(parsed, dict):
        raise InvalidContainerRegistry("`extra` must be a JSON object")
    return parsed


def _given[T](value: T | None) -> T | None:
    return None if value is UNSET else value


def _cleared(**fields: object) -> frozenset[str]:
    """Fields given as an explicit null (to be set to NULL)."""
    return frozenset(name for name, value in fields.items() if value is None)


@strawberry.input(name="CreateContainerRegistryInput")
class CreateContainerRegistryInput:
    url: str
    type: str
    project: list[str | None] | None = UNSET
    username: str | None = UNSET
    password: str | None = UNSET
    ssl_verify: bool | None = UNSET
    is_global: bool | None = UNSET


@strawberry.input(name="ModifyContainerRegistryInput")
class ModifyContainerRegistryInput:
    url: str | None = UNSET
    type: str | None = UNSET
    project: list[str | None] | None = UNSET
    username: str | None = UNSET
    password: str | None = UNSET
    ssl_verify: bool | None = UNSET
    is_global: bool | None = UNSET


@strawberry.input(name="AllowedGroups")
class AllowedGroups:
    add: list[str] | None = UNSET
    remove: list[str] | None = UNSET


@strawberry.input(name="CreateContainerRegistryNodeInputV2")
class CreateContainerRegistryNodeInputV2:
    url: str
    type: ContainerRegistryTypeField
    registry_name: str
    is_global: bool | None = UNSET
    project: str | None = UNSET
    username: str | None = UNSET
    password: str | None = UNSET
    ssl_verify: bool | None = UNSET
    extra: JSONString | None = UNSET
    allowed_groups: AllowedGroups | None = UNSET


@strawberry.input(name="ModifyContainerRegistryNodeInputV2")
class ModifyContainerRegistryNodeInputV2:
    url: str | None = UNSET
    type: ContainerRegistryTypeField | None = UNSET
    registry_name: str | None = UNSET
    is_global: bool | None = UNSET
    project: str | None = UNSET
    username: str | None = UNSET
    password: str | None = UNSET
    ssl_verify: bool | None = UNSET
    extra: JSONString | None = UNSET
    allowed_groups: AllowedGroups | None = UNSET


@strawberry.type(name="CreateContainerRegistry")
class CreateContainerRegistryPayload:
    container_registry: ContainerRegistry | None


@strawberry.type(name="ModifyContainerRegistry")
class ModifyContainerRegistryPayload:
    container_registry: ContainerRegistry | None


@strawberry.type(name="DeleteContainerRegistry")
class DeleteContainerRegistryPayload:
    container_registry: ContainerRegistry | None


@strawberry.type(name="ContainerRegistryNodePayload")
class ContainerRegistryNodePayload:
    container_registry: ContainerRegistryNode | None


def _first_project(project: list[str | None] | None) -> str | None:
    if project is None or project is UNSET:
        return None
    return next((p for p in project if p), "")


def _props_input(
    props: CreateContainerRegistryNodeInputV2 | ModifyContainerRegistryNodeInputV2,
) -> RegistryInput:
    """The v2 mutations' input object, field by field."""
    return _node_input(
        registry_type=props.type,
        registry_name=props.registry_name,
        url=props.url,
        project=props.project,
        extra=props.extra,
        is_global=props.is_global,
        ssl_verify=props.ssl_verify,
        username=props.username,
        password=props.password,
    )


def _node_input(
    *,
    url: str | None,
    registry_type: str | None,
    registry_name: str | None,
    is_global: bool | None,
    project: str | None,
    username: str | None,
    password: str | None,
    ssl_verify: bool | None,
    extra: str | None,
) -> RegistryInput:
    return RegistryInput(
        type=_registry_type(registry_type),
        registry_name=_given(registry_name),
        project=_given(project),
        url=_given(url),
        is_global=_given(is_global),
        ssl_verify=_given(ssl_verify),
        username=_given(username),
        password=_given(password),
        extra=_extra(extra),
        cleared=_cleared(project=project, username=username, password=password, extra=extra),
    )


async def _create_node(ctx: GQLContext, values: RegistryInput) -> ContainerRegistryNodePayload:
    row = await ctx.processors.container_registry.create.run(
        CreateRegistryAction(requester=ctx.user, values=values)
    )
    return ContainerRegistryNodePayload(container_registry=ContainerRegistryNode.from_record(row))


async def _modify_node(
    ctx: GQLContext, id: str, values: RegistryInput
) -> ContainerRegistryNodePayload:
    rows = await ctx.processors.container_registry.modify.run(
        ModifyRegistryAction(requester=ctx.user, registry_id=parse_registry_id(id), values=values)
    )
    return ContainerRegistryNodePayload(
        container_registry=ContainerRegistryNode.from_record(rows[0]) if rows else None
    )


async def _delete_node(ctx: GQLContext, id: str) -> ContainerRegistryNodePayload:
    rows = await ctx.processors.container_registry.delete.run(
        DeleteRegistryAction(requester=ctx.user, registry_id=parse_registry_id(id))
    )
    return ContainerRegistryNodePayload(
        container_registry=ContainerRegistryNode.from_record(rows[0]) if rows else None
    )


@strawberry.type
class ContainerRegistryQuery:
    @strawberry.field(description="Every registered registry row (deprecated shape).")
    async def container_registries(self, info: Info[GQLContext, None]) -> list[ContainerRegistry]:
        ctx = info.context
        rows = await ctx.processors.container_registry.list_all.run(
            ListRegistriesAction(requester=ctx.user)
        )
        return [ContainerRegistry.from_record(r) for r in rows]

    @strawberry.field(description="The first row of a registry name (deprecated shape).")
    async def container_registry(
        self, info: Info[GQLContext, None], hostname: str
    ) -> ContainerRegistry:
        ctx = info.context
        row = await ctx.processors.container_registry.get.run(
            GetRegistryAction(requester=ctx.user, hostname=hostname)
        )
        return ContainerRegistry.from_record(row)

    @strawberry.field(description="One registry row by id (a UUID or a global id).")
    async def container_registry_node(
        self, info: Info[GQLContext, None], id: str
    ) -> ContainerRegistryNode:
        ctx = info.context
        row = await ctx.processors.container_registry.get.run(
            GetRegistryAction(requester=ctx.user, registry_id=parse_registry_id(id))
        )
        return ContainerRegistryNode.from_record(row)

    @strawberry.field(description="Every registered registry row (node shape).")
    async def container_registry_node_list(
        self, info: Info[GQLContext, None]
    ) -> list[ContainerRegistryNode]:
        ctx = info.context
        rows = await ctx.processors.container_registry.list_all.run(
            ListRegistriesAction(requester=ctx.user)
        )
        return [ContainerRegistryNode.from_record(r) for r in rows]


@strawberry.type
class ContainerRegistryMutation:
    @strawberry.mutation(description="Register a registry (deprecated shape).")
    async def create_container_registry(
        self, info: Info[GQLContext, None], hostname: str, props: CreateContainerRegistryInput
    ) -> CreateContainerRegistryPayload:
        ctx = info.context
        values = RegistryInput(
            registry_name=hostname,
            url=props.url,
            type=_registry_type(props.type),
            project=_first_project(props.project) or None,
            username=_given(props.username),
            password=_given(props.password),
            ssl_verify=_given(props.ssl_verify),
            is_global=_given(props.is_global),
        )
        row = await ctx.processors.container_registry.create.run(
            CreateRegistryAction(requester=ctx.user, values=values)
        )
        return CreateContainerRegistryPayload(container_registry=ContainerRegistry.from_record(row))

    @strawberry.mutation(description="Change every row of a registry name (deprecated shape).")
    async def modify_container_registry(
        self, info: Info[GQLContext, None], hostname: str, props: ModifyContainerRegistryInput
    ) -> ModifyContainerRegistryPayload:
        ctx = info.context
        values = RegistryInput(
            url=_given(props.url),
            type=_registry_type(props.type),
            project=_first_project(props.project),
            username=_given(props.username),
            password=_given(props.password),
            ssl_verify=_given(props.ssl_verify),
            is_global=_given(props.is_global),
            cleared=_cleared(username=props.username, password=props.password),
        )
        rows = await ctx.processors.container_registry.modify.run(
            ModifyRegistryAction(requester=ctx.user, hostname=hostname, values=values)
        )
        return ModifyContainerRegistryPayload(
            container_registry=ContainerRegistry.from_record(rows[0]) if rows else None
        )

    @strawberry.mutation(description="Delete every row of a registry name, with its images.")
    async def delete_container_registry(
        self, info: Info[GQLContext, None], hostname: str
    ) -> DeleteContainerRegistryPayload:
        ctx = info.context
        rows = await ctx.processors.container_registry.delete.run(
            DeleteRegistryAction(requester=ctx.user, hostname=hostname)
        )
        return DeleteContainerRegistryPayload(
            container_registry=ContainerRegistry.from_record(rows[0]) if rows else None
        )

    @strawberry.mutation(description="Register a registry row.")
    async def create_container_registry_node(
        self,
        info: Info[GQLContext, None],
        url: str,
        type: ContainerRegistryTypeField,
        registry_name: str,
        is_global: bool | None = UNSET,
        project: str | None = UNSET,
        username: str | None = UNSET,
        password: str | None = UNSET,
        ssl_verify: bool | None = UNSET,
        extra: JSONString | None = UNSET,
    ) -> ContainerRegistryNodePayload:
        ctx = info.context
        values = _node_input(
            registry_type=type,
            registry_name=registry_name,
            url=url,
            project=project,
            extra=extra,
            is_global=is_global,
            ssl_verify=ssl_verify,
            username=username,
            password=password,
        )
        row = await ctx.processors.container_registry.create.run(
            CreateRegistryAction(requester=ctx.user, values=values)
        )
        return ContainerRegistryNodePayload(
            container_registry=ContainerRegistryNode.from_record(row)
        )

    @strawberry.mutation(description="Register a registry row.")
    async def create_container_registry_node_v2(
        self, info: Info[GQLContext, None], props: CreateContainerRegistryNodeInputV2
    ) -> ContainerRegistryNodePayload:
        return await _create_node(
            info.context,
            _props_input(props),
        )

    @strawberry.mutation(description="Change a registry row (a field left out keeps its value).")
    async def modify_container_registry_node(
        self,
        info: Info[GQLContext, None],
        id: str,
        url: str | None = UNSET,
        type: ContainerRegistryTypeField | None = UNSET,
        registry_name: str | None = UNSET,
        is_global: bool | None = UNSET,
        project: str | None = UNSET,
        username: str | None = UNSET,
        password: str | None = UNSET,
        ssl_verify: bool | None = UNSET,
        extra: JSONString | None = UNSET,
    ) -> ContainerRegistryNodePayload:
        values = _node_input(
            registry_type=type,
            registry_name=registry_name,
            url=url,
            project=project,
            extra=extra,
            is_global=is_global,
            ssl_verify=ssl_verify,
            username=username,
            password=password,
        )
        return await _modify_node(info.context, id, values)

    @strawberry.mutation(description="Change a registry row.")
    async def modify_container_registry_node_v2(
        self, info: Info[GQLContext, None], id: str, props: ModifyContainerRegistryNodeInputV2
    ) -> ContainerRegistryNodePayload:
        return await _modify_node(
            info.context,
            id,
            _props_input(props),
        )

    @strawberry.mutation(description="Delete a registry row, with its images.")
    async def delete_container_registry_node(
        self, info: Info[GQLContext, None], id: str
    ) -> ContainerRegistryNodePayload:
        return await _delete_node(info.context, id)

    @strawberry.mutation(description="Delete a registry row, with its images.")
    async def delete_container_registry_node_v2(
        self, info: Info[GQLContext, None], id: str
    ) -> ContainerRegistryNodePayload:
        return await _delete_node(info.context, id)
