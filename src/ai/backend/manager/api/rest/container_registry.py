"""`/container-registries`: register, list, change and delete registries, and rescan one
(superadmin only; the classic SDK's `ContainerRegistry.patch_container_registry` and the v2
client's container registry calls). A stored password is answered as `*****`, never in clear.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from ai.backend.manager.actions.container_registry import (
    CreateRegistryAction,
    DeleteRegistryAction,
    ListRegistriesAction,
    ModifyRegistryAction,
    RescanImagesAction,
)
from ai.backend.manager.api.context import api_context, current_user
from ai.backend.manager.api.routing import read_json_object
from ai.backend.manager.data.image import RegistryInput, RegistryRecord
from ai.backend.manager.errors.base import InvalidAPIParameters
from ai.backend.manager.errors.container_registry import (
    ContainerRegistryNotFound,
    InvalidContainerRegistry,
)
from ai.backend.manager.types import ContainerRegistryType

PASSWORD_PLACEHOLDER = "*****"


def registry_json(record: RegistryRecord) -> dict[str, Any]:
    return {
        "id": str(record.id),
        "url": record.url,
        "registry_name": record.name,
        "type": record.type.value,
        "project": record.project,
        "username": record.username,
        "password": PASSWORD_PLACEHOLDER if record.has_password else None,
        "ssl_verify": record.ssl_verify,
        "is_global": record.is_global,
        "extra": dict(record.extra) if record.extra is not None else None,
    }


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidAPIParameters(f"`{name}` must be a string")
    return value


def _flag(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise InvalidAPIParameters(f"`{name}` must be a boolean")
    return value


def _registry_input(body: dict[str, Any], *, partial: bool) -> RegistryInput:
    raw_type = _text(body, "type")
    try:
        registry_type = ContainerRegistryType(raw_type) if raw_type is not None else None
    except ValueError:
        raise InvalidContainerRegistry(f"Unknown registry type {raw_type!r}") from None
    extra = body.get("extra")
    if extra is not None and not isinstance(extra, dict):
        raise InvalidAPIParameters("`extra` must be an object")
    cleared = (
        frozenset(
            name
            for name in ("project", "username", "password", "extra")
            if name in body and body[name] is None
        )
        if partial
        else frozenset()
    )
    return RegistryInput(
        registry_name=_text(body, "registry_name"),
        url=_text(body, "url"),
        type=registry_type,
        project=_text(body, "project"),
        username=_text(body, "username"),
        password=_text(body, "password"),
        ssl_verify=_flag(body, "ssl_verify"),
        is_global=_flag(body, "is_global"),
        extra=extra,
        cleared=cleared,
    )


def _registry_id(request: web.Request) -> uuid.UUID:
    raw = request.match_info["registry_id"]
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ContainerRegistryNotFound(f"No container registry with id {raw!r}") from None


async def list_registries(request: web.Request) -> web.Response:
    rows = await api_context(request).processors.container_registry.list_all.run(
        ListRegistriesAction(requester=current_user(request))
    )
    return web.json_response({"items": [registry_json(r) for r in rows]})


async def create_registry(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    row = await api_context(request).processors.container_registry.create.run(
        CreateRegistryAction(
            requester=current_user(request), values=_registry_input(body, partial=False)
        )
    )
    return web.json_response(registry_json(row), status=201)


async def patch_registry(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    rows = await api_context(request).processors.container_registry.modify.run(
        ModifyRegistryAction(
            requester=current_user(request),
            registry_id=_registry_id(request),
            values=_registry_input(body, partial=True),
        )
    )
    return web.json_response(registry_json(rows[0]))


async def delete_registry(request: web.Request) -> web.Response:
    await api_context(request).processors.container_registry.delete.run(
        DeleteRegistryAction(requester=current_user(request), registry_id=_registry_id(request))
    )
    return web.Response(status=204)


async def rescan_registry(request: web.Request) -> web.Response:
    """Rescan and answer when it is done (204); failures are problem documents."""
    body = await read_json_object(request)
    registry = _text(body, "registry")
    if not registry:
        raise InvalidAPIParameters("`registry` is required")
    await api_context(request).processors.container_registry.rescan.run(
        RescanImagesAction(
            requester=current_user(request), registry=registry, project=_text(body, "project")
        )
    )
    return web.Response(status=204)


def register_routes(app: web.Application) -> None:
    for path in ("/container-registries", "/container-registries/"):
        app.router.add_get(path, list_registries)
        app.router.add_post(path, create_registry)
    app.router.add_post("/container-registries/rescan", rescan_registry)
    app.router.add_patch("/container-registries/{registry_id}", patch_registry)
    app.router.add_delete("/container-registries/{registry_id}", delete_registry)
