"""GraphQL root fields of resource policies (queries and mutations), merged into the schema."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from ai.backend.manager.actions.resource_policy import (
    CreateResourcePolicyAction,
    DeleteResourcePolicyAction,
    ListResourcePoliciesAction,
    ModifyResourcePolicyAction,
)
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.gql.types.resource_policy import (
    CreateKeyPairResourcePolicyInput,
    CreateKeyPairResourcePolicyPayload,
    CreateProjectResourcePolicyInput,
    CreateProjectResourcePolicyPayload,
    CreateUserResourcePolicyInput,
    CreateUserResourcePolicyPayload,
    KeyPairResourcePolicy,
    ModifyKeyPairResourcePolicyInput,
    ModifyProjectResourcePolicyInput,
    ModifyUserResourcePolicyInput,
    PolicyOkPayload,
    ProjectResourcePolicy,
    UserResourcePolicy,
    keypair_policy_values,
    plain_policy_values,
)
from ai.backend.manager.api.gql.types.user import run_mutation, set_fields
from ai.backend.manager.data.resource_policy import PolicyKind, PolicyRow


async def _list(
    info: Info[GQLContext, None], kind: PolicyKind, name: str | None = None, *, mine: bool = False
) -> list[PolicyRow]:
    ctx = info.context
    return await ctx.processors.resource_policy.list.run(
        ListResourcePoliciesAction(requester=ctx.user, kind=kind, name=name, mine=mine)
    )


async def _create(
    info: Info[GQLContext, None], kind: PolicyKind, name: str, values: dict[str, Any]
) -> PolicyRow:
    ctx = info.context
    return await ctx.processors.resource_policy.create.run(
        CreateResourcePolicyAction(requester=ctx.user, kind=kind, name=name, values=values)
    )


async def _modify(
    info: Info[GQLContext, None], kind: PolicyKind, name: str, values: dict[str, Any]
) -> None:
    ctx = info.context
    await ctx.processors.resource_policy.modify.run(
        ModifyResourcePolicyAction(requester=ctx.user, kind=kind, name=name, values=values)
    )


async def _delete(info: Info[GQLContext, None], kind: PolicyKind, name: str) -> PolicyOkPayload:
    ctx = info.context
    outcome = await run_mutation(
        ctx.processors.resource_policy.delete.run(
            DeleteResourcePolicyAction(requester=ctx.user, kind=kind, name=name)
        )
    )
    return PolicyOkPayload(ok=outcome.ok, msg=outcome.msg)


@strawberry.type
class ResourcePolicyQuery:
    @strawberry.field(
        description="Keypair resource policies: every one for superadmins and domain admins,"
        " those of the caller's keypairs for others."
    )
    async def keypair_resource_policies(
        self, info: Info[GQLContext, None]
    ) -> list[KeyPairResourcePolicy]:
        return [KeyPairResourcePolicy.from_row(r) for r in await _list(info, PolicyKind.KEYPAIR)]

    @strawberry.field(
        description="A keypair resource policy by name (others than superadmins: one of their"
        " own keypairs'); the caller's keypair's when null."
    )
    async def keypair_resource_policy(
        self, info: Info[GQLContext, None], name: str | None = None
    ) -> KeyPairResourcePolicy | None:
        found = await _list(info, PolicyKind.KEYPAIR, name, mine=name is None)
        return KeyPairResourcePolicy.from_row(found[0]) if found else None

    @strawberry.field(description="Every user resource policy (superadmins only).")
    async def user_resource_policies(
        self, info: Info[GQLContext, None]
    ) -> list[UserResourcePolicy]:
        return [UserResourcePolicy.from_row(r) for r in await _list(info, PolicyKind.USER)]

    @strawberry.field(
        description="A user resource policy by name (others than superadmins: their own);"
        " the caller's when null."
    )
    async def user_resource_policy(
        self, info: Info[GQLContext, None], name: str | None = None
    ) -> UserResourcePolicy | None:
        found = await _list(info, PolicyKind.USER, name, mine=name is None)
        return UserResourcePolicy.from_row(found[0]) if found else None

    @strawberry.field(description="Every project resource policy (superadmins only).")
    async def project_resource_policies(
        self, info: Info[GQLContext, None]
    ) -> list[ProjectResourcePolicy]:
        return [ProjectResourcePolicy.from_row(r) for r in await _list(info, PolicyKind.PROJECT)]

    @strawberry.field(description="A project resource policy by name.")
    async def project_resource_policy(
        self, info: Info[GQLContext, None], name: str
    ) -> ProjectResourcePolicy | None:
        found = await _list(info, PolicyKind.PROJECT, name)
        return ProjectResourcePolicy.from_row(found[0]) if found else None


@strawberry.type
class ResourcePolicyMutation:
    @strawberry.mutation(description="Create a keypair resource policy.")
    async def create_keypair_resource_policy(
        self, info: Info[GQLContext, None], name: str, props: CreateKeyPairResourcePolicyInput
    ) -> CreateKeyPairResourcePolicyPayload:
        async def create() -> PolicyRow:
            values = keypair_policy_values(set_fields(props))
            return await _create(info, PolicyKind.KEYPAIR, name, values)

        outcome = await run_mutation(create())
        item = KeyPairResourcePolicy.from_row(outcome.value) if outcome.value else None
        return CreateKeyPairResourcePolicyPayload(
            ok=outcome.ok, msg=outcome.msg, resource_policy=item
        )

    @strawberry.mutation(description="Change the given limits of a keypair resource policy.")
    async def modify_keypair_resource_policy(
        self, info: Info[GQLContext, None], name: str, props: ModifyKeyPairResourcePolicyInput
    ) -> PolicyOkPayload:
        async def modify() -> None:
            values = keypair_policy_values(set_fields(props))
            await _modify(info, PolicyKind.KEYPAIR, name, values)

        outcome = await run_mutation(modify())
        return PolicyOkPayload(ok=outcome.ok, msg=outcome.msg)

    @strawberry.mutation(description="Delete a keypair resource policy no keypair uses.")
    async def delete_keypair_resource_policy(
        self, info: Info[GQLContext, None], name: str
    ) -> PolicyOkPayload:
        return await _delete(info, PolicyKind.KEYPAIR, name)

    @strawberry.mutation(description="Create a user resource policy.")
    async def create_user_resource_policy(
        self, info: Info[GQLContext, None], name: str, props: CreateUserResourcePolicyInput
    ) -> CreateUserResourcePolicyPayload:
        outcome = await run_mutation(
            _create(info, PolicyKind.USER, name, plain_policy_values(set_fields(props)))
        )
        item = UserResourcePolicy.from_row(outcome.value) if outcome.value else None
        return CreateUserResourcePolicyPayload(ok=outcome.ok, msg=outcome.msg, resource_policy=item)

    @strawberry.mutation(description="Change the given limits of a user resource policy.")
    async def modify_user_resource_policy(
        self, info: Info[GQLContext, None], name: str, props: ModifyUserResourcePolicyInput
    ) -> PolicyOkPayload:
        outcome = await run_mutation(
            _modify(info, PolicyKind.USER, name, plain_policy_values(set_fields(props)))
        )
        return PolicyOkPayload(ok=outcome.ok, msg=outcome.msg)

    @strawberry.mutation(description="Delete a user resource policy no user uses.")
    async def delete_user_resource_policy(
        self, info: Info[GQLContext, None], name: str
    ) -> PolicyOkPayload:
        return await _delete(info, PolicyKind.USER, name)

    @strawberry.mutation(description="Create a project resource policy.")
    async def create_project_resource_policy(
        self, info: Info[GQLContext, None], name: str, props: CreateProjectResourcePolicyInput
    ) -> CreateProjectResourcePolicyPayload:
        outcome = await run_mutation(
            _create(info, PolicyKind.PROJECT, name, plain_policy_values(set_fields(props)))
        )
        item = ProjectResourcePolicy.from_row(outcome.value) if outcome.value else None
        return CreateProjectResourcePolicyPayload(
            ok=outcome.ok, msg=outcome.msg, resource_policy=item
        )

    @strawberry.mutation(description="Change the given limits of a project resource policy.")
    async def modify_project_resource_policy(
        self, info: Info[GQLContext, None], name: str, props: ModifyProjectResourcePolicyInput
    ) -> PolicyOkPayload:
        outcome = await run_mutation(
            _modify(info, PolicyKind.PROJECT, name, plain_policy_values(set_fields(props)))
        )
        return PolicyOkPayload(ok=outcome.ok, msg=outcome.msg)

    @strawberry.mutation(description="Delete a project resource policy no project uses.")
    async def delete_project_resource_policy(
        self, info: Info[GQLContext, None], name: str
    ) -> PolicyOkPayload:
        return await _delete(info, PolicyKind.PROJECT, name)
