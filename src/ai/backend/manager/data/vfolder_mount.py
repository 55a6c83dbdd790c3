"""Folders a session asks to mount, and the mounts the agent receives for them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from ai.backend.manager.types import VFolderPermission, VFolderUsageMode


@dataclass(frozen=True, slots=True)
class MountRequest:
    """What `POST /session` says under `config`: folders by name (`mounts`) or by id
    (`mount_ids`), where each goes in the container (`mount_map` / `mount_id_map`, by the same
    keys) and per-folder options (`mount_options`: `{"permission": "ro", ...}`)."""

    names: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    paths_by_name: dict[str, str] = field(default_factory=dict)
    paths_by_id: dict[str, str] = field(default_factory=dict)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.names and not self.ids


@dataclass(frozen=True, slots=True)
class VFolderMount:
    """One folder as mounted in a session's containers."""

    name: str
    folder_id: uuid.UUID
    # `<quota scope id>/<folder id hex>`, as the storage proxy and the agent name folders
    vfid: str
    vfsubpath: str
    host_path: str
    kernel_path: str
    mount_perm: VFolderPermission
    usage_mode: VFolderUsageMode

    def to_wire(self) -> dict[str, Any]:
        """The agent's `VFolderMount` JSON (kernel creation config `mounts`)."""
        return {
            "name": self.name,
            "vfid": self.vfid,
            "vfsubpath": self.vfsubpath,
            "host_path": self.host_path,
            "kernel_path": self.kernel_path,
            "mount_perm": self.mount_perm.value,
            "usage_mode": self.usage_mode.value,
        }
