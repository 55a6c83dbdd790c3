"""`/session/...` and `/stream/session/.../execute`: the compute session REST API.

Handlers only parse, build an action, run it and shape the answer the client reads.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from aiohttp import BodyPartReader, MultipartWriter, WSMsgType, web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ai.backend.manager.actions.session import (
    CompleteCodeAction,
    CreateSessionAction,
    DestroySessionAction,
    DownloadSessionFileAction,
    DownloadSessionFilesAction,
    ExecuteCodeAction,
    GetSessionInfoAction,
    GetSessionLogsAction,
    InterruptSessionAction,
    ListSessionFilesAction,
    RenameSessionAction,
    RestartSessionAction,
    UploadSessionFilesAction,
)
from ai.backend.manager.api.context import api_context, current_user
from ai.backend.manager.api.routing import (
    invalid_parameters,
    read_json_object,
)
from ai.backend.manager.data.session import SessionRecord
from ai.backend.manager.data.vfolder_mount import MountRequest
from ai.backend.manager.errors.base import BackendAIError, InvalidAPIParameters
from ai.backend.manager.services.session.creation import parse_duration_seconds
from ai.backend.manager.types import ClusterMode, SessionTypes

log = logging.getLogger(__name__)


class SessionConfigBody(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    environ: dict[str, str] | None = None
    resources: dict[str, Any] | None = None
    resource_opts: dict[str, Any] | None = None
    scaling_group: str | None = Field(default=None, alias="scalingGroup")
    mounts: list[str] | None = None
    mount_ids: list[str] | None = None
    mount_map: dict[str, str] | None = None
    mount_id_map: dict[str, str] | None = None
    mount_options: dict[str, dict[str, Any] | None] | None = None
    preopen_ports: list[int] | None = None
    agent_list: list[str] | None = Field(default=None, alias="agentList")


class CreateSessionBody(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    name: str = Field(validation_alias="name")
    image: str = Field(min_length=1)
    tag: str | None = None
    type: SessionTypes = SessionTypes.INTERACTIVE
    domain: str | None = None
    group: str | None = None
    owner_access_key: str | None = None
    enqueue_only: bool = Field(default=False, alias="enqueueOnly")
    max_wait_seconds: int = Field(default=0, alias="maxWaitSeconds", ge=0)
    reuse_if_exists: bool = Field(default=True, alias="reuseIfExists")
    startup_command: str | None = Field(default=None, alias="startupCommand")
    starts_at: str | None = None
    bootstrap_script: str | None = None
    dependencies: list[str] | None = None
    callback_url: str | None = None
    architecture: str = "x86_64"
    cluster_size: int = Field(default=1, alias="clusterSize", ge=1)
    cluster_mode: ClusterMode = Field(default=ClusterMode.SINGLE_NODE, alias="clusterMode")
    priority: int | None = Field(default=None, ge=0, le=100)
    batch_timeout: int | None = None
    config: SessionConfigBody = Field(default_factory=SessionConfigBody)

    @field_validator("cluster_mode", mode="before")
    @classmethod
    def _cluster_mode(cls, value: Any) -> Any:
        return value.lower().replace("_", "-") if isinstance(value, str) else value

    @field_validator("batch_timeout", mode="before")
    @classmethod
    def _timeout(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_duration_seconds(value)
        return value


def _session_ref(request: web.Request) -> str:
    return request.match_info["session_name"]


def _owner(request: web.Request) -> str | None:
    return request.query.get("owner_access_key") or None


async def create_session(request: web.Request) -> web.Response:
    raw = await read_json_object(request)
    if "clientSessionToken" in raw and "name" not in raw:
        raw["name"] = raw.pop("clientSessionToken")
    try:
        body = CreateSessionBody.model_validate(raw)
    except ValidationError as e:
        raise invalid_parameters(e) from None
    config = body.config
    action = CreateSessionAction(
        requester=current_user(request),
        name=body.name,
        image=body.image,
        architecture=body.architecture,
        session_type=body.type,
        domain_name=body.domain,
        group_name=body.group,
        owner_access_key=body.owner_access_key,
        enqueue_only=body.enqueue_only,
        max_wait_seconds=body.max_wait_seconds,
        reuse_if_exists=body.reuse_if_exists,
        startup_command=body.startup_command,
        starts_at=body.starts_at,
        bootstrap_script=body.bootstrap_script,
        dependencies=[str(d) for d in body.dependencies or []],
        callback_url=body.callback_url,
        cluster_size=body.cluster_size,
        cluster_mode=body.cluster_mode,
        priority=body.priority,
        batch_timeout=body.batch_timeout,
        tag=body.tag,
        environ=dict(config.environ or {}),
        resources=dict(config.resources or {}),
        resource_opts=dict(config.resource_opts or {}),
        scaling_group=config.scaling_group,
        preopen_ports=list(config.preopen_ports or []),
        agent_list=config.agent_list,
        mounts=MountRequest(
            names=[str(name) for name in config.mounts or []],
            ids=[str(folder_id) for folder_id in config.mount_ids or []],
            paths_by_name=dict(config.mount_map or {}),
            paths_by_id=dict(config.mount_id_map or {}),
            options={name: dict(opts or {}) for name, opts in (config.mount_options or {}).items()},
        ),
    )
    result = await api_context(request).processors.session.create.run(action)
    return web.json_response(
        {
            "sessionId": str(result.session_id),
            "sessionName": result.name,
            "status": result.status.name,
            "servicePorts": result.service_ports,
            "created": result.created,
        },
        status=201 if result.created else 200,
    )


def session_info(session: SessionRecord) -> dict[str, Any]:
    main = session.main_kernel
    return {
        "sessionId": str(session.id),
        "sessionName": session.name,
        "domainName": session.domain_name,
        "groupId": str(session.group_id),
        "userId": str(session.user_uuid),
        "accessKey": session.access_key,
        "image": main.image if main else None,
        "architecture": main.architecture if main else None,
        "registry": main.registry if main else None,
        "tag": session.tag,
        "type": session.session_type.value,
        "status": session.status.name,
        "statusInfo": session.status_info,
        "statusData": session.status_data,
        "result": session.result.name,
        "age_ms": None,
        "createdAt": session.created_at.isoformat() if session.created_at else None,
        "terminatedAt": session.terminated_at.isoformat() if session.terminated_at else None,
        "scalingGroup": session.scaling_group_name,
        "agentIds": session.agent_ids,
        "clusterMode": session.cluster_mode.value,
        "clusterSize": session.cluster_size,
        "occupiedSlots": {k: str(v) for k, v in session.occupied_slots.items()},
        "servicePorts": (main.service_ports or []) if main else [],
        "kernels": [
            {
                "id": str(k.id),
                "role": k.cluster_role,
                "index": k.cluster_idx,
                "hostname": k.cluster_hostname,
                "status": k.status.name,
                "agent": k.agent,
            }
            for k in session.kernels
        ],
    }


async def get_info(request: web.Request) -> web.Response:
    action = GetSessionInfoAction(
        requester=current_user(request),
        reference=_session_ref(request),
        owner_access_key=_owner(request),
    )
    session = await api_context(request).processors.session.get_info.run(action)
    return web.json_response(session_info(session))


async def destroy(request: web.Request) -> web.Response:
    query = request.query
    action = DestroySessionAction(
        requester=current_user(request),
        reference=_session_ref(request),
        owner_access_key=_owner(request),
        forced=query.get("forced", "false").lower() in ("1", "true", "yes"),
        recursive=query.get("recursive", "false").lower() in ("1", "true", "yes"),
    )
    session = await api_context(request).processors.session.destroy.run(action)
    return web.json_response({"stats": {}, "status": session.status.name})


async def restart(request: web.Request) -> web.Response:
    action = RestartSessionAction(
        requester=current_user(request),
        reference=_session_ref(request),
        owner_access_key=_owner(request),
    )
    await api_context(request).processors.session.restart.run(action)
    return web.Response(status=204)


async def rename(request: web.Request) -> web.Response:
    new_name = request.query.get("name")
    if not new_name:
        body = await read_json_object(request)
        new_name = body.get("name") if isinstance(body.get("name"), str) else None
    if not new_name:
        raise InvalidAPIParameters("Give the new name as the `name` query parameter")
    action = RenameSessionAction(
        requester=current_user(request),
        reference=_session_ref(request),
        owner_access_key=_owner(request),
        new_name=new_name,
    )
    await api_context(request).processors.session.rename.run(action)
    return web.Response(status=204)


async def interrupt(request: web.Request) -> web.Response:
    action = InterruptSessionAction(
        requester=current_user(request),
        reference=_session_ref(request),
        owner_access_key=_owner(request),
    )
    await api_context(request).processors.session.interrupt.run(action)
    return web.Response(status=204)


async def complete(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    code = body.get("code", "")
    options = body.get("options") or {}
    if not isinstance(code, str) or not isinstance(options, dict):
        raise InvalidAPIParameters("`code` must be a string and `options` an object")
    action = CompleteCodeAction(
        requester=current_user(request),
        reference=_session_ref(request),
        owner_access_key=_owner(request),
        code=code,
        options=options,
    )
    result = await api_context(request).processors.session.complete.run(action)
    return web.json_response(result if isinstance(result, dict) else {"result": result})


async def get_logs(request: web.Request) -> web.Response:
    kernel_id: uuid.UUID | None = None
    if raw := request.query.get("kernel_id"):
        try:
            kernel_id = uuid.UUID(raw)
        except ValueError:
            raise InvalidAPIParameters(f"kernel_id {raw!r} is not a UUID") from None
    action = GetSessionLogsAction(
        requester=current_user(request),
        reference=_session_ref(request),
        owner_access_key=_owner(request),
        kernel_id=kernel_id,
    )
    logs = await api_context(request).processors.session.get_logs.run(action)
    return web.json_response({"result": {"logs": logs}})


async def status_history(request: web.Request) -> web.Response:
    action = GetSessionInfoAction(
        requester=current_user(request),
        reference=_session_ref(request),
        owner_access_key=_owner(request),
    )
    session = await api_context(request).processors.session.get_info.run(action)
    history = {k.lower(): v for k, v in (session.status_history or {}).items()}
    return web.json_response({"result": history})


async def execute(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    raw_options = body.get("options")
    action = ExecuteCodeAction(
        requester=current_user(request),
        reference=_session_ref(request),
        owner_access_key=_owner(request),
        run_id=body.get("runId") if isinstance(body.get("runId"), str) else None,
        mode=str(body.get("mode") or "query"),
        code=str(body.get("code") or ""),
        options=raw_options if isinstance(raw_options, dict) else {},
    )
    result = await api_context(request).processors.session.execute.run(action)
    return web.json_response({"result": result})


async def stream_execute(request: web.Request) -> web.StreamResponse:
    """The websocket `run` uses: one request frame in, result frames out until finished."""
    user = current_user(request)
    reference = request.match_info["session_name"]
    processors = api_context(request).processors
    # Resolve before upgrading, so a wrong name is an ordinary 404 problem document.
    await processors.session.get_info.run(
        GetSessionInfoAction(requester=user, reference=reference, owner_access_key=_owner(request))
    )
    ws = web.WebSocketResponse(heartbeat=30.0)
    await ws.prepare(request)
    run_id: str | None = None
    try:
        first = await ws.receive(timeout=60)
        if first.type != WSMsgType.TEXT:
            await ws.close()
            return ws
        params = json.loads(first.data)
        mode = str(params.get("mode") or "query")
        code = str(params.get("code") or "")
        raw_options = params.get("options")
        options: dict[str, Any] = raw_options if isinstance(raw_options, dict) else {}
        while True:
            result = await processors.session.execute.run(
                ExecuteCodeAction(
                    requester=user,
                    reference=reference,
                    owner_access_key=_owner(request),
                    run_id=run_id,
                    mode=mode,
                    code=code,
                    options=options,
                )
            )
            run_id = result.get("runId", run_id)
            await ws.send_str(json.dumps(result))
            status = result.get("status")
            if status in ("finished", "clean-finished", "build-finished", "exec-timeout"):
                break
            if status == "waiting-input":
                reply = await ws.receive(timeout=600)
                if reply.type != WSMsgType.TEXT:
                    break
                mode, code = "input", reply.data
            else:
                mode, code = "continue", ""
    except BackendAIError as e:
        await ws.send_str(json.dumps({"status": "error", "msg": e.msg or e.error_title}))
    except (json.JSONDecodeError, TimeoutError) as e:
        await ws.send_str(json.dumps({"status": "error", "msg": f"bad request: {e}"}))
    finally:
        await ws.close()
    return ws


async def list_files(request: web.Request) -> web.Response:
    """The client sends `{"path": ...}` as a JSON body on this GET; a query works too."""
    path = request.query.get("path")
    if path is None and request.can_read_body:
        body = await read_json_object(request)
        path = body.get("path") if isinstance(body.get("path"), str) else None
    action = ListSessionFilesAction(
        requester=current_user(request),
        reference=_session_ref(request),
        owner_access_key=_owner(request),
        path=path or ".",
    )
    result = await api_context(request).processors.session.list_files.run(action)
    return web.json_response(result)


async def upload_files(request: web.Request) -> web.Response:
    if not request.content_type.startswith("multipart/"):
        raise InvalidAPIParameters("Send the files as multipart/form-data")
    files: list[tuple[str, bytes]] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise InvalidAPIParameters("Nested multipart uploads are not supported")
        if not part.filename:
            raise InvalidAPIParameters("Every part needs a filename")
        data = await part.read()
        files.append((part.filename, bytes(data)))
    action = UploadSessionFilesAction(
        requester=current_user(request),
        reference=_session_ref(request),
        owner_access_key=_owner(request),
        files=files,
    )
    await api_context(request).processors.session.upload_files.run(action)
    return web.Response(status=204)


async def download_files(request: web.Request) -> web.Response:
    paths = [p for raw in request.query.getall("files", []) for p in raw.split(",") if p]
    if not paths and request.can_read_body:
        body = await read_json_object(request)
        raw_files = body.get("files")
        if isinstance(raw_files, list):
            paths = [str(p) for p in raw_files]
    action = DownloadSessionFilesAction(
        requester=current_user(request),
        reference=_session_ref(request),
        owner_access_key=_owner(request),
        paths=paths,
    )
    archives = await api_context(request).processors.session.download_files.run(action)
    writer = MultipartWriter("mixed")
    for archive in archives:
        writer.append(archive, {"Content-Type": "application/x-tar"})
    return web.Response(body=writer)


async def download_single(request: web.Request) -> web.Response:
    path = request.query.get("file")
    if not path:
        raise InvalidAPIParameters("Give the file to download as the `file` query parameter")
    action = DownloadSessionFileAction(
        requester=current_user(request),
        reference=_session_ref(request),
        owner_access_key=_owner(request),
        path=path,
    )
    data = await api_context(request).processors.session.download_single.run(action)
    return web.Response(body=data, content_type="application/octet-stream")


def register_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/session", create_session)
    r.add_get("/session/{session_name}", get_info)
    r.add_delete("/session/{session_name}", destroy)
    r.add_patch("/session/{session_name}", restart)
    r.add_post("/session/{session_name}", execute)
    r.add_post("/session/{session_name}/rename", rename)
    r.add_post("/session/{session_name}/interrupt", interrupt)
    r.add_post("/session/{session_name}/complete", complete)
    r.add_get("/session/{session_name}/logs", get_logs)
    r.add_get("/session/{session_name}/files", list_files)
    r.add_post("/session/{session_name}/upload", upload_files)
    r.add_post("/session/{session_name}/download", download_files)
    r.add_get("/session/{session_name}/download_single", download_single)
    r.add_post("/session/{session_name}/download_single", download_single)
    r.add_get("/session/{session_name}/status-history", status_history)
    r.add_get("/stream/session/{session_name}/execute", stream_execute)
