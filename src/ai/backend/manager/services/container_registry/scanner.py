"""Reading a registry's images: repositories, tags, manifests and config blobs.

A scan first lists every repository and its tags (all registries, all repositories at once,
bounded by each client's request slots), then reads every tag's manifest and config blob the
same way. A manifest list or OCI index gives one image per architecture it lists (attestation
entries, whose platform is `unknown`, are passed by). The scan only reads: storing is the
caller's, so a scan that fails half-way changes nothing.

What counts as what:
* the registry does not answer, or answers garbage (an HTTP error, JSON that does not parse, a
  manifest without a config) -> the whole scan fails with that error;
* an image whose labels do not parse -> skipped, with a warning naming it and the reason;
* an image without `ai.backend.kernelspec` (not a kernel image), or a tag that vanished while
  scanning -> passed by (counted, no warning).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from ai.backend.manager.clients.container_registry import (
    INDEX_TYPES,
    MANIFEST_TYPES,
    Manifest,
    RegistryClient,
    RegistryClientSettings,
)
from ai.backend.manager.data.image import ProgressCallback, RegistryRecord, ScannedImage
from ai.backend.manager.errors.container_registry import (
    ContainerRegistryProtocolError,
    InvalidContainerRegistry,
)
from ai.backend.manager.errors.image import InvalidImageReference
from ai.backend.manager.services.container_registry.labels import (
    ACCELERATORS_LABEL,
    SERVICE_PORTS_LABEL,
    BrokenImageLabels,
    check_kernelspec,
    is_kernel_image,
    parse_accelerators,
    parse_resources,
    parse_role,
    string_labels,
    validate_service_ports,
)
from ai.backend.manager.services.image.reference import ImageReference, normalize_architecture
from ai.backend.manager.types import ContainerRegistryType

log = logging.getLogger(__name__)

# (done, total, message)

PROGRESS_INTERVAL: Final = 0.25  # seconds between two progress reports (besides the last)
HARBOR_TYPES: Final = frozenset({ContainerRegistryType.HARBOR, ContainerRegistryType.HARBOR2})
SCANNABLE_TYPES: Final = frozenset({ContainerRegistryType.DOCKER, *HARBOR_TYPES})


async def _no_progress(done: int, total: int, message: str) -> None:
    return None


@dataclass(slots=True)
class ScanReport:
    images: list[ScannedImage] = field(default_factory=list)
    # One line per image skipped for broken labels (or an unsupported manifest format).
    warnings: list[str] = field(default_factory=list)
    not_kernel_images: int = 0
    vanished: int = 0
    reused: int = 0  # builds whose config blob was known from a previous rescan
    known: Mapping[tuple[str, str], ScannedImage] = field(default_factory=dict, repr=False)
    tags: int = 0
    repositories: int = 0


@dataclass(frozen=True, slots=True)
class _Tag:
    registry: RegistryRecord
    client: RegistryClient
    repository: str
    tag: str

    @property
    def label(self) -> str:
        return f"{self.registry.name}/{self.repository}:{self.tag}"


class _Progress:
    def __init__(self, callback: ProgressCallback, total: int) -> None:
        self._callback = callback
        self.total = total
        self.done = 0
        self._last = 0.0

    async def advance(self, message: str) -> None:
        self.done += 1
        now = time.monotonic()
        if self.done == self.total or now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            await self._callback(self.done, self.total, message)


def check_scannable(registry: RegistryRecord) -> None:
    if registry.type not in SCANNABLE_TYPES:
        raise InvalidContainerRegistry(
            f"Rescanning registries of type {registry.type.value!r} is not supported "
            f"({registry.name}); supported: docker, harbor, harbor2"
        )
    if registry.type in HARBOR_TYPES and not registry.project:
        raise InvalidContainerRegistry(
            f"The Harbor registry {registry.name} needs a project to rescan"
        )


class RegistryScanner:
    def __init__(self, settings: RegistryClientSettings | None = None) -> None:
        self._settings = settings or RegistryClientSettings()

    async def scan(
        self,
        registries: Sequence[RegistryRecord],
        progress: ProgressCallback = _no_progress,
        *,
        known: Mapping[tuple[str, str], ScannedImage] | None = None,
    ) -> ScanReport:
        """`known`: builds stored before, by (canonical name, config digest); their config
        blobs are not fetched again (a config blob never changes under its digest)."""
        for registry in registries:
            check_scannable(registry)
        report = ScanReport(known=known or {})
        clients = [RegistryClient(r, self._settings) for r in registries]
        try:
            for client in clients:
                await client.__aenter__()
            listings = await _gather(*(self._list_tags(c, report) for c in clients))
            tags = [t for listing in listings for t in listing]
            report.tags = len(tags)
            names = ", ".join(r.name for r in registries)
            await progress(0, len(tags), f"Found {len(tags)} tags in {names}")
            counter = _Progress(progress, len(tags))
            results = await _gather(*(self._scan_tag(t, report, counter) for t in tags))
        finally:
            for client in clients:
                await client.__aexit__(None, None, None)
        for found in results:
            report.images.extend(found)
        return report

    async def _list_tags(self, client: RegistryClient, report: ScanReport) -> list[_Tag]:
        registry = client.registry
        await client.check()
        if registry.type in HARBOR_TYPES:
            assert registry.project is not None
            repositories = await client.harbor_repositories(registry.project)
        else:
            repositories = await client.catalog()
            if registry.project:
                prefix = registry.project.strip("/") + "/"
                repositories = [r for r in repositories if r.startswith(prefix)]
        report.repositories += len(repositories)
        tag_lists = await _gather(*(client.tags(r) for r in repositories))
        return [
            _Tag(registry, client, repository, tag)
            for repository, tags in zip(repositories, tag_lists, strict=True)
            for tag in sorted(set(tags))
        ]

    async def _scan_tag(
        self, tag: _Tag, report: ScanReport, progress: _Progress
    ) -> list[ScannedImage]:
        manifest = await tag.client.manifest(tag.repository, tag.tag)
        found: list[ScannedImage] = []
        if manifest is None:
            report.vanished += 1
        elif manifest.media_type in INDEX_TYPES or "manifests" in manifest.body:
            entries = _index_entries(tag, manifest)
            builds = await _gather(
                *(self._scan_platform(tag, digest, arch, report) for digest, arch in entries)
            )
            found = [b for b in builds if b is not None]
        elif manifest.media_type in MANIFEST_TYPES or "config" in manifest.body:
            build = await self._scan_manifest(tag, manifest, None, report)
            found = [build] if build is not None else []
        elif manifest.body.get("schemaVersion") == 1:
            report.warnings.append(
                f"{tag.label}: skipped, schema 1 manifests are not supported (push it again "
                "with a current client)"
            )
        else:
            report.warnings.append(
                f"{tag.label}: skipped, not an image (manifest type {manifest.media_type!r})"
            )
        await progress.advance(tag.label)
        return found

    async def _scan_platform(
        self, tag: _Tag, digest: str, architecture: str, report: ScanReport
    ) -> ScannedImage | None:
        manifest = await tag.client.manifest(tag.repository, digest)
        if manifest is None:
            report.vanished += 1
            return None
        if "config" not in manifest.body:
            raise ContainerRegistryProtocolError(
                f"{tag.label} lists {digest} for {architecture}, which is not an image manifest"
            )
        return await self._scan_manifest(tag, manifest, architecture, report)

    async def _scan_manifest(
        self,
        tag: _Tag,
        manifest: Manifest,
        platform_architecture: str | None,
        report: ScanReport,
    ) -> ScannedImage | None:
        config_digest, size = _manifest_facts(tag, manifest)
        stored = report.known.get((_canonical(tag), config_digest))
        if stored is not None:
            report.reused += 1
            return replace(stored, size_bytes=size)
        config = await tag.client.blob_json(tag.repository, config_digest)
        if config is None:
            report.vanished += 1
            return None
        if not isinstance(config, Mapping):
            raise ContainerRegistryProtocolError(f"The config blob of {tag.label} is not an object")
        where = tag.label + (f" ({platform_architecture})" if platform_architecture else "")
        try:
            inner = config.get("config") or {}
            if not isinstance(inner, Mapping):
                raise BrokenImageLabels("the image config has no `config` object")
            labels = string_labels(inner.get("Labels"))
            if not is_kernel_image(labels):
                report.not_kernel_images += 1
                return None
            return _build_image(tag, config_digest, size, labels, config, platform_architecture)
        except BrokenImageLabels as e:
            report.warnings.append(f"{where}: skipped, {e}")
            log.warning("rescan: %s skipped: %s", where, e)
            return None


def _canonical(tag: _Tag) -> str:
    try:
        return ImageReference.parse(f"{tag.registry.name}/{tag.repository}:{tag.tag}").canonical
    except InvalidImageReference:
        return ""


def _index_entries(tag: _Tag, manifest: Manifest) -> list[tuple[str, str]]:
    """(digest, architecture) of each platform an index lists, attestations left out."""
    entries = manifest.body.get("manifests")
    if not isinstance(entries, list):
        raise ContainerRegistryProtocolError(f"The index of {tag.label} lists no manifests")
    found: list[tuple[str, str]] = []
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("digest"), str):
            raise ContainerRegistryProtocolError(f"The index of {tag.label} has a bad entry")
        platform = entry.get("platform") or {}
        architecture = platform.get("architecture") if isinstance(platform, Mapping) else None
        if not isinstance(architecture, str) or architecture == "unknown":
            continue
        if isinstance(platform, Mapping) and platform.get("os") not in (None, "linux"):
            continue
        found.append((entry["digest"], architecture))
    return found


def _manifest_facts(tag: _Tag, manifest: Manifest) -> tuple[str, int]:
    """The config digest and the image size (config plus layers) of an image manifest."""
    config = manifest.body.get("config")
    if not isinstance(config, Mapping) or not isinstance(config.get("digest"), str):
        raise ContainerRegistryProtocolError(f"The manifest of {tag.label} names no config blob")
    layers = manifest.body.get("layers") or []
    if not isinstance(layers, list):
        raise ContainerRegistryProtocolError(f"The manifest of {tag.label} has bad layers")
    size = 0
    for item in [config, *layers]:
        amount = item.get("size", 0) if isinstance(item, Mapping) else None
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise ContainerRegistryProtocolError(f"The manifest of {tag.label} has a bad blob size")
        size += amount
    return str(config["digest"]), size


def _build_image(
    tag: _Tag,
    config_digest: str,
    size: int,
    labels: Mapping[str, str],
    config: Mapping[str, Any],
    platform_architecture: str | None,
) -> ScannedImage:
    check_kernelspec(labels)
    raw_arch = config.get("architecture") or platform_architecture
    if not isinstance(raw_arch, str) or not raw_arch:
        raise BrokenImageLabels("the image config names no architecture")
    try:
        architecture = normalize_architecture(raw_arch)
        ref = ImageReference.parse(f"{tag.registry.name}/{tag.repository}:{tag.tag}")
    except InvalidImageReference as e:
        raise BrokenImageLabels(e.msg or str(e)) from None
    resources = parse_resources(labels)
    accelerators = parse_accelerators(labels.get(ACCELERATORS_LABEL))
    if SERVICE_PORTS_LABEL in labels:
        validate_service_ports(labels[SERVICE_PORTS_LABEL])
    return ScannedImage(
        canonical=ref.canonical,
        registry=tag.registry.name,
        project=ref.project or None,
        image=ref.repository,
        tag=ref.tag,
        architecture=architecture,
        config_digest=config_digest,
        size_bytes=size,
        labels=dict(labels),
        resources=resources,
        accelerators=accelerators,
        type=parse_role(labels),
    )


async def _gather[T](*aws: Awaitable[T]) -> list[T]:
    """Run them all; the first failure cancels the rest and is raised as it is."""
    if not aws:
        return []
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_as_coroutine(a)) for a in aws]
    except BaseExceptionGroup as group_error:
        raise _first_error(group_error) from None
    return [t.result() for t in tasks]


def _first_error(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error


async def _as_coroutine[T](awaitable: Awaitable[T]) -> T:
    return await awaitable
