"""`/scaling-groups`: the resource groups a project may use."""

from __future__ import annotations

from aiohttp import web


def register_routes(app: web.Application) -> None:
    pass
