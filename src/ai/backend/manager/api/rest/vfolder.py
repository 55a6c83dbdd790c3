"""`/folders/...`: virtual folders (so far: the hosts a caller may create folders on)."""

from __future__ import annotations

import uuid

from aiohttp import web

from ai.backend.manager.actions.storage import ListFolderHostsAction
from ai.backend.manager.api.context import api_context, current_user
from ai.backend.manager.errors.base import InvalidAPIParameters


def _optional_uuid(request: web.Request, name: str) -> uuid.UUID | None:
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidAPIParameters(f"`{name}` must be a UUID, not {raw!r}") from None


async def list_hosts(request: web.Request) -> web.Response:
    """`{"default": host or null, "allowed": [host, ...], "volume_info": {...}}`."""
    hosts = await api_context(request).processors.storage.list_folder_hosts.run(
        ListFolderHostsAction(
            requester=current_user(request), group_id=_optional_uuid(request, "group_id")
        )
    )
    return web.json_response(
        {
            "default": hosts.default,
            "allowed": list(hosts.allowed),
            # usage and capabilities come from storage proxies, which are not called yet
            "volume_info": {},
        }
    )


def register_routes(app: web.Application) -> None:
    app.router.add_get("/folders/_/hosts", list_hosts)
