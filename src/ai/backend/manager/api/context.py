"""What the HTTP layer needs from the root context, attached to the aiohttp app."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ai.backend.manager.actions.processors import Processors
from ai.backend.manager.errors.base import AuthorizationFailed
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.services.auth.service import AuthService
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.services.quota.ratelimit import RateLimiter


@dataclass(frozen=True)
class APIContext:
    processors: Processors
    auth: AuthService
    metrics: ManagerMetrics
    # None: no rate limit (tools that build an API app without Redis)
    rate_limiter: RateLimiter | None = None


API_CONTEXT = web.AppKey("api_context", APIContext)
REQUEST_USER = web.RequestKey("user", AuthenticatedUser)


def api_context(request: web.Request) -> APIContext:
    return request.config_dict[API_CONTEXT]


def current_user(request: web.Request) -> AuthenticatedUser:
    """The authenticated caller; the auth middleware guarantees one on protected routes."""
    try:
        return request[REQUEST_USER]
    except KeyError:
        raise AuthorizationFailed("Authentication required") from None
