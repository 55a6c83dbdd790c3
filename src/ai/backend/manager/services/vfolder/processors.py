"""The processors of virtual folder operations (REST handlers and GraphQL resolvers run them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.actions.vfolder import (
    CreateVFolderAction,
    DeleteFilesAction,
    DeleteFromTrashAction,
    ForceDeleteVFolderAction,
    GetVFolderIdAction,
    GetVFolderInfoAction,
    GetVFoldersByIdsAction,
    ListFilesAction,
    ListVFoldersAction,
    MkdirAction,
    MoveFileAction,
    PageVFoldersAction,
    PurgeVFolderAction,
    RenameFileAction,
    RenameVFolderAction,
    RequestDownloadAction,
    RequestUploadAction,
    ResolveMountsAction,
    RestoreVFolderAction,
    TrashVFolderAction,
    UpdateVFolderOptionsAction,
)
from ai.backend.manager.data.storage import DirEntry
from ai.backend.manager.data.vfolder import MkdirResult, ResolvedMount, UploadTicket, VFolderAccess
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.storage import StorageRepository
from ai.backend.manager.repositories.vfolder import VFolderRepository
from ai.backend.manager.services.deps import AdminDeps
from ai.backend.manager.services.vfolder.service import VFolderService


@dataclass(frozen=True)
class VFolderProcessors:
    create: ActionProcessor[CreateVFolderAction, VFolderAccess]
    list_folders: ActionProcessor[ListVFoldersAction, list[VFolderAccess]]
    page: ActionProcessor[PageVFoldersAction, tuple[list[VFolderAccess], int]]
    get_by_ids: ActionProcessor[GetVFoldersByIdsAction, dict[uuid.UUID, VFolderAccess]]
    get_id: ActionProcessor[GetVFolderIdAction, VFolderAccess]
    get_info: ActionProcessor[GetVFolderInfoAction, tuple[VFolderAccess, int, int]]
    trash: ActionProcessor[TrashVFolderAction, None]
    restore: ActionProcessor[RestoreVFolderAction, None]
    delete_from_trash: ActionProcessor[DeleteFromTrashAction, None]
    purge: ActionProcessor[PurgeVFolderAction, None]
    force_delete: ActionProcessor[ForceDeleteVFolderAction, None]
    rename: ActionProcessor[RenameVFolderAction, None]
    update_options: ActionProcessor[UpdateVFolderOptionsAction, None]
    mkdir: ActionProcessor[MkdirAction, MkdirResult]
    list_files: ActionProcessor[ListFilesAction, list[DirEntry]]
    rename_file: ActionProcessor[RenameFileAction, None]
    move_file: ActionProcessor[MoveFileAction, None]
    delete_files: ActionProcessor[DeleteFilesAction, None]
    request_upload: ActionProcessor[RequestUploadAction, UploadTicket]
    request_download: ActionProcessor[RequestDownloadAction, UploadTicket]
    resolve_mounts: ActionProcessor[ResolveMountsAction, list[ResolvedMount]]


def build_vfolder_service(deps: AdminDeps) -> VFolderService:
    return VFolderService(
        VFolderRepository(deps.db), StorageRepository(deps.db, deps.etcd), deps.storage_proxies
    )


def build_vfolder_processors(service: VFolderService, metrics: ManagerMetrics) -> VFolderProcessors:
    s = service
    return VFolderProcessors(
        create=ActionProcessor(s.create, metrics=metrics),
        list_folders=ActionProcessor(s.list_folders, metrics=metrics),
        page=ActionProcessor(s.page, metrics=metrics),
        get_by_ids=ActionProcessor(s.get_by_ids, metrics=metrics),
        get_id=ActionProcessor(s.get_id, metrics=metrics),
        get_info=ActionProcessor(s.get_info, metrics=metrics),
        trash=ActionProcessor(s.trash, metrics=metrics),
        restore=ActionProcessor(s.restore, metrics=metrics),
        delete_from_trash=ActionProcessor(s.delete_from_trash, metrics=metrics),
        purge=ActionProcessor(s.purge, metrics=metrics),
        force_delete=ActionProcessor(s.force_delete, metrics=metrics),
        rename=ActionProcessor(s.rename, metrics=metrics),
        update_options=ActionProcessor(s.update_options, metrics=metrics),
        mkdir=ActionProcessor(s.mkdir, metrics=metrics),
        list_files=ActionProcessor(s.list_files, metrics=metrics),
        rename_file=ActionProcessor(s.rename_file, metrics=metrics),
        move_file=ActionProcessor(s.move_file, metrics=metrics),
        delete_files=ActionProcessor(s.delete_files, metrics=metrics),
        request_upload=ActionProcessor(s.request_upload, metrics=metrics),
        request_download=ActionProcessor(s.request_download, metrics=metrics),
        resolve_mounts=ActionProcessor(s.resolve_mounts, metrics=metrics),
    )
