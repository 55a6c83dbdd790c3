"""Storage volume and folder-host records."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class VolumeRecord:
    """A storage volume: as its storage proxy reports it (`live`), as etcd declares it (a
    proxy without a manager API, or the default host), or known but on a proxy that did not
    answer (`unavailable` holds why; backend and usage are then unknown)."""

    proxy: str
    name: str
    backend: str | None = None
    path: str | None = None
    fsprefix: str | None = None
    capabilities: tuple[str, ...] = ()
    hardware_metadata: dict[str, Any] | None = None
    live: bool = False
    unavailable: str | None = None
    # filled on request from the proxy (GraphQL `usage`, `performance_metric`)
    usage: FSUsage | None = None
    performance_metric: dict[str, Any] | None = None
    sftp_scaling_groups: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.proxy}:{self.name}"


@dataclass(frozen=True, slots=True)
class VolumeConfig:
    """The `volumes` subtree of etcd, as far as the manager reads it without a storage proxy."""

    volumes: tuple[VolumeRecord, ...] = ()
    default_host: str | None = None
    # `volumes/_types/{user,group}`: which kinds of folders may be created (user when unset)
    vfolder_types: tuple[str, ...] = ("user",)


@dataclass(frozen=True, slots=True)
class HostVolumeInfo:
    """`volume_info[host]` of `GET /folders/_/hosts`; `usage` holds the exposed figures
    (`percentage`, `used`, `total`) and is empty when the proxy did not answer."""

    backend: str | None
    capabilities: tuple[str, ...]
    usage: dict[str, float | int]
    sftp_scaling_groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FolderHosts:
    """What `GET /folders/_/hosts` answers: the default host (if allowed) and the allowed
    ones, each with the permissions granted on it, and what the proxies say of them."""

    default: str | None
    allowed: dict[str, list[str]] = field(default_factory=dict)
    volume_info: dict[str, HostVolumeInfo] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AllFolderHosts:
    """What `GET /folders/_/all_hosts` answers: every known host and the default one."""

    default: str | None
    allowed: list[str] = field(default_factory=list)


# --- what the storage proxy's manager API speaks ---------------------------------------------

type QuotaScopeType = Literal["user", "project"]


@dataclass(frozen=True, slots=True)
class QuotaScopeID:
    """Whose quota a folder counts against: `user:<uuid>` or `project:<uuid>` on the wire."""

    scope_type: QuotaScopeType
    scope_id: uuid.UUID

    def __str__(self) -> str:
        return f"{self.scope_type}:{self.scope_id}"

    @classmethod
    def parse(cls, text: str) -> QuotaScopeID:
        kind, sep, rest = text.partition(":")
        kind = kind.lower()
        if not sep or kind not in ("user", "project"):
            raise ValueError(f"not a quota scope id (user:<uuid> or project:<uuid>): {text!r}")
        return cls("user" if kind == "user" else "project", uuid.UUID(rest))

    @classmethod
    def of_user(cls, user_uuid: uuid.UUID) -> QuotaScopeID:
        return cls("user", user_uuid)

    @classmethod
    def of_project(cls, project_id: uuid.UUID) -> QuotaScopeID:
        return cls("project", project_id)


@dataclass(frozen=True, slots=True)
class VFolderID:
    """A folder as the storage proxy names it: its quota scope and its uuid.

    On the wire `<quota scope id>/<folder uuid as 32 hex digits>`, e.g.
    `user:7c2a...-...-.../3f1e0d...` (the proxy's directory layout derives from both)."""

    quota_scope_id: QuotaScopeID
    folder_id: uuid.UUID

    def __str__(self) -> str:
        return f"{self.quota_scope_id}/{self.folder_id.hex}"

    @classmethod
    def parse(cls, text: str) -> VFolderID:
        scope, sep, folder = text.partition("/")
        if not sep:
            raise ValueError(f"not a folder id (<quota scope id>/<uuid>): {text!r}")
        return cls(QuotaScopeID.parse(scope), uuid.UUID(folder))


@dataclass(frozen=True, slots=True)
class StorageProxyInfo:
    """One `volumes/proxies/<name>` entry of etcd."""

    name: str
    client_api: str
    manager_api: str
    secret: str
    ssl_verify: bool = True
    sftp_scaling_groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StorageProxiesConfig:
    """The storage proxies and the folder settings of etcd's `volumes` subtree."""

    proxies: dict[str, StorageProxyInfo] = field(default_factory=dict)
    default_host: str | None = None
    vfolder_types: tuple[str, ...] = ("user",)
    # which of `percentage`, `used_bytes`, `capacity_bytes` users see in `volume_info`
    exposed_volume_info: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProxyVolume:
    """A volume as a storage proxy reports it (`GET /volumes`)."""

    proxy: str
    name: str
    backend: str
    path: str
    fsprefix: str
    capabilities: tuple[str, ...]

    @property
    def host(self) -> str:
        return f"{self.proxy}:{self.name}"


@dataclass(frozen=True, slots=True)
class FSUsage:
    capacity_bytes: int
    used_bytes: int

    @property
    def percentage(self) -> float:
        return 0.0 if self.capacity_bytes <= 0 else self.used_bytes / self.capacity_bytes * 100


@dataclass(frozen=True, slots=True)
class FolderUsage:
    file_count: int
    used_bytes: int


@dataclass(frozen=True, slots=True)
class QuotaScopeUsage:
    """`None` where the backend does not know (no limit set, or usage not tracked)."""

    used_bytes: int | None
    limit_bytes: int | None


@dataclass(frozen=True, slots=True)
class DirEntry:
    """One entry of a folder listing."""

    name: str
    type: str  # FILE, DIRECTORY, SYMLINK
    mode: int
    size: int
    created: str
    modified: str
    symlink_target: str | None = None


@dataclass(frozen=True, slots=True)
class ItemResult:
    item: str
    msg: str | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    """The per-path outcome of a batch operation (mkdir with several paths)."""

    succeeded: tuple[ItemResult, ...]
    failed: tuple[ItemResult, ...]
