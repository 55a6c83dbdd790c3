from ai.backend.manager.repositories.image.repository import ImageRepository
from ai.backend.manager.repositories.image.types import (
    AddedImage,
    AliasChange,
    ImageRecord,
    NewImage,
    NewRegistry,
    RegistryRecord,
)

__all__ = [
    "AddedImage",
    "AliasChange",
    "ImageRecord",
    "ImageRepository",
    "NewImage",
    "NewRegistry",
    "RegistryRecord",
]
