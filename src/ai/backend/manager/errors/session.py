"""Errors about compute sessions."""

from __future__ import annotations

from ai.backend.manager.errors.base import BackendAIError


class SessionNotFound(BackendAIError):
    status_code = 404
    error_type = "session-not-found"
    error_title = "No such session."
    error_domain = "session"


class SessionAlreadyExists(BackendAIError):
    status_code = 400
    error_type = "session-already-exists"
    error_title = "The session already exists but you requested not to reuse existing one."
    error_domain = "session"


class TooManySessionsMatched(BackendAIError):
    status_code = 400
    error_type = "too-many-sessions-matched"
    error_title = "Too many sessions matched."
    error_domain = "session"


class InvalidSessionRequest(BackendAIError):
    status_code = 400
    error_type = "invalid-api-params"
    error_title = "Missing or invalid API parameters."
    error_domain = "session"


class QuotaExceeded(BackendAIError):
    status_code = 400
    error_type = "quota-exceeded"
    error_title = "You have reached your resource limit."
    error_domain = "session"


class SessionNotRunning(BackendAIError):
    status_code = 409
    error_type = "invalid-session-state"
    error_title = "The session is not in a state that allows this operation."
    error_domain = "session"


class SessionFileNotFound(BackendAIError):
    status_code = 404
    error_type = "session-file-not-found"
    error_title = "No such file in the session."
    error_domain = "session"
