"""GraphQL root fields of users (queries and mutations), merged into the schema."""

import strawberry


@strawberry.type
class UserQuery:
    pass


@strawberry.type
class UserMutation:
    pass
