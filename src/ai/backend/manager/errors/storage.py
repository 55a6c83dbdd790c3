"""Errors about storage volumes, virtual folder hosts and calls to storage proxies."""

from __future__ import annotations

from typing import Any

from ai.backend.manager.errors.base import BackendAIError, InvalidAPIParameters, ObjectNotFound


class StorageVolumeNotFound(ObjectNotFound):
    error_type = "storage-volume-not-found"
    error_title = "No such storage volume."
    error_domain = "storage"


class InvalidFolderHost(InvalidAPIParameters):
    """A folder host that is not `proxy:volume`, or names a proxy etcd does not declare."""

    error_domain = "storage"


class StorageProxyUnavailable(BackendAIError):
    """The storage proxy did not answer: connection refused, reset, or no reply in time."""

    status_code = 503
    error_type = "storage-proxy-unavailable"
    error_title = "The storage proxy is not available."
    error_domain = "storage"

    def __init__(self, proxy: str, reason: str, *, operation: str = "generic") -> None:
        super().__init__(
            f"storage proxy {proxy!r} is not available ({operation}): {reason}",
            data={"proxy": proxy},
            operation=operation,
        )
        self.proxy = proxy
        self.reason = reason


class StorageProxyError(BackendAIError):
    """The storage proxy answered with an error. `proxy_status` and `proxy_title` are what it
    said; the status our caller gets is of the same class for 4xx (the request was wrong) and
    502 for the proxy's own failures (and for a refused manager secret, a setup problem)."""

    status_code = 502
    error_type = "storage-proxy-error"
    error_title = "The storage proxy failed the request."
    error_domain = "storage"

    def __init__(
        self,
        proxy: str,
        proxy_status: int,
        proxy_title: str,
        *,
        operation: str = "generic",
        detail: Any = None,
    ) -> None:
        data: dict[str, Any] = {
            "proxy": proxy,
            "proxy_status": proxy_status,
            "proxy_title": proxy_title,
        }
        if detail is not None:
            data["proxy_detail"] = detail
        super().__init__(
            f"storage proxy {proxy!r} answered {proxy_status} to {operation}: {proxy_title}",
            data=data,
            operation=operation,
        )
        self.proxy = proxy
        self.proxy_status = proxy_status
        self.proxy_title = proxy_title
        self.detail = detail


class StorageProxyBadRequest(StorageProxyError):
    status_code = 400
    error_type = "storage-proxy-bad-request"
    error_title = "The storage proxy refused the request as invalid."


class StorageProxyObjectNotFound(StorageProxyError):
    status_code = 404
    error_type = "storage-proxy-object-not-found"
    error_title = "The storage proxy has no such object."


class StorageProxyConflict(StorageProxyError):
    status_code = 409
    error_type = "storage-proxy-conflict"
    error_title = "The storage proxy reports a conflict."


class StorageProxyPayloadTooLarge(StorageProxyError):
    status_code = 413
    error_type = "storage-proxy-payload-too-large"
    error_title = "The storage proxy refused a request too large."


class StorageProxyUnprocessable(StorageProxyError):
    status_code = 422
    error_type = "storage-proxy-unprocessable"
    error_title = "The storage proxy could not carry out the request."


class StorageProxyAuthFailed(StorageProxyError):
    """The proxy refused the manager's secret: `volumes/proxies/<name>/secret` is wrong."""

    status_code = 502
    error_type = "storage-proxy-auth-failed"
    error_title = "The storage proxy refused the manager's credentials."


_BY_STATUS: dict[int, type[StorageProxyError]] = {
    400: StorageProxyBadRequest,
    401: StorageProxyAuthFailed,
    403: StorageProxyAuthFailed,
    404: StorageProxyObjectNotFound,
    409: StorageProxyConflict,
    410: StorageProxyObjectNotFound,
    413: StorageProxyPayloadTooLarge,
    422: StorageProxyUnprocessable,
}


def storage_proxy_error(
    proxy: str, status: int, title: str, *, operation: str = "generic", detail: Any = None
) -> StorageProxyError:
    """The typed error for an error answer of a storage proxy."""
    if status in _BY_STATUS:
        cls = _BY_STATUS[status]
    elif 400 <= status < 500:
        cls = StorageProxyBadRequest
    else:
        cls = StorageProxyError
    return cls(proxy, status, title, operation=operation, detail=detail)
