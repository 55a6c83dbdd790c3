"""`/auth`: signature round-trip checks."""

from __future__ import annotations

from aiohttp import web

from ai.backend.manager.api.context import current_user
from ai.backend.manager.api.routing import read_json_object


async def test_get(request: web.Request) -> web.Response:
    current_user(request)
    return web.json_response({"authorized": "yes", "echo": ""})


async def test_post(request: web.Request) -> web.Response:
    current_user(request)
    body = await read_json_object(request)
    echo = body.get("echo", "")
    return web.json_response({"authorized": "yes", "echo": echo if isinstance(echo, str) else ""})


def register_routes(app: web.Application) -> None:
    for path in ("/auth", "/auth/test"):
        app.router.add_get(path, test_get)
        app.router.add_post(path, test_post)
