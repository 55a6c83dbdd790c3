"""The error hierarchy the API renders as problem documents (`type`, `title`, `msg`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

PROBLEM_TYPE_BASE = "https://api.backend.ai/probs/"


@dataclass(frozen=True)
class ErrorCode:
    """Where an error came from, for metrics labels: domain, operation and detail."""

    domain: str
    operation: str
    error_detail: str


class BackendAIError(Exception):
    """Base of every error that reaches a client; subclasses set the status and problem slug."""

    status_code: ClassVar[int] = 500
    error_type: ClassVar[str] = "internal-server-error"
    error_title: ClassVar[str] = "Internal server error."
    error_domain: ClassVar[str] = "api"

    def __init__(
        self,
        msg: str | None = None,
        *,
        data: dict[str, Any] | None = None,
        operation: str = "generic",
    ) -> None:
        super().__init__(msg or self.error_title)
        self.msg = msg
        self.data = data
        self.operation = operation

    @property
    def code(self) -> ErrorCode:
        return ErrorCode(self.error_domain, self.operation, self.error_type)

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.error_type,
            "title": self.error_title,
        }
        if self.msg:
            body["msg"] = self.msg
        if self.data is not None:
            body["data"] = self.data
        return body


class InternalServerError(BackendAIError):
    pass


class ServiceUnavailable(BackendAIError):
    status_code = 503
    error_type = "service-unavailable"
    error_title = "Service unavailable."


class GenericBadRequest(BackendAIError):
    status_code = 400
    error_type = "generic-bad-request"
    error_title = "Bad request."


class InvalidAPIParameters(BackendAIError):
    status_code = 400
    error_type = "invalid-api-params"
    error_title = "Missing or invalid API parameters."


class InvalidAuthParameters(BackendAIError):
    status_code = 400
    error_type = "invalid-auth-params"
    error_title = "Missing or invalid authorization parameters."
    error_domain = "auth"


class AuthorizationFailed(BackendAIError):
    status_code = 401
    error_type = "auth-failed"
    error_title = "Credential/signature mismatch."
    error_domain = "auth"


class PermissionDenied(BackendAIError):
    status_code = 403
    error_type = "forbidden"
    error_title = "The request is forbidden."


class ObjectNotFound(BackendAIError):
    status_code = 404
    error_type = "object-not-found"
    error_title = "No such object."


class MethodNotAllowed(BackendAIError):
    status_code = 405
    error_type = "method-not-allowed"
    error_title = "HTTP Method Not Allowed."


class PayloadTooLarge(BackendAIError):
    status_code = 413
    error_type = "request-too-large"
    error_title = "The request payload is too large."


class TooManyRequests(BackendAIError):
    status_code = 429
    error_type = "too-many-requests"
    error_title = "Too many requests."
