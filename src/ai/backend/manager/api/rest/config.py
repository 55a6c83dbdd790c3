"""`/config/...`: the cluster's shared configuration (resource slot types, vfolder types)."""

from __future__ import annotations

from aiohttp import web

from ai.backend.manager.actions.agent import GetResourceSlotDetailsAction, GetResourceSlotsAction
from ai.backend.manager.actions.storage import ListVFolderTypesAction
from ai.backend.manager.api.context import api_context, current_user


async def get_resource_slots(request: web.Request) -> web.Response:
    """Slot name -> unit (`{"cpu": "count", "mem": "bytes", ...}`)."""
    slots = await api_context(request).processors.agent.resource_slots.run(
        GetResourceSlotsAction(requester=current_user(request))
    )
    return web.json_response(slots)


async def get_resource_slot_details(request: web.Request) -> web.Response:
    """Slot name -> how to show it; `?sgroup=NAME` keeps the slots that group's agents have."""
    sgroup = request.query.get("sgroup") or None
    details = await api_context(request).processors.agent.resource_slot_details.run(
        GetResourceSlotDetailsAction(requester=current_user(request), scaling_group=sgroup)
    )
    return web.json_response(details)


async def get_vfolder_types(request: web.Request) -> web.Response:
    """The kinds of virtual folders that may be created: `["user"]`, `["group", "user"]`."""
    types = await api_context(request).processors.storage.list_vfolder_types.run(
        ListVFolderTypesAction(requester=current_user(request))
    )
    return web.json_response(types)


def register_routes(app: web.Application) -> None:
    app.router.add_get("/config/resource-slots", get_resource_slots)
    app.router.add_get("/config/resource-slots/details", get_resource_slot_details)
    app.router.add_get("/config/vfolder-types", get_vfolder_types)
