"""The folders a new session mounts: `POST /session`'s `mounts`/`mount_ids` resolved for the
session's owner, with where each goes in the containers and with which permission.

A mount names a folder (by name or id), optionally followed by a subpath (`data/train`
mounts the `train` directory of the folder `data`). It goes to `/home/work/<folder name>`
unless `mount_map`/`mount_id_map` says otherwise (a relative destination is taken under
`/home/work`). `mount_options[<key>].permission = "ro"` mounts a writable folder read-only;
asking for more than the owner's permission on the folder is refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from ai.backend.manager.actions.vfolder import ResolveMountsAction
from ai.backend.manager.data.vfolder import ResolvedMount
from ai.backend.manager.data.vfolder_mount import MountRequest, VFolderMount
from ai.backend.manager.errors.vfolder import VFolderInvalidParameter, VFolderPermissionDenied
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.services.vfolder.rules import check_folder_name, check_relpath
from ai.backend.manager.types import VFolderPermission

HOME = PurePosixPath("/home/work")

type ResolveMounts = Callable[[ResolveMountsAction], Awaitable[list[ResolvedMount]]]


@dataclass(frozen=True, slots=True)
class _Wanted:
    key: str  # as the request names it (`name` or `name/subpath`, or an id)
    folder: str  # the folder name or id
    subpath: str  # "." for the whole folder
    destination: str | None
    options: dict[str, Any]


def _split(key: str) -> tuple[str, str]:
    folder, _, subpath = key.strip().partition("/")
    if not folder:
        raise VFolderInvalidParameter(f"The mount {key!r} names no folder")
    return folder, check_relpath(subpath, what=f"subpath of the mount {key!r}") if subpath else "."


def _wanted(request: MountRequest) -> list[_Wanted]:
    wanted: list[_Wanted] = []
    for keys, destinations in (
        (request.names, request.paths_by_name),
        (request.ids, request.paths_by_id),
    ):
        for key in keys:
            folder, subpath = _split(key)
            wanted.append(
                _Wanted(
                    key=key,
                    folder=folder,
                    subpath=subpath,
                    destination=destinations.get(key) or destinations.get(folder),
                    options=request.options.get(key) or request.options.get(folder) or {},
                )
            )
    return wanted


def kernel_path(destination: str | None, folder_name: str) -> str:
    """Where a folder goes in the container: its own name under /home/work by default."""
    if destination is None or not destination.strip():
        return str(HOME / folder_name)
    raw = destination.strip()
    path = PurePosixPath(raw)
    if ".." in path.parts or "\x00" in raw:
        raise VFolderInvalidParameter(f"The mount destination {raw!r} must not contain '..'")
    if not path.is_absolute():
        path = HOME / path
    if path in (PurePosixPath("/"), HOME):
        raise VFolderInvalidParameter(f"A folder cannot be mounted at {str(path)!r}")
    if path.parent == HOME:
        check_folder_name(path.name)  # the same reserved names as folders
    return str(path)


def _mount_permission(granted: VFolderPermission, options: dict[str, Any]) -> VFolderPermission:
    asked = options.get("permission")
    if asked is None:
        return granted
    try:
        wanted = VFolderPermission(str(asked).lower())
    except ValueError:
        raise VFolderInvalidParameter(
            f"Unknown mount permission {asked!r} (expected ro, rw or wd)"
        ) from None
    if wanted is VFolderPermission.READ_ONLY or wanted is granted:
        return wanted
    if granted is VFolderPermission.READ_ONLY:
        raise VFolderPermissionDenied(
            f"The folder may be mounted read-only only, not with {wanted.value!r}"
        )
    return wanted


class SessionMountResolver:
    """What the session service asks to turn a `POST /session` request into agent mounts."""

    def __init__(self, resolve: ResolveMounts) -> None:
        self._resolve = resolve

    async def resolve_mounts(
        self, *, owner: AuthenticatedUser, request: MountRequest
    ) -> list[VFolderMount]:
        wanted = _wanted(request)
        if not wanted:
            return []
        resolved = await self._resolve(
            ResolveMountsAction(requester=owner, names=[w.folder for w in wanted])
        )
        mounts: list[VFolderMount] = []
        destinations: set[str] = set()
        for want, folder in zip(wanted, resolved, strict=True):
            destination = kernel_path(want.destination, folder.name)
            if destination in destinations:
                raise VFolderInvalidParameter(f"Two folders would be mounted at {destination!r}")
            destinations.add(destination)
            host_path = folder.host_path
            if want.subpath != ".":
                host_path = str(PurePosixPath(host_path) / want.subpath)
            mounts.append(
                VFolderMount(
                    name=folder.name,
                    folder_id=folder.vfolder_id,
                    vfid=folder.vfid,
                    vfsubpath=want.subpath,
                    host_path=host_path,
                    kernel_path=destination,
                    mount_perm=_mount_permission(folder.permission, want.options),
                    usage_mode=folder.usage_mode,
                )
            )
        return mounts
