"""The image catalogue: references, resolution, resource limits and curation."""

from ai.backend.manager.services.image.reference import (
    ImageReference,
    PlatformImageRef,
    normalize_architecture,
)
from ai.backend.manager.services.image.resources import (
    image_resource_limits,
    parse_slot_amount,
)
from ai.backend.manager.services.image.service import ImageService
from ai.backend.manager.services.image.types import ForgottenImages, ResolvedImage

__all__ = [
    "ForgottenImages",
    "ImageReference",
    "ImageService",
    "PlatformImageRef",
    "ResolvedImage",
    "image_resource_limits",
    "normalize_architecture",
    "parse_slot_amount",
]
