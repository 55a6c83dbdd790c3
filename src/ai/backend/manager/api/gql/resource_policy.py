"""GraphQL root fields of resource policys (queries and mutations), merged into the schema."""

import strawberry


@strawberry.type
class ResourcePolicyQuery:
    pass


@strawberry.type
class ResourcePolicyMutation:
    pass
