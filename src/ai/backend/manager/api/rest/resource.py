"""`/resource/...`: presets and what fits, container registries, and usage reports."""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web

from ai.backend.manager.actions.resource import (
    CheckResourcePresetsAction,
    ListContainerRegistriesAction,
    ListResourcePresetsAction,
    MonthStatsAction,
    RecalculateUsageAction,
    UsagePerMonthAction,
    UsagePerPeriodAction,
)
from ai.backend.manager.api.context import api_context, current_user
from ai.backend.manager.errors.base import InvalidAPIParameters


async def _json_body(request: web.Request) -> dict[str, Any]:
    """The JSON object body; an empty body is an empty object."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as e:
        raise InvalidAPIParameters("The request body is not valid JSON") from e
    if not isinstance(body, dict):
        raise InvalidAPIParameters("The request body must be a JSON object")
    return body


def _optional_text(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidAPIParameters(f"`{name}` must be a string")
    return value


def _uuid(text: str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError as e:
        raise InvalidAPIParameters(f"`{name}` must be a UUID: {text!r}") from e


def _required(request: web.Request, name: str) -> str:
    value = request.query.get(name, "").strip()
    if not value:
        raise InvalidAPIParameters(f"The `{name}` query parameter is required")
    return value


async def list_presets(request: web.Request) -> web.Response:
    """`GET /resource/presets[?scaling_group=]` -> `{"presets": [{id, name, shared_memory,
    resource_slots}]}`: the global presets, and those of the named scaling group."""
    presets = await api_context(request).processors.resource_preset.list_presets_json.run(
        ListResourcePresetsAction(
            requester=current_user(request),
            scaling_group=request.query.get("scaling_group") or None,
        )
    )
    return web.json_response({"presets": presets})


async def check_presets(request: web.Request) -> web.Response:
    """`POST /resource/check-presets` (body: optional `group`, `scaling_group`)."""
    body = await _json_body(request)
    result = await api_context(request).processors.resource_preset.check.run(
        CheckResourcePresetsAction(
            requester=current_user(request),
            group=_optional_text(body.get("group"), "group") or "default",
            scaling_group=_optional_text(body.get("scaling_group"), "scaling_group"),
        )
    )
    return web.json_response(result.to_json())


async def container_registries(request: web.Request) -> web.Response:
    """`GET /resource/container-registries` -> `{"<project>/<name>": url}` (superadmins)."""
    registries = await api_context(request).processors.resource_preset.container_registries.run(
        ListContainerRegistriesAction(requester=current_user(request))
    )
    return web.json_response(registries)


async def usage_per_month(request: web.Request) -> web.Response:
    """`GET /resource/usage/month?month=YYYYMM&group_ids=a,b` -> one entry per project."""
    month = _required(request, "month")
    raw_ids = [part for part in request.query.get("group_ids", "").split(",") if part.strip()]
    group_ids = [_uuid(part, "group_ids") for part in raw_ids] or None
    report = await api_context(request).processors.usage.per_month.run(
        UsagePerMonthAction(requester=current_user(request), month=month, group_ids=group_ids)
    )
    return web.json_response(report)


async def usage_per_period(request: web.Request) -> web.Response:
    """`GET /resource/usage/period?start_date=YYYYMMDD&end_date=YYYYMMDD[&group_id=]`."""
    start_date = _required(request, "start_date")
    end_date = _required(request, "end_date")
    raw_group = request.query.get("group_id") or request.query.get("project_id")
    report = await api_context(request).processors.usage.per_period.run(
        UsagePerPeriodAction(
            requester=current_user(request),
            start_date=start_date,
            end_date=end_date,
            group_id=_uuid(raw_group, "group_id") if raw_group else None,
        )
    )
    return web.json_response(report)


async def user_month_stats(request: web.Request) -> web.Response:
    """`GET /resource/stats/user/month`: the caller's last 30 days in 15-minute bins."""
    stats = await api_context(request).processors.usage.month_stats.run(
        MonthStatsAction(requester=current_user(request))
    )
    return web.json_response(stats)


async def admin_month_stats(request: web.Request) -> web.Response:
    """`GET /resource/stats/admin/month`: every kernel's last 30 days (superadmins)."""
    stats = await api_context(request).processors.usage.month_stats.run(
        MonthStatsAction(requester=current_user(request), everyone=True)
    )
    return web.json_response(stats)


async def recalculate_usage(request: web.Request) -> web.Response:
    """`POST /resource/recalculate-usage` -> `{}` (occupancy is always summed afresh)."""
    result = await api_context(request).processors.usage.recalculate.run(
        RecalculateUsageAction(requester=current_user(request))
    )
    return web.json_response(result)


def register_routes(app: web.Application) -> None:
    app.router.add_get("/resource/presets", list_presets)
    app.router.add_post("/resource/check-presets", check_presets)
    app.router.add_get("/resource/container-registries", container_registries)
    # the deprecated spelling of the same list
    app.router.add_get("/config/docker-registries", container_registries)
    app.router.add_get("/resource/usage/month", usage_per_month)
    app.router.add_get("/resource/usage/period", usage_per_period)
    app.router.add_get("/resource/stats/user/month", user_month_stats)
    app.router.add_get("/resource/stats/admin/month", admin_month_stats)
    app.router.add_post("/resource/recalculate-usage", recalculate_usage)
