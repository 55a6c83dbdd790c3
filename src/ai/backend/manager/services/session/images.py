"""The image catalogue as sessions need it: resolution, minimum slots, agent image configs."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ai.backend.manager.clients.agent.types import ImageRefSpec
from ai.backend.manager.services.image.resources import image_resource_limits
from ai.backend.manager.services.image.service import ImageService
from ai.backend.manager.services.image.types import ResolvedImage


class SessionImages:
    def __init__(self, images: ImageService, *, auto_pull: str = "digest") -> None:
        self._images = images
        self._auto_pull = auto_pull

    async def resolve(self, reference: str, architecture: str) -> ResolvedImage:
        return await self._images.resolve(reference, architecture)

    async def ensure_allowed(self, domain_name: str, image: ResolvedImage) -> None:
        await self._images.ensure_registry_allowed(domain_name, image)

    def minimum_slots(self, image: ResolvedImage) -> Mapping[str, Decimal]:
        return {slot: low for slot, (low, _) in image_resource_limits(image).items()}

    async def image_config(
        self, canonical: str, architecture: str
    ) -> tuple[dict[str, Any], ImageRefSpec]:
        image = await self._images.resolve(canonical, architecture)
        ref = ImageRefSpec(
            name=image.name,
            project=image.project,
            tag=image.tag,
            registry=image.registry_name,
            architecture=image.architecture,
            is_local=image.is_local,
        )
        return image.image_config(auto_pull=self._auto_pull), ref  # type: ignore[arg-type]
