"""Storage volume and folder-host records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class VolumeRecord:
    """A storage volume as the shared configuration declares it."""

    proxy: str
    name: str
    backend: str | None = None
    path: str | None = None
    fsprefix: str | None = None
    capabilities: tuple[str, ...] = ()
    hardware_metadata: dict[str, Any] | None = None

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
class FolderHosts:
    """What `GET /folders/_/hosts` answers: the default host (if allowed) and the allowed
    ones, each with the permissions granted on it."""

    default: str | None
    allowed: dict[str, list[str]] = field(default_factory=dict)
