"""Errors about images, image aliases and container registries."""

from __future__ import annotations

from collections.abc import Sequence

from ai.backend.manager.errors.base import InvalidAPIParameters, ObjectNotFound


class ImageNotFound(ObjectNotFound):
    """No live image answers to a reference (for the requested architecture)."""

    error_type = "image-not-found"
    error_title = "No such environment image."
    error_domain = "image"


class ImageArchitectureUnavailable(ImageNotFound):
    """The image exists, but not for the requested architecture."""

    def __init__(self, canonical: str, architecture: str, available: Sequence[str]) -> None:
        listed = ", ".join(available)
        super().__init__(
            f"{canonical} is not available for {architecture} (available: {listed})",
            data={
                "image": canonical,
                "architecture": architecture,
                "available_architectures": list(available),
            },
        )
        self.canonical = canonical
        self.architecture = architecture
        self.available = tuple(available)


class ImageAliasNotFound(ObjectNotFound):
    error_type = "image-alias-not-found"
    error_title = "No such image alias."
    error_domain = "image"


class InvalidImageReference(InvalidAPIParameters):
    """A reference that cannot name an image (bad syntax, or missing a part an operation needs)."""

    error_domain = "image"


class AmbiguousImage(InvalidAPIParameters):
    """A partial reference that matches more than one image."""

    error_type = "ambiguous-image"
    error_title = "The image reference is ambiguous."
    error_domain = "image"

    def __init__(self, reference: str, candidates: Sequence[str]) -> None:
        listed = ", ".join(candidates)
        super().__init__(
            f"{reference!r} matches several images: {listed}; use the full name",
            data={"reference": reference, "candidates": list(candidates)},
        )
        self.reference = reference
        self.candidates = tuple(candidates)


class InvalidImageResources(InvalidAPIParameters):
    """An image's resource limits (`--min`/`--max`, labels or the `resources` column) do not
    parse."""

    error_domain = "image"
