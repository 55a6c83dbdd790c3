"""Business rules. Services use repositories and clients and know nothing of HTTP or GraphQL."""
