from ai.backend.manager.data.storage import AllFolderHosts, FolderHosts, VolumeConfig, VolumeRecord
from ai.backend.manager.repositories.storage.repository import (
    StorageRepository,
    parse_volume_config,
)

__all__ = [
    "AllFolderHosts",
    "FolderHosts",
    "StorageRepository",
    "VolumeConfig",
    "VolumeRecord",
    "parse_volume_config",
]
