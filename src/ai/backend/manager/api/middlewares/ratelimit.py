"""The per-keypair rate limit middleware (the sliding window is `services/quota/ratelimit.py`).

The answer to every request that carries a keypair has `X-RateLimit-Limit`,
`X-RateLimit-Remaining` and `X-RateLimit-Window`; a request over the limit gets 429 with a problem
document and is not counted.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Middleware
from redis.exceptions import RedisError

from ai.backend.manager.api.context import REQUEST_USER
from ai.backend.manager.api.middlewares.errors import ERROR_KEY, problem_response
from ai.backend.manager.api.routing import Handler
from ai.backend.manager.errors.base import BackendAIError, TooManyRequests
from ai.backend.manager.services.quota.ratelimit import RateLimiter, RateLimitState

log = logging.getLogger(__name__)


def _apply_headers(response: web.StreamResponse, state: RateLimitState, window: int) -> None:
    response.headers["X-RateLimit-Limit"] = str(state.limit)
    response.headers["X-RateLimit-Remaining"] = str(state.remaining)
    response.headers["X-RateLimit-Window"] = str(window)


def make_ratelimit_middleware(limiter: RateLimiter) -> Middleware:
    """A middleware placed after auth: it limits the requests that carry a keypair.

    A keypair whose `rate_limit` is 0 is not limited.
    """

    @web.middleware
    async def ratelimit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        user = request.get(REQUEST_USER)
        if user is None or user.rate_limit <= 0:
            return await handler(request)
        try:
            state = await limiter.consume(user.access_key, user.rate_limit)
        except (RedisError, OSError) as e:
            # Fail open: an unreachable Redis must not take the whole API down with it.
            log.warning("rate limit not checked for %s: %s", user.access_key, e)
            return await handler(request)
        if not state.allowed:
            response: web.StreamResponse = problem_response(
                TooManyRequests(
                    f"Rate limit of {state.limit} requests per {limiter.window} seconds "
                    f"reached for keypair {user.access_key}; retry later"
                )
            )
            _apply_headers(response, state, limiter.window)
            return response
        try:
            response = await handler(request)
        except BackendAIError as e:
            if e.status_code >= 500:
                raise  # the error middleware logs it
            request[ERROR_KEY] = e
            response = problem_response(e)
        except web.HTTPException as e:
            _apply_headers(e, state, limiter.window)
            raise
        if not response.prepared:
            _apply_headers(response, state, limiter.window)
        return response

    return ratelimit_middleware
