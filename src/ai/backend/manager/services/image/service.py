"""The image catalogue: resolving what clients type to an image build, and curating the list.

Resolution of a reference for an architecture, first hit wins:

1. the canonical name (`cr.backend.ai/stable/python:3.9-ubuntu20.04`, as typed or normalised);
2. an alias (`image_aliases.alias`), whose image is then looked up by canonical name;
3. a partial reference without a registry, matched as a suffix of whole name components
   (`python:3.9-ubuntu20.04`, `stable/python:3.9-ubuntu20.04`); more than one image is ambiguous.

Only ALIVE images count. Once a step finds an image, the architecture must exist for it: another
architecture is an error that lists the available ones (it does not fall through to the next step).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from ai.backend.manager.actions.image import (
    AddImageAction,
    AliasImageAction,
    DealiasImageAction,
    ForgetImageAction,
    GetImageAction,
    ListImagesAction,
    ModifyImageAction,
    ResolveImageAction,
)
from ai.backend.manager.errors.base import PermissionDenied
from ai.backend.manager.errors.container_registry import ImageRegistryNotAllowed
from ai.backend.manager.errors.image import (
    AmbiguousImage,
    ImageAliasNotFound,
    ImageArchitectureUnavailable,
    ImageNotFound,
    InvalidImageReference,
)
from ai.backend.manager.repositories.image import (
    AddedImage,
    AliasChange,
    ImageRecord,
    ImageRepository,
    NewImage,
    NewRegistry,
)
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.services.image.reference import ImageReference, normalize_architecture
from ai.backend.manager.services.image.resources import build_resources_spec
from ai.backend.manager.services.image.types import ForgottenImages, ResolvedImage
from ai.backend.manager.types import ContainerRegistryType, ImageStatus, ImageType

ALIVE = (ImageStatus.ALIVE,)

FEATURES_LABEL = "ai.backend.features"
OPERATION_FEATURE = "operation"

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_ALIAS = re.compile(r"^[^\s/][^\s]{0,254}$")


def _require_superadmin(requester: AuthenticatedUser | None, what: str) -> None:
    """None is the local operator (the `backend.ai mgr` CLI)."""
    if requester is not None and not requester.is_superadmin:
        raise PermissionDenied(f"Only superadmins can {what}")


def is_operational(record: ImageRecord) -> bool:
    """Whether the image is labelled as one the system runs for operations."""
    return OPERATION_FEATURE in record.labels.get(FEATURES_LABEL, "").split()


def placeholder_digest(canonical: str, architecture: str) -> str:
    """A stable stand-in config digest for images registered without one."""
    return "sha256:" + hashlib.sha256(f"{canonical}|{architecture}".encode()).hexdigest()


def _pick_architecture(builds: Sequence[ImageRecord], architecture: str) -> ResolvedImage:
    """The build of one canonical name for `architecture`, or an error naming the others."""
    for build in builds:
        if build.architecture == architecture:
            return ResolvedImage.from_record(build)
    available = sorted({b.architecture for b in builds})
    raise ImageArchitectureUnavailable(builds[0].name, architecture, available)


class ImageService:
    def __init__(self, repository: ImageRepository) -> None:
        self._repository = repository

    # --- resolution ------------------------------------------------------------------------------

    async def resolve(self, reference: str, architecture: str) -> ResolvedImage:
        """The live build `reference` names for `architecture` (see the module docstring)."""
        arch = normalize_architecture(architecture)
        text = reference.strip()
        if not text:
            raise InvalidImageReference("The image reference is empty")
        parsed: ImageReference | None
        try:
            parsed = ImageReference.parse(text)
        except InvalidImageReference:
            parsed = None  # not a reference; it may still be an alias

        names = [text] if parsed is None or parsed.canonical == text else [text, parsed.canonical]
        builds, aliased = await self._repository.find_by_names_or_alias(names, text)
        alive = [b for b in builds if b.status is ImageStatus.ALIVE]
        if alive:
            # A name typed exactly beats its normalised form (which adds `:latest`).
            best = next((b.name for b in alive if b.name == text), alive[0].name)
            return _pick_architecture([b for b in alive if b.name == best], arch)

        if aliased:
            targets = [b for b in aliased if b.status is ImageStatus.ALIVE]
            if not targets:
                raise ImageNotFound(
                    f"The alias {text!r} points at {aliased[0].name}, which has been forgotten"
                )
            return _pick_architecture(targets, arch)

        if parsed is not None and not parsed.registry:
            matches = await self._repository.find_by_name_suffix(parsed.short, statuses=ALIVE)
            candidates = sorted({b.name for b in matches})
            if len(candidates) > 1:
                raise AmbiguousImage(text, candidates)
            if candidates:
                return _pick_architecture(matches, arch)

        if builds:
            raise ImageNotFound(f"The image {builds[0].name} has been forgotten")
        if parsed is None:
            raise InvalidImageReference(f"{text!r} is neither an image reference nor an alias")
        raise ImageNotFound(f"No image matches {text!r}")

    async def resolve_image(self, action: ResolveImageAction) -> ResolvedImage:
        return await self.resolve(action.reference, action.architecture)

    # --- the catalogue ---------------------------------------------------------------------------

    async def list_images(self, action: ListImagesAction) -> list[ImageRecord]:
        """Live images (every one with `include_deleted`), as the requester may see them."""
        if action.include_deleted:
            _require_superadmin(action.requester, "list forgotten images")
            records = await self._repository.list_images()
        else:
            records = await self._repository.list_images(statuses=ALIVE)
        if not action.include_operational:
            records = [r for r in records if not is_operational(r)]
        return await self._visible(action.requester, records)

    async def get_image(self, action: GetImageAction) -> ImageRecord:
        """One build by id, whatever its status; ImageNotFound if the requester cannot see it."""
        record = await self._repository.get_by_id(action.image_id)
        visible = await self._visible(action.requester, [record] if record else [])
        if not visible:
            raise ImageNotFound(f"No image with id {action.image_id}")
        return visible[0]

    async def lookup_image(self, action: ResolveImageAction) -> ImageRecord:
        """The live build a reference names, as the requester may see it."""
        resolved = await self.resolve(action.reference, action.architecture)
        record = await self._repository.get_by_id(resolved.id)
        visible = await self._visible(action.requester, [record] if record else [])
        if not visible:
            raise ImageNotFound(f"No image matches {action.reference!r}")
        return visible[0]

    async def _visible(
        self, requester: AuthenticatedUser | None, records: Sequence[ImageRecord]
    ) -> list[ImageRecord]:
        """What an API caller may see: the registries their domain allows (superadmins: all),
        and of customized images only those committed for them. The local operator sees all."""
        if requester is None:
            return list(records)
        allowed: set[str] | None = None
        if not requester.is_superadmin and records:
            allowed = set(await self._repository.allowed_registries(requester.domain_name) or ())
        return [
            r
            for r in records
            if (allowed is None or r.registry in allowed)
            and (not r.customized or r.creator_id == requester.user_uuid)
        ]

    async def add_image(self, action: AddImageAction) -> AddedImage:
        _require_superadmin(action.requester, "add images")
        ref = ImageReference.parse(action.canonical)
        if not ref.registry:
            raise InvalidImageReference(
                f"{action.canonical!r} names no registry; give the full name, "
                "e.g. cr.backend.ai/stable/python:3.9-ubuntu20.04"
            )
        arch = normalize_architecture(action.architecture)
        if action.digest is not None and not _DIGEST.match(action.digest):
            raise InvalidImageReference(
                f"Invalid digest {action.digest!r} (expected sha256: and 64 hex digits)"
            )
        if action.size_bytes is not None and action.size_bytes < 0:
            raise InvalidImageReference("The image size cannot be negative")
        resources = (
            build_resources_spec(action.min_slots, action.max_slots)
            if action.min_slots or action.max_slots
            else None
        )
        scheme = "http" if ref.registry.split(":")[0] == "localhost" else "https"
        registry = NewRegistry(
            name=ref.registry,
            url=action.registry_url or f"{scheme}://{ref.registry}",
            type=action.registry_type,
            project=ref.project or None,
        )
        image = NewImage(
            name=ref.canonical,
            project=ref.project or None,
            image=ref.repository,
            tag=ref.tag,
            registry=ref.registry,
            architecture=arch,
            type=ImageType.COMPUTE,
            is_local=action.registry_type is ContainerRegistryType.LOCAL,
            config_digest=action.digest,
            size_bytes=action.size_bytes,
            labels=dict(action.labels) if action.labels else None,
            resources=resources,
            placeholder_digest=placeholder_digest(ref.canonical, arch),
        )
        return await self._repository.add_image(registry, image)

    async def alias_image(self, action: AliasImageAction) -> AliasChange:
        _require_superadmin(action.requester, "alias images")
        alias = action.alias.strip()
        if not _ALIAS.match(alias):
            raise InvalidImageReference(f"Invalid alias {action.alias!r}")
        target = await self.resolve(action.target, action.architecture)
        return await self._repository.set_alias(alias, target.id)

    async def dealias_image(self, action: DealiasImageAction) -> str:
        """Remove the alias; returns the canonical name it pointed at."""
        _require_superadmin(action.requester, "remove image aliases")
        previous = await self._repository.remove_alias(action.alias.strip())
        if previous is None:
            raise ImageAliasNotFound(f"No image alias {action.alias!r}")
        return previous

    async def forget_image(self, action: ForgetImageAction) -> ForgottenImages:
        """Mark builds DELETED: one by id, or by canonical name (one architecture or all)."""
        _require_superadmin(action.requester, "forget images")
        if action.image_id is not None:
            found = await self._repository.get_by_id(action.image_id)
            if found is None:
                raise ImageNotFound(f"No image with id {action.image_id}")
            builds = [found]
        elif action.canonical is not None:
            builds = await self._builds_by_canonical(action.canonical, action.architecture)
        else:
            raise InvalidImageReference("Name the image to forget by canonical name or id")
        alive = [b for b in builds if b.status is ImageStatus.ALIVE]
        changed = await self._repository.set_status(
            [b.id for b in alive], ImageStatus.DELETED, from_statuses=ALIVE
        )
        changed_ids = {b.id for b in changed}
        return ForgottenImages(
            forgotten=tuple(changed),
            already_deleted=tuple(b for b in builds if b.id not in changed_ids),
        )

    async def modify_image(self, action: ModifyImageAction) -> ImageRecord:
        """Change labels, accelerators, resource limits, size or digest of a live build."""
        _require_superadmin(action.requester, "modify images")
        target = await self.resolve(action.target, action.architecture)
        values: dict[str, object] = {}
        if action.labels is not None:
            values["labels"] = {str(k): str(v) for k, v in action.labels.items()}
        if action.accelerators is not None:
            names = [a.strip() for a in action.accelerators if a.strip()]
            values["accelerators"] = ",".join(names) or None
        if action.resource_limits is not None:
            merged: dict[str, dict[str, object]] = {
                str(slot): dict(spec) if isinstance(spec, dict) else {}
                for slot, spec in target.resources.items()
            }
            minimums = {s: v.get("min") for s, v in merged.items() if v.get("min") is not None}
            maximums = {s: v.get("max") for s, v in merged.items() if v.get("max") is not None}
            for slot, (low, high) in action.resource_limits.items():
                minimums.pop(slot, None)
                maximums.pop(slot, None)
                if low is not None and str(low).strip():
                    minimums[slot] = str(low).strip()
                if high is not None and str(high).strip():
                    maximums[slot] = str(high).strip()
                if slot not in minimums and slot not in maximums:
                    merged.pop(slot, None)
            spec = build_resources_spec(
                {k: str(v) for k, v in minimums.items()}, {k: str(v) for k, v in maximums.items()}
            )
            for slot in action.resource_limits:
                if slot in spec or slot in minimums or slot in maximums:
                    spec.setdefault(slot, {"min": None, "max": None})
            values["resources"] = spec
        if action.size_bytes is not None:
            if action.size_bytes < 0:
                raise InvalidImageReference("The image size cannot be negative")
            values["size_bytes"] = action.size_bytes
        if action.digest is not None:
            if not _DIGEST.match(action.digest):
                raise InvalidImageReference(
                    f"Invalid digest {action.digest!r} (expected sha256: and 64 hex digits)"
                )
            values["config_digest"] = action.digest
        return await self._repository.update_image(target.id, values)

    async def _builds_by_canonical(
        self, canonical: str, architecture: str | None
    ) -> list[ImageRecord]:
        text = canonical.strip()
        names = [text]
        try:
            normalised = ImageReference.parse(text).canonical
        except InvalidImageReference:
            normalised = text
        if normalised != text:
            names.append(normalised)
        builds = await self._repository.find_by_names(names)
        if not builds:
            raise ImageNotFound(f"No image named {text!r} (give its canonical name)")
        if architecture is None:
            return builds
        arch = normalize_architecture(architecture)
        matching = [b for b in builds if b.architecture == arch]
        if not matching:
            available = sorted({b.architecture for b in builds})
            raise ImageArchitectureUnavailable(builds[0].name, arch, available)
        return matching


def check_registry_allowed(
    domain_name: str, image: ResolvedImage, allowed: Sequence[str] | None
) -> None:
    """Refuse an image whose registry is not in the domain's `allowed_docker_registries`
    (`allowed` None: the domain is unknown, so nothing is allowed)."""
    if allowed is not None and image.registry_name in allowed:
        return
    listed = ", ".join(allowed or ()) or "none"
    raise ImageRegistryNotAllowed(
        f"The domain {domain_name!r} may not use images from {image.registry_name} "
        f"(it allows: {listed}); ask an administrator to add the registry to the "
        "domain's allowed_docker_registries",
        data={
            "image": image.canonical,
            "registry": image.registry_name,
            "allowed_registries": list(allowed or ()),
        },
    )
