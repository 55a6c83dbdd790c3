from ai.backend.manager.repositories.storage.repository import (
    StorageRepository,
    parse_volume_config,
)
from ai.backend.manager.repositories.storage.types import FolderHosts, VolumeConfig, VolumeRecord

__all__ = [
    "FolderHosts",
    "StorageRepository",
    "VolumeConfig",
    "VolumeRecord",
    "parse_volume_config",
]
