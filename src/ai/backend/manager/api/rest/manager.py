"""`/manager/...`: the announcement banner (status and scheduler operations come later)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ValidationError

from ai.backend.manager.actions.announcement import (
    GetAnnouncementAction,
    UpdateAnnouncementAction,
)
from ai.backend.manager.api.context import api_context, current_user
from ai.backend.manager.api.routing import read_json_object
from ai.backend.manager.errors.base import InvalidAPIParameters


class UpdateAnnouncementBody(BaseModel):
    enabled: bool = False
    message: str | None = None


async def get_announcement(request: web.Request) -> web.Response:
    result = await api_context(request).processors.announcement.get.run(GetAnnouncementAction())
    return web.json_response({"enabled": result.enabled, "message": result.message})


async def update_announcement(request: web.Request) -> web.Response:
    try:
        body = UpdateAnnouncementBody.model_validate(await read_json_object(request))
    except ValidationError as e:
        raise InvalidAPIParameters(str(e.errors()[0]["msg"])) from None
    action = UpdateAnnouncementAction(
        requester=current_user(request), enabled=body.enabled, message=body.message or ""
    )
    await api_context(request).processors.announcement.update.run(action)
    return web.Response(status=204)


def register_routes(app: web.Application) -> None:
    app.router.add_get("/manager/announcement", get_announcement)
    app.router.add_post("/manager/announcement", update_announcement)
