"""GraphQL root fields of scaling groups (queries and mutations), merged into the schema."""

import strawberry


@strawberry.type
class ScalingGroupQuery:
    pass


@strawberry.type
class ScalingGroupMutation:
    pass
