"""GraphQL root fields of storages (queries and mutations), merged into the schema."""

import strawberry


@strawberry.type
class StorageQuery:
    pass


@strawberry.type
class StorageMutation:
    pass
