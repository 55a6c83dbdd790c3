"""Errors about scaling groups (resource groups)."""

from __future__ import annotations

from ai.backend.manager.errors.base import BackendAIError, ObjectNotFound


class ScalingGroupNotFound(ObjectNotFound):
    error_type = "scaling-group-not-found"
    error_title = "No such scaling group."
    error_domain = "scaling-group"


class ScalingGroupConflict(BackendAIError):
    """The scaling group cannot be created or removed as asked (name taken, still in use)."""

    status_code = 409
    error_type = "scaling-group-conflict"
    error_title = "The scaling group is in a state that does not allow this."
    error_domain = "scaling-group"
