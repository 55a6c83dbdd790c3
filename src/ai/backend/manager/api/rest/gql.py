"""`POST /admin/gql`: run a GraphQL operation and answer `{"data": ..., "errors": [...]}`."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from aiohttp import web
from graphql import GraphQLError

from ai.backend.manager.api.context import api_context, current_user
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.routing import read_json_object
from ai.backend.manager.errors.base import BackendAIError, InvalidAPIParameters

log = logging.getLogger(__name__)

GQL_SCHEMA = web.AppKey("gql_schema", strawberry.Schema)


def _format_error(error: GraphQLError) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    original = error.original_error
    if original is not None and not isinstance(original, BackendAIError | GraphQLError):
        log.error("GraphQL resolver failed", exc_info=original)
        formatted["message"] = "Internal error while resolving this field; see the manager log"
    return formatted


async def execute_graphql(request: web.Request) -> web.Response:
    user = current_user(request)
    body = await read_json_object(request)
    query = body.get("query")
    variables = body.get("variables") or {}
    operation_name = body.get("operationName")
    if not isinstance(query, str) or not query.strip():
        raise InvalidAPIParameters("The body must contain a GraphQL `query` string")
    if not isinstance(variables, dict):
        raise InvalidAPIParameters("`variables` must be a JSON object")
    schema = request.config_dict[GQL_SCHEMA]
    result = await schema.execute(
        query,
        variable_values=variables,
        operation_name=operation_name if isinstance(operation_name, str) else None,
        context_value=GQLContext(processors=api_context(request).processors, user=user),
    )
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [_format_error(e) for e in result.errors]
    return web.json_response(payload)


def register_routes(app: web.Application, schema: strawberry.Schema) -> None:
    app[GQL_SCHEMA] = schema
    for path in ("/admin/gql", "/admin/graphql"):
        app.router.add_post(path, execute_graphql)
