"""The internal HTTP app that serves `/metrics` (and a liveness probe) on the internal address."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from ai.backend.manager.metrics.registry import ManagerMetrics


def build_metrics_app(metrics: ManagerMetrics) -> web.Application:
    async def serve_metrics(request: web.Request) -> web.Response:
        response = web.Response(body=metrics.render())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def serve_health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/metrics", serve_metrics)
    app.router.add_get("/health", serve_health)
    return app
