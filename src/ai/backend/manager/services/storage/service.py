"""Storage volumes and the virtual folder hosts a caller may use.

Volumes come from the shared configuration until the manager talks to storage proxies. Only
superadmins may list or read volumes (as in the reference manager). Any user may ask which
folder hosts they may use: the hosts allowed to their domain, their projects and their keypair
resource policy, narrowed to the known volumes when the configuration declares any.
"""

from __future__ import annotations

from ai.backend.manager.actions.storage import (
    GetStorageVolumeAction,
    ListFolderHostsAction,
    ListStorageVolumesAction,
    ListVFolderTypesAction,
)
from ai.backend.manager.errors.base import InvalidAPIParameters, PermissionDenied
from ai.backend.manager.errors.storage import StorageVolumeNotFound
from ai.backend.manager.repositories.querying import FieldKind
from ai.backend.manager.repositories.querying.memory import MemoryField, MemoryQueryFields
from ai.backend.manager.repositories.storage import (
    FolderHosts,
    StorageRepository,
    VolumeRecord,
)
from ai.backend.manager.services.auth.types import AuthenticatedUser

# What `filter` and `order` may name in the (in-memory) storage volume list.
VOLUME_FIELDS = MemoryQueryFields[VolumeRecord](
    {
        "id": MemoryField(FieldKind.TEXT, lambda v: v.id),
        "proxy": MemoryField(FieldKind.TEXT, lambda v: v.proxy),
        "name": MemoryField(FieldKind.TEXT, lambda v: v.name),
        "backend": MemoryField(FieldKind.TEXT, lambda v: v.backend),
        "path": MemoryField(FieldKind.TEXT, lambda v: v.path),
        "fsprefix": MemoryField(FieldKind.TEXT, lambda v: v.fsprefix),
        "capabilities": MemoryField(FieldKind.TEXT_ANY, lambda v: v.capabilities, sortable=False),
    }
)


def _require_superadmin(requester: AuthenticatedUser) -> None:
    if not requester.is_superadmin:
        raise PermissionDenied("superadmin privilege required to read storage volumes")


class StorageService:
    def __init__(self, repository: StorageRepository) -> None:
        self._repository = repository

    async def list_volumes(
        self, action: ListStorageVolumesAction
    ) -> tuple[list[VolumeRecord], int]:
        _require_superadmin(action.requester)
        if (action.limit is not None and action.limit < 0) or action.offset < 0:
            raise InvalidAPIParameters("`limit` and `offset` must not be negative")
        configured = (await self._repository.volume_config()).volumes
        volumes = VOLUME_FIELDS.sort(VOLUME_FIELDS.filter(configured, action.filter), action.order)
        end = None if action.limit is None else action.offset + action.limit
        return volumes[action.offset : end], len(volumes)

    async def get_volume(self, action: GetStorageVolumeAction) -> VolumeRecord:
        _require_superadmin(action.requester)
        for volume in (await self._repository.volume_config()).volumes:
            if volume.id == action.volume_id:
                return volume
        raise StorageVolumeNotFound(f"No storage volume {action.volume_id!r}")

    async def list_folder_hosts(self, action: ListFolderHostsAction) -> FolderHosts:
        requester = action.requester
        config = await self._repository.volume_config()
        permitted = await self._repository.allowed_folder_hosts(
            user_uuid=requester.user_uuid,
            domain_name=requester.domain_name,
            resource_policy=requester.resource_policy,
            group_id=action.group_id,
            include_user_hosts="user" in config.vfolder_types,
            include_group_hosts="group" in config.vfolder_types,
        )
        if config.volumes:
            known = {volume.id for volume in config.volumes}
            permitted = {host: perms for host, perms in permitted.items() if host in known}
        default = config.default_host if config.default_host in permitted else None
        return FolderHosts(
            default=default,
            allowed={host: sorted(permitted[host]) for host in sorted(permitted)},
        )

    async def list_vfolder_types(self, action: ListVFolderTypesAction) -> list[str]:
        """`volumes/_types/*` in etcd; `user` alone when none is configured."""
        return list((await self._repository.volume_config()).vfolder_types)
