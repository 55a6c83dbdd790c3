"""What the image service hands to the rest of the manager."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ai.backend.manager.data.image import ImageRecord, RegistryRecord
from ai.backend.manager.services.image.reference import ImageReference, PlatformImageRef
from ai.backend.manager.types import ImageType

type AutoPull = Literal["digest", "tag", "none"]


@dataclass(frozen=True, slots=True)
class ResolvedImage:
    """One live image build, with everything needed to run it on an agent."""

    id: uuid.UUID
    canonical: str
    registry_name: str  # `cr.backend.ai`
    registry: RegistryRecord  # the registry's row: URL and credentials
    project: str | None
    name: str  # without registry, project and tag: `python`
    tag: str
    architecture: str
    digest: str  # the config digest, `sha256:...`
    labels: Mapping[str, str]
    resources: Mapping[str, Any]  # the stored `{slot: {"min": ..., "max": ...}}`
    is_local: bool
    type: ImageType
    size_bytes: int
    aliases: tuple[str, ...] = ()

    @classmethod
    def from_record(cls, record: ImageRecord) -> ResolvedImage:
        project = record.project or None
        name = record.image
        if project and name.startswith(project + "/"):
            name = name[len(project) + 1 :]
        elif project and name == project:
            name = ""
        tag = record.tag or ImageReference.parse(record.name).tag
        return cls(
            id=record.id,
            canonical=record.name,
            registry_name=record.registry,
            registry=record.registry_info,
            project=project,
            name=name,
            tag=tag,
            architecture=record.architecture,
            digest=record.config_digest,
            labels=dict(record.labels),
            resources=dict(record.resources),
            is_local=record.is_local,
            type=record.type,
            size_bytes=record.size_bytes,
            aliases=record.aliases,
        )

    @property
    def registry_url(self) -> str:
        return self.registry.url

    @property
    def platform_ref(self) -> PlatformImageRef:
        """The image as the agent RPC's `ImageRef` names it."""
        return PlatformImageRef(
            name=self.name,
            project=self.project,
            tag=self.tag,
            registry=self.registry_name,
            architecture=self.architecture,
            is_local=self.is_local,
        )

    def image_config(self, *, auto_pull: AutoPull = "digest") -> dict[str, Any]:
        """The `image` entry of a kernel creation config (agent RPC `ImageConfig`)."""
        return {
            "canonical": self.canonical,
            "project": self.project,
            "architecture": self.architecture,
            "digest": self.digest,
            "repo_digest": None,
            "registry": {
                "name": self.registry_name,
                "url": self.registry.url,
                "username": self.registry.username,
                "password": self.registry.password,
            },
            "labels": dict(self.labels),
            "is_local": self.is_local,
            "auto_pull": auto_pull,
        }


@dataclass(frozen=True, slots=True)
class ForgottenImages:
    """The builds a `forget` marked DELETED, and those that already were."""

    forgotten: tuple[ImageRecord, ...]
    already_deleted: tuple[ImageRecord, ...]
