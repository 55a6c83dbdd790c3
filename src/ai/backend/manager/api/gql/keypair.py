"""GraphQL root fields of keypairs (queries and mutations), merged into the schema."""

import strawberry
from strawberry.types import Info

from ai.backend.manager.actions.keypair import GetKeypairAction
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.gql.types.keypair import KeyPair


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


@strawberry.type
class KeypairMutation:
    pass
