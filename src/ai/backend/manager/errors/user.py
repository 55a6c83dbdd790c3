"""Errors about user accounts."""

from __future__ import annotations

from typing import ClassVar

from ai.backend.manager.errors.base import BackendAIError, InvalidAPIParameters, ObjectNotFound


class UserNotFound(ObjectNotFound):
    error_type = "user-not-found"
    error_title = "No such user."
    error_domain = "user"


class UserConflict(BackendAIError):
    """Another user already has the email or the username."""

    status_code: ClassVar[int] = 409
    error_type = "user-conflict"
    error_title = "The user already exists."
    error_domain = "user"


class UserHasDependants(BackendAIError):
    """A purge refused because the user still has sessions or folders."""

    status_code: ClassVar[int] = 409
    error_type = "user-has-dependants"
    error_title = "The user still owns resources."
    error_domain = "user"


class InvalidUserInput(InvalidAPIParameters):
    error_domain = "user"


class PasswordMismatch(InvalidAPIParameters):
    error_type = "password-mismatch"
    error_title = "The passwords do not match."
    error_domain = "user"
