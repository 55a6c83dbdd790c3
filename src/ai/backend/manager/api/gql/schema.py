"""The GraphQL schema: the root query and mutation types, merged from one module per area."""

import strawberry
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types.base import get_object_definition

from ai.backend.manager.api.gql.agent import AgentMutation, AgentQuery
from ai.backend.manager.api.gql.container_registry import (
    ContainerRegistryMutation,
    ContainerRegistryQuery,
)
from ai.backend.manager.api.gql.domain import DomainMutation, DomainQuery
from ai.backend.manager.api.gql.group import GroupMutation, GroupQuery
from ai.backend.manager.api.gql.image import ImageMutation, ImageQuery
from ai.backend.manager.api.gql.keypair import KeypairMutation, KeypairQuery
from ai.backend.manager.api.gql.resource_policy import (
    ResourcePolicyMutation,
    ResourcePolicyQuery,
)
from ai.backend.manager.api.gql.resource_preset import ResourcePresetMutation, ResourcePresetQuery
from ai.backend.manager.api.gql.scaling_group import ScalingGroupMutation, ScalingGroupQuery
from ai.backend.manager.api.gql.session import SessionQuery
from ai.backend.manager.api.gql.storage import StorageMutation, StorageQuery
from ai.backend.manager.api.gql.types.session import JSON_STRING_SCALAR, JSONString
from ai.backend.manager.api.gql.user import UserMutation, UserQuery
from ai.backend.manager.api.gql.vfolder import VFolderQuery

Query = merge_types(
    "Query",
    (
        SessionQuery,
        DomainQuery,
        GroupQuery,
        ScalingGroupQuery,
        UserQuery,
        KeypairQuery,
        ResourcePolicyQuery,
        AgentQuery,
        ImageQuery,
        ContainerRegistryQuery,
        StorageQuery,
        ResourcePresetQuery,
        VFolderQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        DomainMutation,
        GroupMutation,
        ScalingGroupMutation,
        UserMutation,
        KeypairMutation,
        ResourcePolicyMutation,
        AgentMutation,
        ImageMutation,
        ContainerRegistryMutation,
        StorageMutation,
        ResourcePresetMutation,
    ),
)


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        # no mutation type until an area defines one (GraphQL forbids an empty type)
        mutation=Mutation if get_object_definition(Mutation, strict=True).fields else None,
        # the client sends the same few query texts over and over: parse and validate them once
        extensions=[lambda: ParserCache(maxsize=256), lambda: ValidationCache(maxsize=256)],
        config=StrawberryConfig(auto_camel_case=False, scalar_map={JSONString: JSON_STRING_SCALAR}),
    )
