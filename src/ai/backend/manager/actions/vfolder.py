"""Operations on virtual folders and the files in them (one action per operation)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar, Literal

from ai.backend.manager.actions.base import Action
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.types import VFolderPermission, VFolderUsageMode


@dataclass(frozen=True, kw_only=True)
class _FolderAction(Action):
    entity_type: ClassVar[str] = "vfolder"

    requester: AuthenticatedUser


@dataclass(frozen=True, kw_only=True)
class _OnFolderAction(_FolderAction):
    # a folder id (hex or dashed) or a name the requester can use
    folder: str


@dataclass(frozen=True, kw_only=True)
class CreateVFolderAction(_FolderAction):
    operation_type: ClassVar[str] = "create"

    name: str
    host: str | None = None
    # a project id or name: a project folder; None: the requester's own folder
    group: str | None = None
    usage_mode: VFolderUsageMode = VFolderUsageMode.GENERAL
    permission: VFolderPermission = VFolderPermission.READ_WRITE
    cloneable: bool = False
    # bytes the model folder's quota scope may hold (checked against the policy)
    quota: int | None = None
    unmanaged_path: str | None = None


@dataclass(frozen=True, kw_only=True)
class ListVFoldersAction(_FolderAction):
    """`GET /folders`: what the requester may use; with `all`, an administrator's whole scope."""

    operation_type: ClassVar[str] = "search"

    all: bool = False
    group_id: uuid.UUID | None = None


type VFolderListKind = Literal["all", "own", "invited", "project"]


@dataclass(frozen=True, kw_only=True)
class PageVFoldersAction(_FolderAction):
    """A page of folders for GraphQL: `all` is the requester's scope (everything for a
    superadmin, the domain for an admin, what they may use otherwise)."""

    operation_type: ClassVar[str] = "search"

    kind: VFolderListKind = "all"
    group_id: uuid.UUID | None = None
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True, kw_only=True)
class GetVFolderIdAction(_FolderAction):
    operation_type: ClassVar[str] = "get"

    name: str


@dataclass(frozen=True, kw_only=True)
class GetVFolderInfoAction(_OnFolderAction):
    operation_type: ClassVar[str] = "get"


@dataclass(frozen=True, kw_only=True)
class GetVFoldersByIdsAction(_FolderAction):
    operation_type: ClassVar[str] = "get"

    ids: list[uuid.UUID]


@dataclass(frozen=True, kw_only=True)
class TrashVFolderAction(_FolderAction):
    operation_type: ClassVar[str] = "trash"

    folder_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class RestoreVFolderAction(_FolderAction):
    operation_type: ClassVar[str] = "restore"

    folder_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class DeleteFromTrashAction(_FolderAction):
    operation_type: ClassVar[str] = "delete"

    folder_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class PurgeVFolderAction(_FolderAction):
    operation_type: ClassVar[str] = "purge"

    folder_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ForceDeleteVFolderAction(_OnFolderAction):
    operation_type: ClassVar[str] = "delete"


@dataclass(frozen=True, kw_only=True)
class RenameVFolderAction(_OnFolderAction):
    operation_type: ClassVar[str] = "update"

    new_name: str


@dataclass(frozen=True, kw_only=True)
class UpdateVFolderOptionsAction(_OnFolderAction):
    operation_type: ClassVar[str] = "update"

    cloneable: bool | None = None
    permission: VFolderPermission | None = None


@dataclass(frozen=True, kw_only=True)
class MkdirAction(_OnFolderAction):
    entity_type: ClassVar[str] = "vfolder_file"
    operation_type: ClassVar[str] = "create"

    paths: list[str]
    parents: bool = True
    exist_ok: bool = False


@dataclass(frozen=True, kw_only=True)
class ListFilesAction(_OnFolderAction):
    entity_type: ClassVar[str] = "vfolder_file"
    operation_type: ClassVar[str] = "search"

    path: str = "."


@dataclass(frozen=True, kw_only=True)
class RenameFileAction(_OnFolderAction):
    entity_type: ClassVar[str] = "vfolder_file"
    operation_type: ClassVar[str] = "update"

    target_path: str
    new_name: str
    is_dir: bool = False


@dataclass(frozen=True, kw_only=True)
class MoveFileAction(_OnFolderAction):
    entity_type: ClassVar[str] = "vfolder_file"
    operation_type: ClassVar[str] = "update"

    src: str
    dst: str


@dataclass(frozen=True, kw_only=True)
class DeleteFilesAction(_OnFolderAction):
    entity_type: ClassVar[str] = "vfolder_file"
    operation_type: ClassVar[str] = "delete"

    files: list[str]
    recursive: bool = False


@dataclass(frozen=True, kw_only=True)
class RequestUploadAction(_OnFolderAction):
    entity_type: ClassVar[str] = "vfolder_file"
    operation_type: ClassVar[str] = "upload"

    path: str
    size: int


@dataclass(frozen=True, kw_only=True)
class RequestDownloadAction(_OnFolderAction):
    entity_type: ClassVar[str] = "vfolder_file"
    operation_type: ClassVar[str] = "download"

    path: str
    archive: bool = False


@dataclass(frozen=True, kw_only=True)
class ResolveMountsAction(_FolderAction):
    """Resolve folder names (or ids) a session wants to mount, for the session's owner: each
    must be usable by them, mountable, on a host allowing `mount-in-session`."""

    operation_type: ClassVar[str] = "mount"

    names: list[str]
