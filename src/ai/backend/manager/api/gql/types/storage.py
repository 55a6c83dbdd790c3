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
    # measured by storage proxies, which the manager does not call yet
    performance_metric: JSONString | None
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
            performance_metric=None,
            usage=None,
            proxy=volume.proxy,
            name=volume.name,
        )


@strawberry.type(name="StorageVolumeList")
class StorageVolumeList:
    items: list[StorageVolume]
    total_count: int
