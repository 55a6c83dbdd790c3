"""The image catalogue as sessions need it: resolution, minimum slots, agent image configs."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ai.backend.manager.clients.agent.types import ImageRefSpec
from ai.backend.manager.services.image.resources import image_resource_limits
from ai.backend.manager.services.image.service import ImageService, check_registry_allowed
from ai.backend.manager.services.image.types import ResolvedImage

# How long the launcher reuses an image's agent-side config: every kernel of a busy queue asks
# for the same few images; a change to one (labels, registry) reaches new kernels after this.
IMAGE_CONFIG_TTL = 10.0


class SessionImages:
    def __init__(
        self,
        images: ImageService,
        *,
        auto_pull: str = "digest",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._images = images
        self._auto_pull = auto_pull
        self._clock = clock
        self._configs: dict[tuple[str, str], tuple[float, dict[str, Any], ImageRefSpec]] = {}

    async def resolve(self, reference: str, architecture: str) -> ResolvedImage:
        return await self._images.resolve(reference, architecture)

    def check_allowed(
        self, domain_name: str, image: ResolvedImage, allowed_registries: Sequence[str] | None
    ) -> None:
        check_registry_allowed(domain_name, image, allowed_registries)

    def minimum_slots(self, image: ResolvedImage) -> Mapping[str, Decimal]:
        return {slot: low for slot, (low, _) in image_resource_limits(image).items()}

    async def image_config(
        self, canonical: str, architecture: str
    ) -> tuple[dict[str, Any], ImageRefSpec]:
        """What the agent is told about an image (`check_and_pull`, `create_kernels`); the
        answer is shared between callers for `IMAGE_CONFIG_TTL` seconds: do not modify it."""
        now = self._clock()
        cached = self._configs.get((canonical, architecture))
        if cached is not None and now - cached[0] < IMAGE_CONFIG_TTL:
            return cached[1], cached[2]
        image = await self._images.resolve(canonical, architecture)
        ref = ImageRefSpec(
            name=image.name,
            project=image.project,
            tag=image.tag,
            registry=image.registry_name,
            architecture=image.architecture,
            is_local=image.is_local,
        )
        config: dict[str, Any] = image.image_config(auto_pull=self._auto_pull)  # type: ignore[arg-type]
        if len(self._configs) > 1024:
            self._configs.clear()
        self._configs[canonical, architecture] = (now, config, ref)
        return config, ref
