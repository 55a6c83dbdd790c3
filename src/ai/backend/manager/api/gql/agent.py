"""GraphQL root fields of agents (queries and mutations), merged into the schema."""

import strawberry
from strawberry.types import Info

from ai.backend.manager.actions.agent import AdminGetAgentAction, AdminListAgentsAction
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.gql.types.agent import Agent, AgentList, parse_agent_statuses


@strawberry.type
class AgentQuery:
    @strawberry.field(description="An agent by id; null if there is none (superadmin only).")
    async def agent(self, info: Info[GQLContext, None], agent_id: str) -> Agent | None:
        ctx = info.context
        detail = await ctx.processors.agent.admin_get.run(
            AdminGetAgentAction(requester=ctx.user, agent_id=agent_id)
        )
        if detail is None:
            return None
        return Agent.from_row(
            detail.row, container_count=detail.container_count, live_stat=detail.live_stat
        )

    @strawberry.field(
        description=(
            "A page of agents (superadmin only). `status` is a comma-joined list of status"
            " names (default ALIVE); `filter` and `order` are the list mini-languages."
        )
    )
    async def agent_list(
        self,
        info: Info[GQLContext, None],
        limit: int,
        offset: int,
        filter: str | None = None,
        order: str | None = None,
        scaling_group: str | None = None,
        status: str | None = "ALIVE",
    ) -> AgentList:
        ctx = info.context
        page = await ctx.processors.agent.admin_list.run(
            AdminListAgentsAction(
                requester=ctx.user,
                statuses=parse_agent_statuses(status),
                scaling_group=scaling_group,
                filter=filter,
                order=order,
                limit=limit,
                offset=offset,
            )
        )
        return AgentList(
            items=[
                Agent.from_row(
                    row,
                    container_count=page.container_counts.get(row.id, 0),
                    live_stat=page.live_stats.get(row.id),
                )
                for row in page.items
            ],
            total_count=page.total_count,
        )

    @strawberry.field(description="Every agent, unpaged (legacy; superadmin only).")
    async def agents(
        self,
        info: Info[GQLContext, None],
        scaling_group: str | None = None,
        status: str | None = None,
    ) -> list[Agent]:
        ctx = info.context
        page = await ctx.processors.agent.admin_list.run(
            AdminListAgentsAction(
                requester=ctx.user,
                statuses=parse_agent_statuses(status),
                scaling_group=scaling_group,
            )
        )
        return [
            Agent.from_row(
                row,
                container_count=page.container_counts.get(row.id, 0),
                live_stat=page.live_stats.get(row.id),
            )
            for row in page.items
        ]


@strawberry.type
class AgentMutation:
    pass
