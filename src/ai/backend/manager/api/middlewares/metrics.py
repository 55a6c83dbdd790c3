"""Count and time every API request by method, route template and outcome."""

from __future__ import annotations

import time

from aiohttp import web

from ai.backend.manager.api.context import API_CONTEXT
from ai.backend.manager.api.middlewares.errors import ERROR_KEY
from ai.backend.manager.api.routing import Handler


def _endpoint_label(request: web.Request) -> str:
    route = request.match_info.route
    resource = route.resource
    return resource.canonical if resource is not None else ""


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    metrics = request.config_dict[API_CONTEXT].metrics
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as e:
        status = e.status
        raise
    finally:
        error = request.get(ERROR_KEY)
        metrics.observe_api_request(
            method=request.method,
            endpoint=_endpoint_label(request),
            status_code=status,
            error_code=error.code if error is not None else None,
            duration=time.perf_counter() - started,
        )
