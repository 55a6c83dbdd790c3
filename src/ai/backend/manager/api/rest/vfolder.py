"""`/folders/...`: virtual folders (so far: the hosts a caller may create folders on)."""

from __future__ import annotations

import uuid

from aiohttp import web

from ai.backend.manager.actions.storage import ListAllFolderHostsAction, ListFolderHostsAction
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
            # usage holds what `volumes/exposed_volume_info` exposes; empty when the volume's
            # proxy did not answer (its backend is then null)
            "volume_info": {
                host: {
                    "backend": info.backend,
                    "capabilities": list(info.capabilities),
                    "usage": info.usage,
                    "sftp_scaling_groups": list(info.sftp_scaling_groups),
                }
                for host, info in hosts.volume_info.items()
            },
        }
    )


async def list_all_hosts(request: web.Request) -> web.Response:
    """`{"default": host or null, "allowed": [every host the proxies offer]}` (superadmin)."""
    hosts = await api_context(request).processors.storage.list_all_folder_hosts.run(
        ListAllFolderHostsAction(requester=current_user(request))
    )
    return web.json_response({"default": hosts.default, "allowed": hosts.allowed})


def register_routes(app: web.Application) -> None:
    app.router.add_get("/folders/_/hosts", list_hosts)
    app.router.add_get("/folders/_/all_hosts", list_all_hosts)
    app.router.add_get("/folders/_/all-hosts", list_all_hosts)
