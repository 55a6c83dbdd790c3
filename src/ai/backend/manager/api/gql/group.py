"""GraphQL root fields of groups (queries and mutations), merged into the schema."""

import strawberry


@strawberry.type
class GroupQuery:
    pass


@strawberry.type
class GroupMutation:
    pass
