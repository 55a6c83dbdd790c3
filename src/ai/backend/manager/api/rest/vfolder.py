"""`/folders/...`: virtual folders."""

from __future__ import annotations

from aiohttp import web


def register_routes(app: web.Application) -> None:
    pass
