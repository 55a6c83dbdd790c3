"""The legacy `StorageVolume` object type and its paged list."""

from __future__ import annotations

import strawberry

from ai.backend.manager.api.gql.types.session import JSONString, optional_json_string
from ai.backend.manager.data.storage import VolumeRecord


@strawberry.type(name="StorageVolume", description="A storage volume (`proxy:volume`).")
class StorageVolume:
    id: str
    backend: str | None
    fsprefix: str | None
    path: str | None
    capabilities: list[str]
    hardware_metadata: JSONString | None
    # asked from the volume's storage proxy only when selected; null when it did not answer
    performance_metric: JSONString | None
    # `{"capacity_bytes": N, "used_bytes": N}` of the volume's file system
    usage: JSONString | None
    proxy: str
    name: str

    @classmethod
    def from_record(cls, volume: VolumeRecord) -> StorageVolume:
        return cls(
            id=volume.id,
            backend=volume.backend,
            fsprefix=volume.fsprefix,
            path=volume.path,
            capabilities=list(volume.capabilities),
            hardware_metadata=optional_json_string(volume.hardware_metadata),
            performance_metric=optional_json_string(volume.performance_metric),
            usage=optional_json_string(
                None
                if volume.usage is None
                else {
                    "capacity_bytes": volume.usage.capacity_bytes,
                    "used_bytes": volume.usage.used_bytes,
                }
            ),
            proxy=volume.proxy,
            name=volume.name,
        )


@strawberry.type(name="StorageVolumeList")
class StorageVolumeList:
    items: list[StorageVolume]
    total_count: int
