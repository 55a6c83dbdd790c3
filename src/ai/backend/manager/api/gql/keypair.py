"""GraphQL root fields of keypairs (queries and mutations), merged into the schema."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from ai.backend.manager.actions.keypair import (
    CreateKeypairAction,
    DeleteKeypairAction,
    GetKeypairAction,
    ListKeypairsAction,
    ModifyKeypairAction,
)
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.gql.types.keypair import (
    CreateKeyPairPayload,
    DeleteKeyPairPayload,
    KeyPair,
    KeyPairInput,
    KeyPairList,
    ModifyKeyPairInput,
    ModifyKeyPairPayload,
)
from ai.backend.manager.api.gql.types.user import run_mutation
from ai.backend.manager.errors.base import InvalidAPIParameters


@strawberry.type
class KeypairQuery:
    @strawberry.field(description="A keypair: the caller's own unless `access_key` names another.")
    async def keypair(
        self,
        info: Info[GQLContext, None],
        domain_name: str | None = None,
        access_key: str | None = None,
    ) -> KeyPair | None:
        ctx = info.context
        detail = await ctx.processors.keypair.get.run(
            GetKeypairAction(requester=ctx.user, access_key=access_key)
        )
        return KeyPair.from_detail(detail)

    @strawberry.field(description="Keypairs visible to the caller (administrators only).")
    async def keypairs(
        self,
        info: Info[GQLContext, None],
        domain_name: str | None = None,
        email: str | None = None,
        is_active: bool | None = None,
    ) -> list[KeyPair]:
        ctx = info.context
        details, _ = await ctx.processors.keypair.list.run(
            ListKeypairsAction(
                requester=ctx.user, domain_name=domain_name, email=email, is_active=is_active
            )
        )
        return [KeyPair.from_detail(d) for d in details]

    @strawberry.field(description="A page of keypairs (administrators: their domain only).")
    async def keypair_list(
        self,
        info: Info[GQLContext, None],
        limit: int,
        offset: int,
        email: str | None = None,
        is_active: bool | None = None,
        domain_name: str | None = None,
        order: str | None = None,
        filter: str | None = None,
    ) -> KeyPairList:
        if limit < 0 or offset < 0:
            raise InvalidAPIParameters("`limit` and `offset` must not be negative")
        ctx = info.context
        details, total = await ctx.processors.keypair.list.run(
            ListKeypairsAction(
                requester=ctx.user,
                domain_name=domain_name,
                email=email,
                is_active=is_active,
                filter=filter,
                order=order,
                limit=limit,
                offset=offset,
            )
        )
        return KeyPairList(items=[KeyPair.from_detail(d) for d in details], total_count=total)


@strawberry.type
class KeypairMutation:
    @strawberry.mutation(description="Create a keypair for the user whose email is `user_id`.")
    async def create_keypair(
        self, info: Info[GQLContext, None], user_id: str, props: KeyPairInput
    ) -> CreateKeyPairPayload:
        ctx = info.context
        outcome = await run_mutation(
            ctx.processors.keypair.create.run(
                CreateKeypairAction(
                    requester=ctx.user,
                    user_email=user_id,
                    is_active=props.is_active if props.is_active is not None else True,
                    is_admin=bool(props.is_admin),
                    resource_policy=props.resource_policy or "default",
                    rate_limit=props.rate_limit if props.rate_limit is not None else 10000,
                )
            )
        )
        keypair = KeyPair.from_detail(outcome.value) if outcome.value is not None else None
        return CreateKeyPairPayload(ok=outcome.ok, msg=outcome.msg, keypair=keypair)

    @strawberry.mutation(description="Change the given fields of a keypair.")
    async def modify_keypair(
        self, info: Info[GQLContext, None], access_key: str, props: ModifyKeyPairInput
    ) -> ModifyKeyPairPayload:
        ctx = info.context
        fields = {
            "is_active": props.is_active,
            "is_admin": props.is_admin,
            "resource_policy": props.resource_policy,
            "rate_limit": props.rate_limit,
        }
        outcome = await run_mutation(
            ctx.processors.keypair.modify.run(
                ModifyKeypairAction(requester=ctx.user, access_key=access_key, props=fields)
            )
        )
        return ModifyKeyPairPayload(ok=outcome.ok, msg=outcome.msg)

    @strawberry.mutation(description="Delete a keypair (not its owner's main one).")
    async def delete_keypair(
        self, info: Info[GQLContext, None], access_key: str
    ) -> DeleteKeyPairPayload:
        ctx = info.context
        outcome = await run_mutation(
            ctx.processors.keypair.delete.run(
                DeleteKeypairAction(requester=ctx.user, access_key=access_key)
            )
        )
        return DeleteKeyPairPayload(ok=outcome.ok, msg=outcome.msg)
