"""The processors of storage operations (REST handlers and GraphQL resolvers run them)."""

from __future__ import annotations

from dataclasses import dataclass

from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.actions.storage import (
    GetStorageVolumeAction,
    ListAllFolderHostsAction,
    ListFolderHostsAction,
    ListStorageVolumesAction,
    ListVFolderTypesAction,
)
from ai.backend.manager.data.storage import AllFolderHosts, FolderHosts, VolumeRecord
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.storage import StorageRepository
from ai.backend.manager.services.deps import AdminDeps
from ai.backend.manager.services.storage.service import StorageService


@dataclass(frozen=True)
class StorageProcessors:
    list_volumes: ActionProcessor[ListStorageVolumesAction, tuple[list[VolumeRecord], int]]
    get_volume: ActionProcessor[GetStorageVolumeAction, VolumeRecord]
    list_folder_hosts: ActionProcessor[ListFolderHostsAction, FolderHosts]
    list_all_folder_hosts: ActionProcessor[ListAllFolderHostsAction, AllFolderHosts]
    list_vfolder_types: ActionProcessor[ListVFolderTypesAction, list[str]]


def build_storage_processors(deps: AdminDeps, metrics: ManagerMetrics) -> StorageProcessors:
    service = StorageService(StorageRepository(deps.db, deps.etcd), deps.storage_proxies)
    return StorageProcessors(
        list_volumes=ActionProcessor(service.list_volumes, metrics=metrics),
        get_volume=ActionProcessor(service.get_volume, metrics=metrics),
        list_folder_hosts=ActionProcessor(service.list_folder_hosts, metrics=metrics),
        list_all_folder_hosts=ActionProcessor(service.list_all_folder_hosts, metrics=metrics),
        list_vfolder_types=ActionProcessor(service.list_vfolder_types, metrics=metrics),
    )
