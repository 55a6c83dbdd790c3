"""Assemble the public API application: middlewares in order, then every route."""

from __future__ import annotations

import aiohttp_cors
from aiohttp import web
from aiohttp.typedefs import Middleware

from ai.backend.manager.api.context import API_CONTEXT, APIContext
from ai.backend.manager.api.gql.schema import build_schema
from ai.backend.manager.api.middlewares.auth import auth_middleware
from ai.backend.manager.api.middlewares.errors import error_middleware
from ai.backend.manager.api.middlewares.metrics import metrics_middleware
from ai.backend.manager.api.middlewares.ratelimit import make_ratelimit_middleware
from ai.backend.manager.api.middlewares.request_id import request_id_middleware
from ai.backend.manager.api.rest import (
    auth,
    config,
    container_registry,
    events,
    gql,
    manager,
    resource,
    root,
    scaling_group,
    session,
    vfolder,
    vfolder_sharing,
)
from ai.backend.manager.bgtask.follow import TaskEvents
from ai.backend.manager.services.session.event_hub import SessionEventHub

MAX_REQUEST_BODY = 32 * 1024 * 1024


def build_api_app(
    context: APIContext,
    session_events: SessionEventHub,
    *,
    allow_origins: str = "*",
    task_events: TaskEvents | None = None,
) -> web.Application:
    middlewares: list[Middleware] = [
        request_id_middleware,
        metrics_middleware,
        error_middleware,
        auth_middleware,
    ]
    if context.rate_limiter is not None:
        middlewares.append(make_ratelimit_middleware(context.rate_limiter))
    app = web.Application(middlewares=middlewares, client_max_size=MAX_REQUEST_BODY)
    app[API_CONTEXT] = context
    root.register_routes(app)
    manager.register_routes(app)
    auth.register_routes(app)
    session.register_routes(app)
    scaling_group.register_routes(app)
    config.register_routes(app)
    resource.register_routes(app)
    container_registry.register_routes(app)
    # sharing first: its fixed paths (`/folders/invitations/...`) before `/folders/{vf}`
    vfolder_sharing.register_routes(app)
    vfolder.register_routes(app)
    app[events.SESSION_EVENT_HUB] = session_events
    if task_events is not None:
        app[events.BGTASK_EVENTS] = task_events
    events.register_routes(app)
    gql.register_routes(app, build_schema())
    cors = aiohttp_cors.setup(
        app,
        defaults={
            allow_origins: aiohttp_cors.ResourceOptions(
                allow_credentials=False, expose_headers="*", allow_headers="*"
            )
        },
    )
    for route in list(app.router.routes()):
        if route.method != "HEAD":
            cors.add(route)
    return app
