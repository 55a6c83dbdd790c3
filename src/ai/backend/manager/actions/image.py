"""Operations on the image catalogue.

`requester` is who asks over the API; None is the local operator (`backend.ai mgr image`), who
may do anything. Changing the catalogue is for superadmins.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from ai.backend.manager.actions.base import Action
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.types import ContainerRegistryType


@dataclass(frozen=True, kw_only=True)
class ResolveImageAction(Action):
    """Find the live image a reference (canonical, alias or unambiguous suffix) names."""

    entity_type: ClassVar[str] = "image"
    operation_type: ClassVar[str] = "get"

    requester: AuthenticatedUser | None = None
    reference: str
    architecture: str


@dataclass(frozen=True, kw_only=True)
class ListImagesAction(Action):
    entity_type: ClassVar[str] = "image"
    operation_type: ClassVar[str] = "search"

    requester: AuthenticatedUser | None = None
    include_deleted: bool = False
    # Images labelled as operational (`ai.backend.features` has `operation`): listed unless
    # False. Customized images are listed only to whom they were committed for (API callers).
    include_operational: bool = True


@dataclass(frozen=True, kw_only=True)
class GetImageAction(Action):
    """Read one image build (any status) by id, as the API caller may see it."""

    entity_type: ClassVar[str] = "image"
    operation_type: ClassVar[str] = "get"

    requester: AuthenticatedUser | None = None
    image_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class AddImageAction(Action):
    """Register an image build (or update it in place and make it live again)."""

    entity_type: ClassVar[str] = "image"
    operation_type: ClassVar[str] = "create"

    requester: AuthenticatedUser | None = None
    canonical: str
    architecture: str
    labels: Mapping[str, str] = field(default_factory=dict)
    # Slot name -> minimum / maximum; `mem` and `*.mem` amounts may be binary sizes (`256m`).
    min_slots: Mapping[str, str | Decimal] = field(default_factory=dict)
    max_slots: Mapping[str, str | Decimal] = field(default_factory=dict)
    digest: str | None = None
    size_bytes: int | None = None
    # Used only when the registry has no container_registries row yet.
    registry_url: str | None = None
    registry_type: ContainerRegistryType = ContainerRegistryType.DOCKER


@dataclass(frozen=True, kw_only=True)
class AliasImageAction(Action):
    entity_type: ClassVar[str] = "image_alias"
    operation_type: ClassVar[str] = "create"

    requester: AuthenticatedUser | None = None
    alias: str
    target: str
    architecture: str


@dataclass(frozen=True, kw_only=True)
class DealiasImageAction(Action):
    entity_type: ClassVar[str] = "image_alias"
    operation_type: ClassVar[str] = "delete"

    requester: AuthenticatedUser | None = None
    alias: str


@dataclass(frozen=True, kw_only=True)
class ForgetImageAction(Action):
    """Mark an image DELETED: by canonical name (one architecture, or all) or by id."""

    entity_type: ClassVar[str] = "image"
    operation_type: ClassVar[str] = "delete"

    requester: AuthenticatedUser | None = None
    canonical: str | None = None
    architecture: str | None = None
    image_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class ModifyImageAction(Action):
    """Change a live image build's catalogue entry; a field left None keeps its value.

    `resource_limits` maps a slot to its (minimum, maximum) (None: no bound); slots not named
    keep their limits.
    """

    entity_type: ClassVar[str] = "image"
    operation_type: ClassVar[str] = "update"

    requester: AuthenticatedUser | None = None
    target: str
    architecture: str
    labels: Mapping[str, str] | None = None
    accelerators: tuple[str, ...] | None = None
    resource_limits: Mapping[str, tuple[str | None, str | None]] | None = None
    size_bytes: int | None = None
    digest: str | None = None


@dataclass(frozen=True, kw_only=True)
class PreloadImageAction(Action):
    """Have agents pull images ahead of sessions."""

    entity_type: ClassVar[str] = "image"
    operation_type: ClassVar[str] = "preload"

    requester: AuthenticatedUser | None = None
    references: tuple[str, ...]
    target_agents: tuple[str, ...]
