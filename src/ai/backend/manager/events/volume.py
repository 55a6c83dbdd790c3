"""Volume mount requests to agents and their answers (broadcast)."""

from __future__ import annotations

from typing import ClassVar

from ai.backend.manager.events.base import Event


class DoVolumeMountEvent(Event):
    name: ClassVar[str] = "do_volume_mount"

    # what to mount, and where on the agent
    fs_location: str
    dir_name: str
    fs_type: str = "nfs"
    cmd_options: str | None = None
    # whose storage it is
    volume_backend_name: str
    quota_scope_id: str  # "<scope type>:<id>", e.g. "user:<uuid>"
    # which agents, and whether they keep it across reboots
    scaling_group: str | None = None
    edit_fstab: bool = False
    fstab_path: str = "/etc/fstab"


class DoVolumeUnmountEvent(Event):
    name: ClassVar[str] = "do_volume_unmount"

    dir_name: str
    volume_backend_name: str
    quota_scope_id: str
    scaling_group: str | None = None
    edit_fstab: bool = False
    fstab_path: str | None = None


class VolumeMountResult(Event):
    node_id: str
    node_type: str
    mount_path: str
    quota_scope_id: str
    err_msg: str | None = None


class VolumeMountedEvent(VolumeMountResult):
    name: ClassVar[str] = "volume_mounted"


class VolumeUnmountedEvent(VolumeMountResult):
    name: ClassVar[str] = "volume_unmounted"
