"""Verify the request signature when there is one; refuse anonymous calls to protected routes."""

from __future__ import annotations

from aiohttp import hdrs, web

from ai.backend.manager.api.context import API_CONTEXT, REQUEST_USER
from ai.backend.manager.api.routing import Handler, is_public
from ai.backend.manager.errors.base import AuthorizationFailed
from ai.backend.manager.services.auth.types import SignedRequest


def _signed_request(request: web.Request, authorization: str) -> SignedRequest:
    headers = request.headers
    return SignedRequest(
        method=request.method,
        raw_path=request.raw_path,
        authorization=authorization,
        date_header=headers.get("X-BackendAI-Date") or headers.get(hdrs.DATE) or "",
        host=headers.get(hdrs.HOST, ""),
        content_type=headers.get(hdrs.CONTENT_TYPE),
        api_version=headers.get("X-BackendAI-Version", ""),
    )


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    match_info = request.match_info
    if match_info.http_exception is not None:
        # Unknown path or method: let the router answer 404/405.
        return await handler(request)
    authorization = request.headers.get(hdrs.AUTHORIZATION)
    if authorization:
        auth = request.config_dict[API_CONTEXT].auth
        request[REQUEST_USER] = await auth.authenticate(_signed_request(request, authorization))
    elif not is_public(match_info.handler):
        raise AuthorizationFailed("This API requires a signed request (no Authorization header)")
    return await handler(request)
