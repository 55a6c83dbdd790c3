"""`/scaling-groups`: the resource groups a project may use."""

from __future__ import annotations

from aiohttp import web

from ai.backend.manager.actions.scaling_group import ListAvailableScalingGroupsAction
from ai.backend.manager.api.context import api_context, current_user
from ai.backend.manager.errors.base import InvalidAPIParameters


async def list_available(request: web.Request) -> web.Response:
    """`GET /scaling-groups?group=<project name or id>` -> `{"scaling_groups": [{"name"}...]}`."""
    group = request.query.get("group", "").strip()
    if not group:
        raise InvalidAPIParameters("The `group` query parameter (project name or id) is required")
    records = await api_context(request).processors.scaling_group.list_available.run(
        ListAvailableScalingGroupsAction(requester=current_user(request), group=group)
    )
    return web.json_response({"scaling_groups": [{"name": r.name} for r in records]})


def register_routes(app: web.Application) -> None:
    app.router.add_get("/scaling-groups", list_available)
