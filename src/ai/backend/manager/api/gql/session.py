"""GraphQL root fields of compute sessions, merged into the schema."""

import uuid

import strawberry
from strawberry.types import Info

from ai.backend.manager.actions.session import GetSessionByIdAction, ListSessionsAction
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.gql.types.session import (
    ComputeSession,
    ComputeSessionList,
    parse_status_filter,
)
from ai.backend.manager.errors.base import InvalidAPIParameters


@strawberry.type
class SessionQuery:
    @strawberry.field(description="A compute session by id; null if none is visible to the caller.")
    async def compute_session(
        self, info: Info[GQLContext, None], id: uuid.UUID
    ) -> ComputeSession | None:
        ctx = info.context
        record = await ctx.processors.session.get_by_id.run(
            GetSessionByIdAction(requester=ctx.user, session_id=id)
        )
        return ComputeSession.from_record(record) if record is not None else None

    @strawberry.field(
        description=(
            "A page of the compute sessions visible to the caller, newest first. `status` is a"
            " comma-joined list of status names. `filter` and `order` (the query mini-languages)"
            " are accepted but not applied yet; `domain_name` is not applied either (admins see"
            " their own domain, superadmins every domain)."
        )
    )
    async def compute_session_list(
        self,
        info: Info[GQLContext, None],
        limit: int,
        offset: int,
        status: str | None = None,
        access_key: str | None = None,
        filter: str | None = None,
        order: str | None = None,
        group_id: uuid.UUID | None = None,
        domain_name: str | None = None,
    ) -> ComputeSessionList:
        if limit < 0 or offset < 0:
            raise InvalidAPIParameters("`limit` and `offset` must not be negative")
        ctx = info.context
        records, total = await ctx.processors.session.list.run(
            ListSessionsAction(
                requester=ctx.user,
                statuses=parse_status_filter(status),
                access_key=access_key,
                group_id=group_id,
                filter=filter,
                order=order,
                limit=limit,
                offset=offset,
            )
        )
        return ComputeSessionList(
            items=[ComputeSession.from_record(r) for r in records], total_count=total
        )
