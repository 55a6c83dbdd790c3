"""Operations on compute sessions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ai.backend.manager.actions.base import Action
from ai.backend.manager.data.vfolder_mount import MountRequest
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.types import ClusterMode, SessionStatus, SessionTypes


@dataclass(frozen=True, kw_only=True)
class CreateSessionAction(Action):
    entity_type: ClassVar[str] = "session"
    operation_type: ClassVar[str] = "create"

    requester: AuthenticatedUser
    name: str
    image: str
    architecture: str = "x86_64"
    session_type: SessionTypes = SessionTypes.INTERACTIVE
    domain_name: str | None = None
    group_name: str | None = None
    owner_access_key: str | None = None
    enqueue_only: bool = False
    max_wait_seconds: int = 0
    reuse_if_exists: bool = True
    startup_command: str | None = None
    starts_at: str | None = None
    bootstrap_script: str | None = None
    dependencies: list[str] = field(default_factory=list)
    callback_url: str | None = None
    cluster_size: int = 1
    cluster_mode: ClusterMode = ClusterMode.SINGLE_NODE
    priority: int | None = None
    batch_timeout: int | None = None
    tag: str | None = None
    environ: dict[str, str] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)
    resource_opts: dict[str, Any] = field(default_factory=dict)
    scaling_group: str | None = None
    preopen_ports: list[int] = field(default_factory=list)
    agent_list: list[str] | None = None
    mounts: MountRequest = field(default_factory=MountRequest)


@dataclass(frozen=True)
class CreateSessionResult:
    session_id: uuid.UUID
    name: str
    status: SessionStatus
    created: bool
    service_ports: list[dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class SessionRefAction(Action):
    """An operation on one session named by id, id prefix or name."""

    entity_type: ClassVar[str] = "session"

    requester: AuthenticatedUser
    reference: str
    owner_access_key: str | None = None


@dataclass(frozen=True, kw_only=True)
class GetSessionInfoAction(SessionRefAction):
    operation_type: ClassVar[str] = "get"


@dataclass(frozen=True, kw_only=True)
class DestroySessionAction(SessionRefAction):
    operation_type: ClassVar[str] = "destroy"

    forced: bool = False
    recursive: bool = False


@dataclass(frozen=True, kw_only=True)
class GetSessionLogsAction(SessionRefAction):
    operation_type: ClassVar[str] = "get_logs"

    kernel_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class RenameSessionAction(SessionRefAction):
    operation_type: ClassVar[str] = "rename"

    new_name: str


@dataclass(frozen=True, kw_only=True)
class RestartSessionAction(SessionRefAction):
    operation_type: ClassVar[str] = "restart"


@dataclass(frozen=True, kw_only=True)
class InterruptSessionAction(SessionRefAction):
    operation_type: ClassVar[str] = "interrupt"


@dataclass(frozen=True, kw_only=True)
class CompleteCodeAction(SessionRefAction):
    operation_type: ClassVar[str] = "complete"

    code: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ExecuteCodeAction(SessionRefAction):
    operation_type: ClassVar[str] = "execute"

    run_id: str | None
    mode: str
    code: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ListSessionFilesAction(SessionRefAction):
    operation_type: ClassVar[str] = "list_files"

    path: str = "."


@dataclass(frozen=True, kw_only=True)
class UploadSessionFilesAction(SessionRefAction):
    operation_type: ClassVar[str] = "upload_files"

    files: list[tuple[str, bytes]]


@dataclass(frozen=True, kw_only=True)
class DownloadSessionFilesAction(SessionRefAction):
    operation_type: ClassVar[str] = "download_files"

    paths: list[str]


@dataclass(frozen=True, kw_only=True)
class DownloadSessionFileAction(SessionRefAction):
    operation_type: ClassVar[str] = "download_single"

    path: str


@dataclass(frozen=True, kw_only=True)
class ListSessionsAction(Action):
    entity_type: ClassVar[str] = "session"
    operation_type: ClassVar[str] = "list"

    requester: AuthenticatedUser
    statuses: list[SessionStatus] | None = None
    access_key: str | None = None
    group_id: uuid.UUID | None = None
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True, kw_only=True)
class GetSessionsByIdsAction(Action):
    """Several sessions at once (the GraphQL dataloader's batch); invisible ones are None."""

    entity_type: ClassVar[str] = "session"
    operation_type: ClassVar[str] = "get_many"

    requester: AuthenticatedUser
    session_ids: list[uuid.UUID]


@dataclass(frozen=True, kw_only=True)
class GetSessionByIdAction(Action):
    entity_type: ClassVar[str] = "session"
    operation_type: ClassVar[str] = "get"

    requester: AuthenticatedUser
    session_id: uuid.UUID
