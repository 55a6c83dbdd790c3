"""GraphQL root fields of agents (queries and mutations), merged into the schema."""

import strawberry


@strawberry.type
class AgentQuery:
    pass


@strawberry.type
class AgentMutation:
    pass
