"""GraphQL root fields of scaling groups (resource groups), merged into the schema.

Everything here is for superadmins. Expected failures of a mutation (unknown names, name taken,
still in use) come back as `ok: false` with a message; refusals are GraphQL errors.
"""

import uuid
from collections.abc import Awaitable

import strawberry
from strawberry.types import Info

from ai.backend.manager.actions.scaling_group import (
    AssociateScalingGroupWithDomainAction,
    AssociateScalingGroupWithGroupAction,
    AssociateScalingGroupWithKeypairAction,
    CreateScalingGroupAction,
    DeleteScalingGroupAction,
    DisassociateScalingGroupWithDomainAction,
    DisassociateScalingGroupWithGroupAction,
    DisassociateScalingGroupWithKeypairAction,
    GetScalingGroupAction,
    ListScalingGroupsAction,
    ModifyScalingGroupAction,
)
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.gql.types.domain import parse_json_object
from ai.backend.manager.api.gql.types.scaling_group import (
    CreateScalingGroupInput,
    CreateScalingGroupPayload,
    DeleteScalingGroupPayload,
    ModifyScalingGroupInput,
    ModifyScalingGroupPayload,
    ScalingGroup,
    ScalingGroupAssociationPayload,
)
from ai.backend.manager.data.scaling_group import (
    ScalingGroupSpec,
    ScalingGroupUpdate,
)
from ai.backend.manager.errors.base import ObjectNotFound
from ai.backend.manager.errors.scaling_group import ScalingGroupConflict

_EXPECTED = (ObjectNotFound, ScalingGroupConflict)


async def _association(run: Awaitable[None]) -> ScalingGroupAssociationPayload:
    try:
        await run
    except _EXPECTED as e:
        return ScalingGroupAssociationPayload(ok=False, msg=str(e))
    return ScalingGroupAssociationPayload(ok=True, msg="success")


@strawberry.type
class ScalingGroupQuery:
    @strawberry.field(description="Every scaling group, or the active (inactive) ones.")
    async def scaling_groups(
        self, info: Info[GQLContext, None], is_active: bool | None = None
    ) -> list[ScalingGroup]:
        ctx = info.context
        records = await ctx.processors.scaling_group.search.run(
            ListScalingGroupsAction(requester=ctx.user, is_active=is_active)
        )
        return [ScalingGroup.from_record(r) for r in records]

    @strawberry.field(description="A scaling group by name; null if there is none.")
    async def scaling_group(
        self, info: Info[GQLContext, None], name: str | None = None
    ) -> ScalingGroup | None:
        ctx = info.context
        record = await ctx.processors.scaling_group.get.run(
            GetScalingGroupAction(requester=ctx.user, name=name)
        )
        return ScalingGroup.from_record(record) if record is not None else None


@strawberry.type
class ScalingGroupMutation:
    @strawberry.mutation
    async def create_scaling_group(
        self, info: Info[GQLContext, None], name: str, props: CreateScalingGroupInput
    ) -> CreateScalingGroupPayload:
        ctx = info.context
        spec = ScalingGroupSpec(
            name=name,
            description=props.description or "",
            is_active=props.is_active if props.is_active is not None else True,
            is_public=props.is_public if props.is_public is not None else True,
            wsproxy_addr=props.wsproxy_addr,
            wsproxy_api_token=props.wsproxy_api_token,
            driver=props.driver,
            driver_opts=parse_json_object(props.driver_opts, "driver_opts") or {},
            scheduler=props.scheduler,
            scheduler_opts=parse_json_object(props.scheduler_opts, "scheduler_opts") or {},
            use_host_network=bool(props.use_host_network),
        )
        try:
            record = await ctx.processors.scaling_group.create.run(
                CreateScalingGroupAction(requester=ctx.user, spec=spec)
            )
        except _EXPECTED as e:
            return CreateScalingGroupPayload(ok=False, msg=str(e))
        return CreateScalingGroupPayload(
            ok=True, msg="success", scaling_group=ScalingGroup.from_record(record)
        )

    @strawberry.mutation
    async def modify_scaling_group(
        self, info: Info[GQLContext, None], name: str, props: ModifyScalingGroupInput
    ) -> ModifyScalingGroupPayload:
        ctx = info.context
        update = ScalingGroupUpdate(
            description=props.description,
            is_active=props.is_active,
            is_public=props.is_public,
            wsproxy_addr=props.wsproxy_addr,
            wsproxy_api_token=props.wsproxy_api_token,
            driver=props.driver,
            driver_opts=parse_json_object(props.driver_opts, "driver_opts"),
            scheduler=props.scheduler,
            scheduler_opts=parse_json_object(props.scheduler_opts, "scheduler_opts"),
            use_host_network=props.use_host_network,
        )
        try:
            await ctx.processors.scaling_group.modify.run(
                ModifyScalingGroupAction(requester=ctx.user, name=name, update=update)
            )
        except _EXPECTED as e:
            return ModifyScalingGroupPayload(ok=False, msg=str(e))
        return ModifyScalingGroupPayload(ok=True, msg="success")

    @strawberry.mutation(
        description="Remove a scaling group; refused while agents or live sessions use it."
    )
    async def delete_scaling_group(
        self, info: Info[GQLContext, None], name: str
    ) -> DeleteScalingGroupPayload:
        ctx = info.context
        try:
            await ctx.processors.scaling_group.delete.run(
                DeleteScalingGroupAction(requester=ctx.user, name=name)
            )
        except _EXPECTED as e:
            return DeleteScalingGroupPayload(ok=False, msg=str(e))
        return DeleteScalingGroupPayload(ok=True, msg="success")

    @strawberry.mutation
    async def associate_scaling_group_with_domain(
        self, info: Info[GQLContext, None], scaling_group: str, domain: str
    ) -> ScalingGroupAssociationPayload:
        ctx = info.context
        return await _association(
            ctx.processors.scaling_group.associate_with_domain.run(
                AssociateScalingGroupWithDomainAction(
                    requester=ctx.user, scaling_group=scaling_group, domain_name=domain
                )
            )
        )

    @strawberry.mutation
    async def disassociate_scaling_group_with_domain(
        self, info: Info[GQLContext, None], scaling_group: str, domain: str
    ) -> ScalingGroupAssociationPayload:
        ctx = info.context
        return await _association(
            ctx.processors.scaling_group.disassociate_with_domain.run(
                DisassociateScalingGroupWithDomainAction(
                    requester=ctx.user, scaling_group=scaling_group, domain_name=domain
                )
            )
        )

    @strawberry.mutation
    async def disassociate_all_scaling_groups_with_domain(
        self, info: Info[GQLContext, None], domain: str
    ) -> ScalingGroupAssociationPayload:
        ctx = info.context
        return await _association(
            ctx.processors.scaling_group.disassociate_with_domain.run(
                DisassociateScalingGroupWithDomainAction(
                    requester=ctx.user, scaling_group=None, domain_name=domain
                )
            )
        )

    @strawberry.mutation
    async def associate_scaling_group_with_user_group(
        self, info: Info[GQLContext, None], scaling_group: str, user_group: uuid.UUID
    ) -> ScalingGroupAssociationPayload:
        ctx = info.context
        return await _association(
            ctx.processors.scaling_group.associate_with_group.run(
                AssociateScalingGroupWithGroupAction(
                    requester=ctx.user, scaling_group=scaling_group, group_id=str(user_group)
                )
            )
        )

    @strawberry.mutation(description="`user_group` is the project id, as a string.")
    async def disassociate_scaling_group_with_user_group(
        self, info: Info[GQLContext, None], scaling_group: str, user_group: str
    ) -> ScalingGroupAssociationPayload:
        ctx = info.context
        return await _association(
            ctx.processors.scaling_group.disassociate_with_group.run(
                DisassociateScalingGroupWithGroupAction(
                    requester=ctx.user, scaling_group=scaling_group, group_id=user_group
                )
            )
        )

    @strawberry.mutation
    async def disassociate_all_scaling_groups_with_group(
        self, info: Info[GQLContext, None], user_group: uuid.UUID
    ) -> ScalingGroupAssociationPayload:
        ctx = info.context
        return await _association(
            ctx.processors.scaling_group.disassociate_with_group.run(
                DisassociateScalingGroupWithGroupAction(
                    requester=ctx.user, scaling_group=None, group_id=str(user_group)
                )
            )
        )

    @strawberry.mutation
    async def associate_scaling_group_with_keypair(
        self, info: Info[GQLContext, None], scaling_group: str, access_key: str
    ) -> ScalingGroupAssociationPayload:
        ctx = info.context
        return await _association(
            ctx.processors.scaling_group.associate_with_keypair.run(
                AssociateScalingGroupWithKeypairAction(
                    requester=ctx.user, scaling_group=scaling_group, access_key=access_key
                )
            )
        )

    @strawberry.mutation
    async def disassociate_scaling_group_with_keypair(
        self, info: Info[GQLContext, None], scaling_group: str, access_key: str
    ) -> ScalingGroupAssociationPayload:
        ctx = info.context
        return await _association(
            ctx.processors.scaling_group.disassociate_with_keypair.run(
                DisassociateScalingGroupWithKeypairAction(
                    requester=ctx.user, scaling_group=scaling_group, access_key=access_key
                )
            )
        )
