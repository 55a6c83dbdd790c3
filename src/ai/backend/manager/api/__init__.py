"""The HTTP surface: REST handlers, GraphQL, and the middlewares around them."""
