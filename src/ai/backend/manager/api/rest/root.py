"""`GET /`: the version negotiation every client performs first."""

from __future__ import annotations

from aiohttp import web

from ai.backend.manager.api.routing import public
from ai.backend.manager.defs import API_VERSION, COMPATIBLE_MANAGER_VERSION

_VERSION_BODY = {"version": API_VERSION, "manager": COMPATIBLE_MANAGER_VERSION}


@public
async def get_versions(request: web.Request) -> web.Response:
    return web.json_response(_VERSION_BODY)


def register_routes(app: web.Application) -> None:
    app.router.add_get("/", get_versions)
