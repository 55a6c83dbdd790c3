"""`/config/...`: the cluster's shared configuration (resource slot types)."""

from __future__ import annotations

from aiohttp import web


def register_routes(app: web.Application) -> None:
    pass
