"""Errors about domains."""

from __future__ import annotations

from ai.backend.manager.errors.base import BackendAIError, ObjectNotFound


class DomainNotFound(ObjectNotFound):
    error_type = "domain-not-found"
    error_title = "No such domain."
    error_domain = "domain"


class DomainConflict(BackendAIError):
    """The domain cannot be created or changed as asked: the name is taken, or it has dependants."""

    status_code = 409
    error_type = "domain-conflict"
    error_title = "The domain is in a state that does not allow this."
    error_domain = "domain"
