"""Give every request an id (or keep the caller's) and echo it back; logs carry it."""

from __future__ import annotations

import contextvars
import logging
import uuid

from aiohttp import web

from ai.backend.manager.api.routing import Handler

REQUEST_ID_HEADER = "X-BackendAI-RequestID"
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_request_id", default="-"
)


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = given if 0 < len(given) <= 64 and given.isprintable() else uuid.uuid4().hex
    token = current_request_id.set(request_id)
    try:
        response = await handler(request)
    except web.HTTPException as e:
        e.headers[REQUEST_ID_HEADER] = request_id
        raise
    finally:
        current_request_id.reset(token)
    if not response.prepared:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response
