"""Route helpers: marking public handlers and reading request bodies."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ai.backend.manager.errors.base import InvalidAPIParameters

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_PUBLIC_ATTR = "__backendai_public__"


def public(handler: Handler) -> Handler:
    """Let anonymous callers reach this handler (a signed request is still verified)."""
    setattr(handler, _PUBLIC_ATTR, True)
    return handler


def is_public(handler: object) -> bool:
    return bool(getattr(handler, _PUBLIC_ATTR, False))


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The JSON object in the body (GET requests carry one too); empty body means `{}`."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InvalidAPIParameters(f"The request body is not valid JSON: {e}") from None
    if not isinstance(body, dict):
        raise InvalidAPIParameters("The request body must be a JSON object")
    return body
