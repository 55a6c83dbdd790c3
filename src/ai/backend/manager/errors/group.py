"""Errors about groups (projects)."""

from __future__ import annotations

from ai.backend.manager.errors.base import BackendAIError, ObjectNotFound


class GroupNotFound(ObjectNotFound):
    error_type = "group-not-found"
    error_title = "No such project (user group)."
    error_domain = "group"


class GroupConflict(BackendAIError):
    """The project cannot be created or changed as asked (name taken, dependants left)."""

    status_code = 409
    error_type = "group-conflict"
    error_title = "The project is in a state that does not allow this."
    error_domain = "group"
