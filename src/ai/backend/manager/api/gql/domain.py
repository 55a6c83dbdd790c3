"""GraphQL root fields of domains (queries and mutations), merged into the schema."""

import strawberry


@strawberry.type
class DomainQuery:
    pass


@strawberry.type
class DomainMutation:
    pass
