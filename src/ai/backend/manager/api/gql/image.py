"""GraphQL root fields of images (queries and mutations), merged into the schema."""

import strawberry


@strawberry.type
class ImageQuery:
    pass


@strawberry.type
class ImageMutation:
    pass
