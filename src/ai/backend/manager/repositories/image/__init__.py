from ai.backend.manager.data.image import (
    AddedImage,
    AliasChange,
    ImageRecord,
    NewImage,
    NewRegistry,
    RegistryRecord,
)
from ai.backend.manager.repositories.image.repository import ImageRepository

__all__ = [
    "AddedImage",
    "AliasChange",
    "ImageRecord",
    "ImageRepository",
    "NewImage",
    "NewRegistry",
    "RegistryRecord",
]
