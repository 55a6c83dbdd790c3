"""Route helpers: marking public handlers and reading (and validating) request bodies."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

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


def invalid_parameters(e: ValidationError) -> InvalidAPIParameters:
    """A pydantic validation failure as a 400 problem: the first error in the title, every
    error (by field path) in the data."""
    first = e.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return InvalidAPIParameters(
        f"{where}: {first['msg']}",
        data={".".join(str(p) for p in err["loc"]): err["msg"] for err in e.errors()},
    )


def parse_model[M: BaseModel](model: type[M], raw: Mapping[str, Any]) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        raise invalid_parameters(e) from None


async def read_model[M: BaseModel](request: web.Request, model: type[M]) -> M:
    """The JSON object in the body, validated as `model`."""
    return parse_model(model, await read_json_object(request))
