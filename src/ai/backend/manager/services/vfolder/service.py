"""Virtual folders: who may do what, in which order the database and the storage proxy change.

The manager owns the metadata; the bytes live behind a storage proxy. The rules here keep the
two in step when something fails:

* create: the row is inserted as CREATING (under the owner's lock, with the name and the
  folder allowance checked), then the proxy makes the folder; the row turns READY, or is
  removed if the proxy refused or did not answer. A crash in between leaves a CREATING row
  that `reconcile()` removes (and asks the proxy to remove whatever it may have made).
* delete from the trash / purge / force delete: the row turns DELETE_ONGOING (refused while a
  live session mounts the folder), then the proxy deletes; on failure the row returns to the
  status it had, on success it turns DELETE_COMPLETE (or is removed, for purge).
* files: paths are checked (no absolute paths, no `..`) before the proxy is called.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

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
from ai.backend.manager.clients.storage_proxy import StorageProxyClient, StorageProxyPool
from ai.backend.manager.data.storage import DirEntry, QuotaScopeID, VFolderID
from ai.backend.manager.data.vfolder import (
    MkdirResult,
    ResolvedMount,
    UploadTicket,
    VFolderAccess,
    VFolderCaller,
    VFolderCreateSpec,
    VFolderListScope,
    VFolderRecord,
    permission_covers,
)
from ai.backend.manager.errors.base import InvalidAPIParameters
from ai.backend.manager.errors.storage import (
    StorageProxyError,
    StorageProxyObjectNotFound,
    StorageProxyUnavailable,
)
from ai.backend.manager.errors.vfolder import (
    VFolderBadStatus,
    VFolderInvalidParameter,
    VFolderNotFound,
    VFolderPermissionDenied,
)
from ai.backend.manager.repositories.storage import StorageRepository
from ai.backend.manager.repositories.vfolder import VFolderRepository
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.services.vfolder.rules import (
    check_file_name,
    check_folder_name,
    check_relpath,
)
from ai.backend.manager.types import (
    VFolderHostPermission,
    VFolderOperationStatus,
    VFolderOwnershipType,
    VFolderPermission,
)

log = logging.getLogger(__name__)

S = VFolderOperationStatus
# What each kind of operation accepts the folder to be in.
READABLE = frozenset({S.READY, S.PERFORMING, S.CLONING, S.MOUNTED, S.ERROR, S.DELETE_PENDING})
UPDATABLE = frozenset({S.READY, S.MOUNTED})
MOUNTABLE = frozenset({S.READY, S.PERFORMING, S.CLONING, S.MOUNTED})
TRASHABLE = frozenset({S.READY, S.MOUNTED, S.ERROR})
PURGEABLE = frozenset({S.CREATING, S.DELETE_PENDING, S.DELETE_COMPLETE, S.DELETE_ERROR})
# How long a CREATING or DELETE_ONGOING row may stay so before the reconciler takes it over
# (longer than any request creating or deleting a folder may take).
STALE_AFTER = timedelta(minutes=10)


def caller_of(user: AuthenticatedUser) -> VFolderCaller:
    return VFolderCaller(user_uuid=user.user_uuid, domain_name=user.domain_name, role=user.role)


def _parse_ref(ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(ref)
    except ValueError:
        return None


def _vfid(folder: VFolderRecord) -> VFolderID:
    return VFolderID(QuotaScopeID.parse(folder.quota_scope_id), folder.id)


def _require_status(folder: VFolderRecord, allowed: frozenset[VFolderOperationStatus]) -> None:
    if folder.status not in allowed:
        raise VFolderBadStatus(
            f"The folder is {folder.status.value}; this operation needs it to be one of "
            + ", ".join(sorted(s.value for s in allowed))
        )


def _require_owner(access: VFolderAccess) -> None:
    if not access.is_owner:
        raise VFolderPermissionDenied("Only the folder's owner or an administrator may do this")


def _require_permission(access: VFolderAccess, needed: VFolderPermission) -> None:
    if not permission_covers(access.permission, needed):
        raise VFolderPermissionDenied(
            f"This needs the {needed.value!r} permission; you hold {access.permission.value!r}"
        )


class VFolderService:
    def __init__(
        self,
        repository: VFolderRepository,
        storage: StorageRepository,
        proxies: StorageProxyPool,
    ) -> None:
        self._repository = repository
        self._storage = storage
        self._proxies = proxies

    # --- resolving folders ---------------------------------------------------------------------

    async def _access(self, requester: AuthenticatedUser, ref: str) -> VFolderAccess:
        caller = caller_of(requester)
        folder_id = _parse_ref(ref)
        if folder_id is not None:
            return await self._repository.get_access(folder_id, caller)
        return await self._repository.find_by_name(ref, caller)

    async def _host_permissions(
        self, requester: AuthenticatedUser, *, group_id: uuid.UUID | None
    ) -> Mapping[str, set[str]]:
        return await self._storage.allowed_folder_hosts(
            user_uuid=requester.user_uuid,
            domain_name=requester.domain_name,
            resource_policy=requester.resource_policy,
            group_id=group_id,
            include_user_hosts=group_id is None,
            include_group_hosts=group_id is not None,
        )

    async def _require_host_permission(
        self, requester: AuthenticatedUser, folder: VFolderRecord, needed: VFolderHostPermission
    ) -> None:
        group_id = folder.group if folder.ownership_type == VFolderOwnershipType.GROUP else None
        hosts = await self._host_permissions(requester, group_id=group_id)
        if needed.value not in hosts.get(folder.host, set()):
            raise VFolderPermissionDenied(
                f"`{needed.value}` is not allowed on the folder host {folder.host!r}"
            )

    async def _proxy(self, host: str) -> tuple[StorageProxyClient, str]:
        return await self._proxies.resolve(host)

    # --- create --------------------------------------------------------------------------------

    async def create(self, action: CreateVFolderAction) -> VFolderAccess:
        requester = action.requester
        caller = caller_of(requester)
        name = check_folder_name(action.name, project=action.group is not None)
        if action.unmanaged_path:
            raise VFolderInvalidParameter("Unmanaged folders are not supported")
        config = await self._storage.volume_config()
        host = action.host or config.default_host
        if not host:
            raise VFolderInvalidParameter(
                "Name a folder host: no default host is configured (volumes/default_host)"
            )
        group_id: uuid.UUID | None = None
        if action.group is not None:
            if "group" not in config.vfolder_types:
                raise VFolderInvalidParameter("Project folders are not allowed in this cluster")
            project = await self._repository.project_for_folder(
                caller, action.group, requester.domain_name
            )
            if project is None or (
                not caller.is_superadmin and project.domain_name != requester.domain_name
            ):
                raise VFolderInvalidParameter(f"No project {action.group!r}")
            if not project.is_active:
                raise VFolderInvalidParameter(f"The project {project.name!r} is inactive")
            if not (caller.is_admin or project.is_member):
                raise VFolderPermissionDenied("Only members may create folders in a project")
            group_id = project.id
            max_count, max_quota = project.max_vfolder_count, project.max_quota_scope_size
            quota_scope = str(QuotaScopeID.of_project(project.id))
            domain_name = project.domain_name
        else:
            if "user" not in config.vfolder_types:
                raise VFolderInvalidParameter("User folders are not allowed in this cluster")
            max_count, max_quota = await self._repository.user_limits(requester.user_uuid)
            quota_scope = str(QuotaScopeID.of_user(requester.user_uuid))
            domain_name = requester.domain_name
        if action.quota is not None:
            if action.quota < 0:
                raise VFolderInvalidParameter("`quota` must not be negative")
            if max_quota > 0 and action.quota > max_quota:
                raise VFolderInvalidParameter(
                    f"`quota` exceeds the resource policy's maximum ({max_quota} bytes)"
                )
        hosts = await self._host_permissions(requester, group_id=group_id)
        if VFolderHostPermission.CREATE.value not in hosts.get(host, set()):
            raise VFolderPermissionDenied(f"You may not create folders on the host {host!r}")
        proxy, volume = await self._proxy(host)

        record = await self._repository.insert_creating(
            VFolderCreateSpec(
                id=uuid.uuid4(),
                name=name,
                host=host,
                domain_name=domain_name,
                quota_scope_id=quota_scope,
                usage_mode=action.usage_mode,
                default_mount_permission=action.permission,
                creator=requester.email,
                creator_id=requester.user_uuid,
                ownership_type=(
                    VFolderOwnershipType.GROUP if group_id else VFolderOwnershipType.USER
                ),
                user=None if group_id else requester.user_uuid,
                group=group_id,
                cloneable=action.cloneable,
                max_vfolder_count=max_count,
            )
        )
        limit = action.quota if action.quota else (max_quota if max_quota > 0 else None)
        options: dict[str, Any] | None = (
            {"initial_max_size_for_quota_scope": limit} if limit else None
        )
        try:
            await proxy.create_folder(volume, _vfid(record), options=options)
        except BaseException as e:
            # the proxy refused or did not answer: nothing of the folder remains (a timeout
            # may still have made the directory: ask the proxy to remove it, best effort)
            if not isinstance(e, StorageProxyError):
                with contextlib.suppress(Exception):
                    await proxy.delete_folder(volume, _vfid(record))
            await self._repository.delete_row(record.id)
            raise
        ready = await self._repository.transition(record.id, expect=[S.CREATING], to=S.READY)
        return await self._repository.get_access(ready.id, caller)

    # --- read ----------------------------------------------------------------------------------

    async def list_folders(self, action: ListVFoldersAction) -> list[VFolderAccess]:
        requester = action.requester
        caller = caller_of(requester)
        if action.all and caller.is_superadmin:
            scope = VFolderListScope(group_id=action.group_id, include_deleted=False)
        elif action.all and caller.is_admin:
            scope = VFolderListScope(
                domain_name=requester.domain_name, group_id=action.group_id, include_deleted=False
            )
        else:
            scope = VFolderListScope(
                accessible_to=requester.user_uuid, group_id=action.group_id, include_deleted=False
            )
        found, _ = await self._repository.list_accessible(caller, scope)
        return found

    async def page(self, action: PageVFoldersAction) -> tuple[list[VFolderAccess], int]:
        if action.limit < 0 or action.offset < 0:
            raise InvalidAPIParameters("`limit` and `offset` must not be negative")
        requester = action.requester
        caller = caller_of(requester)
        match action.kind:
            case "own":
                scope = VFolderListScope(accessible_to=requester.user_uuid, only_owned=True)
            case "invited":
                scope = VFolderListScope(accessible_to=requester.user_uuid, only_shared=True)
            case "project":
                scope = VFolderListScope(
                    accessible_to=requester.user_uuid,
                    ownership_type=VFolderOwnershipType.GROUP,
                )
            case _:
                if caller.is_superadmin:
                    scope = VFolderListScope(group_id=action.group_id)
                elif caller.is_admin:
                    scope = VFolderListScope(
                        domain_name=requester.domain_name, group_id=action.group_id
                    )
                else:
                    scope = VFolderListScope(
                        accessible_to=requester.user_uuid, group_id=action.group_id
                    )
        return await self._repository.list_accessible(
            caller, scope, limit=action.limit, offset=action.offset, with_total=True
        )

    async def get_by_ids(self, action: GetVFoldersByIdsAction) -> dict[uuid.UUID, VFolderAccess]:
        return await self._repository.get_many(action.ids, caller_of(action.requester))

    async def get_id(self, action: GetVFolderIdAction) -> VFolderAccess:
        if not action.name:
            raise InvalidAPIParameters("`name` is required")
        return await self._access(action.requester, action.name)

    async def get_info(self, action: GetVFolderInfoAction) -> tuple[VFolderAccess, int, int]:
        """The folder with `(number of files, used bytes)`, measured by its proxy when it
        answers, or as last recorded."""
        access = await self._access(action.requester, action.folder)
        folder = access.folder
        num_files, used = folder.num_files or 0, folder.cur_size or 0
        if folder.status in READABLE:
            try:
                proxy, volume = await self._proxy(folder.host)
                usage = await proxy.get_folder_usage(volume, _vfid(folder))
            except (StorageProxyError, StorageProxyUnavailable) as e:
                log.info("folder usage of %s unavailable: %s", folder.id, e)
            else:
                num_files, used = usage.file_count, usage.used_bytes
                if (num_files, used) != (folder.num_files, folder.cur_size):
                    await self._repository.record_usage(
                        folder.id, num_files=num_files, cur_size=used
                    )
        return access, num_files, used

    # --- trash, restore, delete, purge ---------------------------------------------------------

    async def trash(self, action: TrashVFolderAction) -> None:
        access = await self._repository.get_access(action.folder_id, caller_of(action.requester))
        _require_owner(access)
        _require_status(access.folder, TRASHABLE)
        await self._require_host_permission(
            action.requester, access.folder, VFolderHostPermission.DELETE
        )
        await self._repository.transition(access.folder.id, expect=TRASHABLE, to=S.DELETE_PENDING)

    async def restore(self, action: RestoreVFolderAction) -> None:
        access = await self._repository.get_access(action.folder_id, caller_of(action.requester))
        _require_owner(access)
        _require_status(access.folder, frozenset({S.DELETE_PENDING}))
        await self._repository.transition(access.folder.id, expect=[S.DELETE_PENDING], to=S.READY)

    async def _delete_on_storage(self, folder: VFolderRecord) -> VFolderRecord:
        """Turn the folder DELETE_ONGOING (unless a live session mounts it), delete it on its
        proxy, and mark it DELETE_COMPLETE; on any failure it goes back to where it was."""
        before = folder.status
        await self._repository.transition(
            folder.id, expect=[before], to=S.DELETE_ONGOING, refuse_if_mounted=True
        )
        try:
            proxy, volume = await self._proxy(folder.host)
            await proxy.delete_folder(volume, _vfid(folder))
        except StorageProxyObjectNotFound:
            log.info("folder %s was already gone from %s", folder.id, folder.host)
        except BaseException:
            await self._repository.transition(folder.id, expect=[S.DELETE_ONGOING], to=before)
            raise
        return await self._repository.transition(
            folder.id, expect=[S.DELETE_ONGOING], to=S.DELETE_COMPLETE
        )

    async def delete_from_trash(self, action: DeleteFromTrashAction) -> None:
        access = await self._repository.get_access(action.folder_id, caller_of(action.requester))
        _require_owner(access)
        _require_status(access.folder, frozenset({S.DELETE_PENDING}))
        await self._delete_on_storage(access.folder)

    async def purge(self, action: PurgeVFolderAction) -> None:
        """Remove the folder's row for good (administrators only); whatever is still on the
        storage host is deleted first."""
        caller = caller_of(action.requester)
        if not caller.is_admin:
            raise VFolderPermissionDenied("Only administrators may purge folders")
        access = await self._repository.get_access(action.folder_id, caller)
        folder = access.folder
        _require_status(folder, PURGEABLE)
        if folder.status != S.DELETE_COMPLETE:
            await self._delete_on_storage(folder)
        await self._repository.purge_row(folder.id, expect=[S.DELETE_COMPLETE])

    async def force_delete(self, action: ForceDeleteVFolderAction) -> None:
        access = await self._access(action.requester, action.folder)
        _require_owner(access)
        folder = access.folder
        if folder.status in (S.DELETE_COMPLETE, S.DELETE_ONGOING):
            raise VFolderBadStatus(f"The folder is already {folder.status.value}")
        await self._require_host_permission(action.requester, folder, VFolderHostPermission.DELETE)
        await self._delete_on_storage(folder)

    # --- the folder's own fields ---------------------------------------------------------------

    async def rename(self, action: RenameVFolderAction) -> None:
        access = await self._access(action.requester, action.folder)
        folder = access.folder
        new_name = check_folder_name(
            action.new_name, project=folder.ownership_type == VFolderOwnershipType.GROUP
        )
        _require_owner(access)
        _require_status(folder, UPDATABLE)
        if new_name == folder.name:
            return
        await self._repository.rename(folder, new_name)

    async def update_options(self, action: UpdateVFolderOptionsAction) -> None:
        access = await self._access(action.requester, action.folder)
        _require_owner(access)
        _require_status(access.folder, UPDATABLE)
        await self._repository.update_options(
            access.folder.id, cloneable=action.cloneable, permission=action.permission
        )

    # --- files ---------------------------------------------------------------------------------

    async def _writable(self, requester: AuthenticatedUser, ref: str) -> VFolderRecord:
        access = await self._access(requester, ref)
        _require_status(access.folder, UPDATABLE)
        _require_permission(access, VFolderPermission.READ_WRITE)
        return access.folder

    async def _readable(self, requester: AuthenticatedUser, ref: str) -> VFolderRecord:
        access = await self._access(requester, ref)
        _require_status(access.folder, READABLE)
        return access.folder

    async def mkdir(self, action: MkdirAction) -> MkdirResult:
        if not action.paths:
            raise InvalidAPIParameters("`path` must name at least one directory")
        if len(action.paths) > 50:
            raise InvalidAPIParameters("At most 50 directories at once")
        paths = [check_relpath(p, allow_root=False) for p in action.paths]
        folder = await self._writable(action.requester, action.folder)
        proxy, volume = await self._proxy(folder.host)
        result = await proxy.mkdir(
            volume, _vfid(folder), paths, parents=action.parents, exist_ok=action.exist_ok
        )
        success = [{"item": r.item, "msg": r.msg} for r in result.succeeded]
        failed = [{"item": r.item, "msg": r.msg} for r in result.failed]
        status = 201 if not failed else (207 if success else 422)
        return MkdirResult(success=success, failed=failed, status=status)

    async def list_files(self, action: ListFilesAction) -> list[DirEntry]:
        path = check_relpath(action.path or ".")
        folder = await self._readable(action.requester, action.folder)
        proxy, volume = await self._proxy(folder.host)
        return await proxy.list_files(volume, _vfid(folder), path)

    async def rename_file(self, action: RenameFileAction) -> None:
        target = check_relpath(action.target_path, what="target_path", allow_root=False)
        new_name = check_file_name(action.new_name)
        folder = await self._writable(action.requester, action.folder)
        proxy, volume = await self._proxy(folder.host)
        await proxy.rename_file(volume, _vfid(folder), target, new_name, is_dir=action.is_dir)

    async def move_file(self, action: MoveFileAction) -> None:
        src = check_relpath(action.src, what="src", allow_root=False)
        dst = check_relpath(action.dst, what="dst", allow_root=False)
        folder = await self._writable(action.requester, action.folder)
        proxy, volume = await self._proxy(folder.host)
        await proxy.move_file(volume, _vfid(folder), src, dst)

    async def delete_files(self, action: DeleteFilesAction) -> None:
        if not action.files:
            raise InvalidAPIParameters("`files` must name at least one path")
        files = [check_relpath(f, what="files", allow_root=False) for f in action.files]
        folder = await self._writable(action.requester, action.folder)
        proxy, volume = await self._proxy(folder.host)
        await proxy.delete_files(volume, _vfid(folder), files, recursive=action.recursive)

    async def request_upload(self, action: RequestUploadAction) -> UploadTicket:
        path = check_relpath(action.path, allow_root=False)
        if action.size < 0:
            raise InvalidAPIParameters("`size` must not be negative")
        folder = await self._writable(action.requester, action.folder)
        await self._require_host_permission(
            action.requester, folder, VFolderHostPermission.UPLOAD_FILE
        )
        proxy, volume = await self._proxy(folder.host)
        token = await proxy.create_upload_session(volume, _vfid(folder), path, action.size)
        base = (await self._proxies.client_api_url(folder.host)).rstrip("/")
        return UploadTicket(url=f"{base}/upload", token=token)

    async def request_download(self, action: RequestDownloadAction) -> UploadTicket:
        path = check_relpath(action.path, allow_root=False)
        folder = await self._readable(action.requester, action.folder)
        await self._require_host_permission(
            action.requester, folder, VFolderHostPermission.DOWNLOAD_FILE
        )
        proxy, volume = await self._proxy(folder.host)
        token = await proxy.create_download_session(
            volume, _vfid(folder), path, archive=action.archive
        )
        base = (await self._proxies.client_api_url(folder.host)).rstrip("/")
        return UploadTicket(url=f"{base}/download", token=token)

    # --- mounts (for session creation) ---------------------------------------------------------

    async def resolve_mounts(self, action: ResolveMountsAction) -> list[ResolvedMount]:
        """Each name (or id) the owner can use, in order: mountable, with `mount-in-session`
        allowed on its host, and its path on the storage host as its proxy reports it."""
        resolved: list[ResolvedMount] = []
        seen: set[uuid.UUID] = set()
        for name in action.names:
            access = await self._access(action.requester, name)
            folder = access.folder
            if folder.id in seen:
                raise InvalidAPIParameters(f"The folder {name!r} is named twice")
            seen.add(folder.id)
            _require_status(folder, MOUNTABLE)
            await self._require_host_permission(
                action.requester, folder, VFolderHostPermission.MOUNT_IN_SESSION
            )
            proxy, volume = await self._proxy(folder.host)
            host_path = await proxy.get_mount_path(volume, _vfid(folder))
            resolved.append(
                ResolvedMount(
                    name=folder.name,
                    vfolder_id=folder.id,
                    host=folder.host,
                    quota_scope_id=folder.quota_scope_id,
                    permission=access.permission,
                    usage_mode=folder.usage_mode,
                    host_path=host_path,
                )
            )
        return resolved

    # --- what a crash may leave ----------------------------------------------------------------

    async def reconcile(self, *, older_than: timedelta = STALE_AFTER) -> int:
        """Finish what a crashed manager left: CREATING rows are removed (with whatever their
        proxy may have made), DELETE_ONGOING ones deleted again and marked DELETE_COMPLETE. A
        proxy that does not answer leaves the row for the next round. Returns rows fixed."""
        fixed = 0
        for folder in await self._repository.stale([S.CREATING, S.DELETE_ONGOING], older_than):
            try:
                proxy, volume = await self._proxy(folder.host)
                with contextlib.suppress(StorageProxyObjectNotFound):
                    await proxy.delete_folder(volume, _vfid(folder))
            except Exception as e:
                log.warning("reconciling folder %s: its proxy failed (%s); later", folder.id, e)
                continue
            try:
                if folder.status == S.CREATING:
                    await self._repository.purge_row(
                        folder.id, expect=[S.CREATING], refuse_if_mounted=False
                    )
                else:
                    await self._repository.transition(
                        folder.id, expect=[S.DELETE_ONGOING], to=S.DELETE_COMPLETE
                    )
            except (VFolderBadStatus, VFolderNotFound):
                continue  # someone else moved it meanwhile
            log.info("reconciled folder %s (was %s)", folder.id, folder.status.value)
            fixed += 1
        return fixed
