"""Image and registry records as the repository reads and writes them."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ai.backend.manager.types import ContainerRegistryType, ImageStatus, ImageType


@dataclass(frozen=True, slots=True)
class RegistryRecord:
    """A `container_registries` row."""

    id: uuid.UUID
    name: str
    url: str
    type: ContainerRegistryType
    project: str | None
    username: str | None
    password: str | None
    ssl_verify: bool | None
    is_global: bool
    extra: Mapping[str, Any] | None = None

    @property
    def has_password(self) -> bool:
        return self.password is not None


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """An `images` row with its registry and the aliases that point at it."""

    id: uuid.UUID
    name: str  # canonical: `cr.backend.ai/stable/python:3.9-ubuntu20.04`
    project: str | None
    image: str  # `stable/python`
    tag: str | None
    registry: str
    architecture: str
    config_digest: str
    size_bytes: int
    is_local: bool
    type: ImageType
    accelerators: str | None
    labels: Mapping[str, str]
    resources: Mapping[str, Any]
    status: ImageStatus
    customized: bool
    created_at: datetime | None
    registry_info: RegistryRecord
    aliases: tuple[str, ...] = ()
    creator_id: uuid.UUID | None = None  # who a customized image was committed for
    installed_agents: tuple[str, ...] = ()  # agents that report having this build


@dataclass(frozen=True, slots=True)
class NewRegistry:
    """The registry row to create if none matches (`registry_name`, `project`)."""

    name: str
    url: str
    type: ContainerRegistryType
    project: str | None
    is_global: bool = True


@dataclass(frozen=True, slots=True)
class NewImage:
    """An image build to insert, or to update in place (it becomes ALIVE again) when the
    canonical name and architecture exist. A field left None keeps the stored value."""

    name: str
    project: str | None
    image: str
    tag: str
    registry: str
    architecture: str
    type: ImageType
    is_local: bool = False
    config_digest: str | None = None
    size_bytes: int | None = None
    labels: Mapping[str, str] | None = None
    resources: Mapping[str, Any] | None = None
    # Stored when the image is new and no `config_digest` was given (the column is required).
    placeholder_digest: str = ""


@dataclass(frozen=True, slots=True)
class AddedImage:
    image: ImageRecord
    image_created: bool
    registry_created: bool


@dataclass(frozen=True, slots=True)
class AliasChange:
    alias: str
    image: ImageRecord
    previous_target: str | None  # canonical name the alias pointed at before, if it existed


@dataclass(frozen=True, slots=True)
class RegistryInput:
    """The fields of a `container_registries` row to create, or (None: keep) to change."""

    # where images come from
    registry_name: str | None = None
    type: ContainerRegistryType | None = None
    url: str | None = None
    project: str | None = None
    # who may use it, and how it is reached
    is_global: bool | None = None
    ssl_verify: bool | None = None
    username: str | None = None
    password: str | None = None
    extra: Mapping[str, Any] | None = None
    # Fields to set to NULL (for a modify; `project`, `username`, `password`, `extra`).
    cleared: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ScannedImage:
    """One image build found by a rescan, ready to store."""

    canonical: str  # `registry/project/name:tag`
    registry: str  # the registry's name (host[:port])
    project: str | None
    image: str  # `project/name`
    tag: str
    architecture: str
    config_digest: str
    size_bytes: int
    labels: Mapping[str, str]
    resources: Mapping[str, Any]
    accelerators: str | None
    type: ImageType


@dataclass(frozen=True, slots=True)
class ScanImport:
    """What storing a rescan changed."""

    created: int
    updated: int
    revived: int  # forgotten (DELETED) builds that the registry still has, made live again


@dataclass(frozen=True, slots=True)
class RescanOutcome:
    """What a rescan did: a one-line summary, and a warning per image it skipped."""

    message: str
    registries: tuple[str, ...]
    scanned: int  # image builds read and stored
    created: int
    updated: int
    revived: int
    warnings: tuple[str, ...] = ()


# A rescan reports its progress as `(done, total, message)`.
type ProgressCallback = Callable[[int, int, str], Awaitable[None]]
