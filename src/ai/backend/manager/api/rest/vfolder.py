"""`/folders/...`: virtual folders, their hosts, and the files in them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from ai.backend.manager.actions.storage import (
    ListAllFolderHostsAction,
    ListFolderHostsAction,
    ListVFolderTypesAction,
)
from ai.backend.manager.actions.vfolder import (
    CreateVFolderAction,
    DeleteFilesAction,
    DeleteFromTrashAction,
    ForceDeleteVFolderAction,
    GetVFolderIdAction,
    GetVFolderInfoAction,
    ListFilesAction,
    ListVFoldersAction,
    MkdirAction,
    MoveFileAction,
    PurgeVFolderAction,
    RenameFileAction,
    RenameVFolderAction,
    RequestDownloadAction,
    RequestUploadAction,
    RestoreVFolderAction,
    TrashVFolderAction,
    UpdateVFolderOptionsAction,
)
from ai.backend.manager.api.context import api_context, current_user
from ai.backend.manager.api.routing import (
    parse_model,
    read_json_object,
    read_model,
)
from ai.backend.manager.data.vfolder import VFolderAccess
from ai.backend.manager.errors.base import InvalidAPIParameters
from ai.backend.manager.types import VFolderPermission, VFolderUsageMode


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
    register_folder_routes(app)


# === folder lifecycle and files ===================================================================


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class CreateFolderBody(_Body):
    name: str
    host: str | None = Field(default=None, validation_alias=AliasChoices("host", "folder_host"))
    group: str | None = Field(default=None, validation_alias=AliasChoices("group", "groupId"))
    usage_mode: VFolderUsageMode = VFolderUsageMode.GENERAL
    permission: VFolderPermission = VFolderPermission.READ_WRITE
    cloneable: bool = False
    quota: int | None = None
    unmanaged_path: str | None = Field(
        default=None, validation_alias=AliasChoices("unmanaged_path", "unmanagedPath")
    )

    @field_validator("group", mode="before")
    @classmethod
    def _group_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, uuid.UUID) else (value or None)

    @field_validator("usage_mode", "permission", mode="before")
    @classmethod
    def _default_when_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return VFolderUsageMode.GENERAL if info.field_name == "usage_mode" else "rw"
        return value


class ListFoldersBody(_Body):
    all: bool = False
    group_id: uuid.UUID | None = Field(
        default=None, validation_alias=AliasChoices("group_id", "groupId")
    )


class NameBody(_Body):
    name: str = Field(validation_alias=AliasChoices("name", "vfolder_name", "vfolderName"))


class IdBody(_Body):
    id: uuid.UUID = Field(validation_alias=AliasChoices("id", "vfolderId", "vfolder_id"))


class RenameBody(_Body):
    new_name: str


class OptionsBody(_Body):
    cloneable: bool | None = None
    permission: VFolderPermission | None = None


class MkdirBody(_Body):
    path: str | list[str]
    parents: bool = True
    exist_ok: bool = False


class RenameFileBody(_Body):
    target_path: str
    new_name: str
    is_dir: bool = False


class MoveFileBody(_Body):
    src: str
    dst: str


class DeleteFilesBody(_Body):
    files: list[str]
    recursive: bool = False


class UploadBody(_Body):
    path: str
    size: int


class DownloadBody(_Body):
    path: str = Field(validation_alias=AliasChoices("path", "file"))
    archive: bool = False


def _str_or_none(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def folder_json(access: VFolderAccess) -> dict[str, Any]:
    """A folder as `GET /folders` and `POST /folders` describe it."""
    f = access.folder
    return {
        "id": f.id.hex,
        "name": f.name,
        "quota_scope_id": f.quota_scope_id,
        "host": f.host,
        "usage_mode": f.usage_mode.value,
        "created_at": str(f.created_at),
        "permission": access.permission.value,
        "max_size": f.max_size or 0,
        "creator": f.creator or "",
        "ownership_type": f.ownership_type.value,
        "user": _str_or_none(f.user),
        "group": _str_or_none(f.group),
        "cloneable": f.cloneable,
        "status": f.status.value,
        "is_owner": access.is_owner,
        "type": f.ownership_type.value,
        "user_email": f.user_email or "",
        "group_name": f.group_name or "",
        "max_files": f.max_files or 0,
        "cur_size": f.cur_size or 0,
    }


async def create_folder(request: web.Request) -> web.Response:
    body = await read_model(request, CreateFolderBody)
    created = await api_context(request).processors.vfolder.create.run(
        CreateVFolderAction(
            requester=current_user(request),
            name=body.name,
            host=body.host or None,
            group=body.group,
            usage_mode=body.usage_mode,
            permission=body.permission,
            cloneable=body.cloneable,
            quota=body.quota,
            unmanaged_path=body.unmanaged_path or None,
        )
    )
    return web.json_response(folder_json(created), status=201)


async def list_folders(request: web.Request) -> web.Response:
    raw = dict(await read_json_object(request))
    for key in ("all", "group_id", "groupId"):
        if key in request.query and key not in raw:
            raw[key] = request.query[key]
    body = parse_model(ListFoldersBody, raw)
    found = await api_context(request).processors.vfolder.list_folders.run(
        ListVFoldersAction(requester=current_user(request), all=body.all, group_id=body.group_id)
    )
    return web.json_response([folder_json(a) for a in found])


async def get_folder_id(request: web.Request) -> web.Response:
    raw = dict(await read_json_object(request))
    if "name" in request.query and "name" not in raw:
        raw["name"] = request.query["name"]
    body = parse_model(NameBody, raw)
    access = await api_context(request).processors.vfolder.get_id.run(
        GetVFolderIdAction(requester=current_user(request), name=body.name)
    )
    return web.json_response({"id": str(access.folder.id), "name": access.folder.name})


async def get_folder_info(request: web.Request) -> web.Response:
    access, num_files, used_bytes = await api_context(request).processors.vfolder.get_info.run(
        GetVFolderInfoAction(requester=current_user(request), folder=request.match_info["vf"])
    )
    f = access.folder
    return web.json_response(
        {
            "name": f.name,
            "id": f.id.hex,
            "quota_scope_id": f.quota_scope_id,
            "host": f.host,
            "status": f.status.value,
            "numFiles": num_files,
            "used_bytes": used_bytes,
            "created_at": str(f.created_at),
            "last_used": _iso(f.last_used) or str(f.created_at),
            "user": _str_or_none(f.user),
            "group": _str_or_none(f.group),
            "type": f.ownership_type.value,
            "is_owner": access.is_owner,
            "permission": access.permission.value,
            "usage_mode": f.usage_mode.value,
            "cloneable": f.cloneable,
        }
    )


async def trash_folder(request: web.Request) -> web.Response:
    body = await read_model(request, IdBody)
    await api_context(request).processors.vfolder.trash.run(
        TrashVFolderAction(requester=current_user(request), folder_id=body.id)
    )
    return web.Response(status=204)


async def trash_folder_by_ref(request: web.Request) -> web.Response:
    """`DELETE /folders/{vf}`: the same by name or id in the path."""
    ctx = api_context(request)
    user = current_user(request)
    access = await ctx.processors.vfolder.get_id.run(
        GetVFolderIdAction(requester=user, name=request.match_info["vf"])
    )
    await ctx.processors.vfolder.trash.run(
        TrashVFolderAction(requester=user, folder_id=access.folder.id)
    )
    return web.Response(status=204)


async def restore_folder(request: web.Request) -> web.Response:
    body = await read_model(request, IdBody)
    await api_context(request).processors.vfolder.restore.run(
        RestoreVFolderAction(requester=current_user(request), folder_id=body.id)
    )
    return web.Response(status=204)


async def delete_from_trash(request: web.Request) -> web.Response:
    body = await read_model(request, IdBody)
    await api_context(request).processors.vfolder.delete_from_trash.run(
        DeleteFromTrashAction(requester=current_user(request), folder_id=body.id)
    )
    return web.Response(status=204)


async def purge_folder(request: web.Request) -> web.Response:
    body = await read_model(request, IdBody)
    await api_context(request).processors.vfolder.purge.run(
        PurgeVFolderAction(requester=current_user(request), folder_id=body.id)
    )
    return web.Response(status=204)


async def force_delete_folder(request: web.Request) -> web.Response:
    await api_context(request).processors.vfolder.force_delete.run(
        ForceDeleteVFolderAction(requester=current_user(request), folder=request.match_info["vf"])
    )
    return web.Response(status=204)


async def rename_folder(request: web.Request) -> web.Response:
    body = await read_model(request, RenameBody)
    await api_context(request).processors.vfolder.rename.run(
        RenameVFolderAction(
            requester=current_user(request), folder=request.match_info["vf"], new_name=body.new_name
        )
    )
    return web.json_response({"msg": ""})


async def update_folder_options(request: web.Request) -> web.Response:
    body = await read_model(request, OptionsBody)
    await api_context(request).processors.vfolder.update_options.run(
        UpdateVFolderOptionsAction(
            requester=current_user(request),
            folder=request.match_info["vf"],
            cloneable=body.cloneable,
            permission=body.permission,
        )
    )
    return web.json_response({"msg": ""})


async def list_allowed_types(request: web.Request) -> web.Response:
    types = await api_context(request).processors.storage.list_vfolder_types.run(
        ListVFolderTypesAction(requester=current_user(request))
    )
    return web.json_response(list(types))


async def mkdir(request: web.Request) -> web.Response:
    body = await read_model(request, MkdirBody)
    result = await api_context(request).processors.vfolder.mkdir.run(
        MkdirAction(
            requester=current_user(request),
            folder=request.match_info["vf"],
            paths=[body.path] if isinstance(body.path, str) else list(body.path),
            parents=body.parents,
            exist_ok=body.exist_ok,
        )
    )
    return web.json_response(
        {"results": {"success": result.success, "failed": result.failed}}, status=result.status
    )


async def list_files(request: web.Request) -> web.Response:
    raw = dict(await read_json_object(request))
    path = request.query.get("path", raw.get("path", "."))
    if not isinstance(path, str):
        raise InvalidAPIParameters("`path` must be a string")
    entries = await api_context(request).processors.vfolder.list_files.run(
        ListFilesAction(requester=current_user(request), folder=request.match_info["vf"], path=path)
    )
    return web.json_response(
        {
            "items": [
                {
                    "name": e.name,
                    "type": e.type,
                    "size": e.size,
                    "mode": e.mode,
                    "created": e.created,
                    "modified": e.modified,
                }
                for e in entries
            ]
        }
    )


async def rename_file(request: web.Request) -> web.Response:
    body = await read_model(request, RenameFileBody)
    await api_context(request).processors.vfolder.rename_file.run(
        RenameFileAction(
            requester=current_user(request),
            folder=request.match_info["vf"],
            target_path=body.target_path,
            new_name=body.new_name,
            is_dir=body.is_dir,
        )
    )
    return web.json_response({"msg": ""})


async def move_file(request: web.Request) -> web.Response:
    body = await read_model(request, MoveFileBody)
    await api_context(request).processors.vfolder.move_file.run(
        MoveFileAction(
            requester=current_user(request),
            folder=request.match_info["vf"],
            src=body.src,
            dst=body.dst,
        )
    )
    return web.json_response({"msg": ""})


async def delete_files(request: web.Request) -> web.Response:
    body = await read_model(request, DeleteFilesBody)
    await api_context(request).processors.vfolder.delete_files.run(
        DeleteFilesAction(
            requester=current_user(request),
            folder=request.match_info["vf"],
            files=body.files,
            recursive=body.recursive,
        )
    )
    return web.json_response({"msg": ""})


async def request_upload(request: web.Request) -> web.Response:
    body = await read_model(request, UploadBody)
    ticket = await api_context(request).processors.vfolder.request_upload.run(
        RequestUploadAction(
            requester=current_user(request),
            folder=request.match_info["vf"],
            path=body.path,
            size=body.size,
        )
    )
    return web.json_response({"token": ticket.token, "url": ticket.url})


async def request_download(request: web.Request) -> web.Response:
    body = await read_model(request, DownloadBody)
    ticket = await api_context(request).processors.vfolder.request_download.run(
        RequestDownloadAction(
            requester=current_user(request),
            folder=request.match_info["vf"],
            path=body.path,
            archive=body.archive,
        )
    )
    return web.json_response({"token": ticket.token, "url": ticket.url})


def register_folder_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/folders", create_folder)
    r.add_get("/folders", list_folders)
    r.add_delete("/folders", trash_folder)
    r.add_get("/folders/_/id", get_folder_id)
    r.add_get("/folders/_/allowed_types", list_allowed_types)
    r.add_get("/folders/_/allowed-types", list_allowed_types)
    r.add_post("/folders/purge", purge_folder)
    r.add_post("/folders/restore-from-trash-bin", restore_folder)
    r.add_post("/folders/delete-from-trash-bin", delete_from_trash)
    r.add_get("/folders/{vf}", get_folder_info)
    r.add_delete("/folders/{vf}", trash_folder_by_ref)
    r.add_delete("/folders/{vf}/force", force_delete_folder)
    r.add_post("/folders/{vf}/rename", rename_folder)
    r.add_post("/folders/{vf}/update-options", update_folder_options)
    r.add_post("/folders/{vf}/mkdir", mkdir)
    r.add_get("/folders/{vf}/files", list_files)
    r.add_post("/folders/{vf}/rename-file", rename_file)
    r.add_post("/folders/{vf}/rename_file", rename_file)
    r.add_post("/folders/{vf}/move-file", move_file)
    r.add_delete("/folders/{vf}/delete-files", delete_files)
    r.add_post("/folders/{vf}/delete-files", delete_files)
    r.add_delete("/folders/{vf}/delete_files", delete_files)
    r.add_post("/folders/{vf}/request-upload", request_upload)
    r.add_post("/folders/{vf}/request-download", request_download)
