"""Errors about resource presets and usage reports."""

from __future__ import annotations

from typing import ClassVar

from ai.backend.manager.errors.base import BackendAIError, InvalidAPIParameters, ObjectNotFound


class ResourcePresetNotFound(ObjectNotFound):
    error_type = "resource-preset-not-found"
    error_title = "No such resource preset."
    error_domain = "resource_preset"


class ResourcePresetConflict(BackendAIError):
    """A preset of that name already exists in the same scope (global or the scaling group)."""

    status_code: ClassVar[int] = 409
    error_type = "resource-preset-conflict"
    error_title = "The resource preset already exists."
    error_domain = "resource_preset"


class InvalidResourcePresetInput(InvalidAPIParameters):
    error_domain = "resource_preset"


class InvalidUsageQuery(InvalidAPIParameters):
    error_domain = "usage"
