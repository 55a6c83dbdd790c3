"""Turn every failure into the JSON problem document the client parses; never a traceback."""

from __future__ import annotations

import json
import logging

from aiohttp import web

from ai.backend.manager.api.routing import Handler
from ai.backend.manager.errors.base import (
    BackendAIError,
    GenericBadRequest,
    InternalServerError,
    MethodNotAllowed,
    ObjectNotFound,
    PayloadTooLarge,
)

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
ERROR_KEY = web.RequestKey("error", BackendAIError)


def problem_response(error: BackendAIError) -> web.Response:
    return web.Response(
        status=error.status_code,
        body=json.dumps(error.problem()).encode(),
        content_type=PROBLEM_CONTENT_TYPE,
    )


def _from_http_exception(e: web.HTTPException, request: web.Request) -> BackendAIError:
    if e.status == 404:
        return ObjectNotFound(f"No such API endpoint: {request.method} {request.path}")
    if e.status == 405:
        return MethodNotAllowed(f"{request.method} is not allowed on {request.path}")
    if e.status == 413:
        return PayloadTooLarge()
    if 400 <= e.status < 500:
        return GenericBadRequest(e.reason)
    return InternalServerError(e.reason)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BackendAIError as e:
        if e.status_code >= 500:
            log.error("%s %s failed: %s", request.method, request.path, e)
        request[ERROR_KEY] = e
        return problem_response(e)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        error = _from_http_exception(e, request)
        request[ERROR_KEY] = error
        return problem_response(error)
    except Exception:
        log.exception("unexpected error in %s %s", request.method, request.path)
        error = InternalServerError("An unexpected error occurred; see the manager log")
        request[ERROR_KEY] = error
        return problem_response(error)
