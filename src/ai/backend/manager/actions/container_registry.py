"""Operations on container registries and rescans of their images.

`requester` is who asks over the API; None is the local operator (`backend.ai mgr`), who may do
anything. Everything here is for superadmins.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import ClassVar

from ai.backend.manager.actions.base import Action
from ai.backend.manager.data.image import ProgressCallback, RegistryInput
from ai.backend.manager.services.auth.types import AuthenticatedUser


@dataclass(frozen=True, kw_only=True)
class ListRegistriesAction(Action):
    entity_type: ClassVar[str] = "container_registry"
    operation_type: ClassVar[str] = "search"

    requester: AuthenticatedUser | None = None


@dataclass(frozen=True, kw_only=True)
class GetRegistryAction(Action):
    """One registry row by id, or the first row of a registry name (`hostname`)."""

    entity_type: ClassVar[str] = "container_registry"
    operation_type: ClassVar[str] = "get"

    requester: AuthenticatedUser | None = None
    registry_id: uuid.UUID | None = None
    hostname: str | None = None


@dataclass(frozen=True, kw_only=True)
class CreateRegistryAction(Action):
    entity_type: ClassVar[str] = "container_registry"
    operation_type: ClassVar[str] = "create"

    requester: AuthenticatedUser | None = None
    values: RegistryInput


@dataclass(frozen=True, kw_only=True)
class ModifyRegistryAction(Action):
    """Change the row `registry_id`, or every row of the registry name `hostname`."""

    entity_type: ClassVar[str] = "container_registry"
    operation_type: ClassVar[str] = "update"

    requester: AuthenticatedUser | None = None
    registry_id: uuid.UUID | None = None
    hostname: str | None = None
    values: RegistryInput


@dataclass(frozen=True, kw_only=True)
class DeleteRegistryAction(Action):
    """Delete the row `registry_id`, or every row of the registry name `hostname`, with the
    images they hold."""

    entity_type: ClassVar[str] = "container_registry"
    operation_type: ClassVar[str] = "delete"

    requester: AuthenticatedUser | None = None
    registry_id: uuid.UUID | None = None
    hostname: str | None = None


@dataclass(frozen=True, kw_only=True)
class RescanImagesAction(Action):
    """Read the images of a registry (every registry when None; one project's row when
    `project` is given) and store them in the catalogue, all or nothing."""

    entity_type: ClassVar[str] = "image"
    operation_type: ClassVar[str] = "rescan"

    requester: AuthenticatedUser | None = None
    registry: str | None = None
    project: str | None = None
    progress: ProgressCallback | None = field(default=None, compare=False)
