"""Typed calls to one storage proxy's manager API (backend.ai-storage-proxy 26.9.6).

Every request carries the proxy's secret in `X-BackendAI-Storage-Auth-Token` and a JSON body
(the proxy reads the parameters of GET requests from the body too). Every call has a timeout;
only idempotent reads are retried, a bounded number of times, and only when no answer came.

Failures are typed: `StorageProxyUnavailable` (503) when there was no answer, a
`StorageProxyError` subclass carrying the proxy's status and title when it answered an error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, Final

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from ai.backend.manager.clients.storage_proxy.settings import StorageProxySettings
from ai.backend.manager.data.storage import (
    BatchResult,
    DirEntry,
    FolderUsage,
    FSUsage,
    ItemResult,
    ProxyVolume,
    QuotaScopeID,
    QuotaScopeUsage,
    StorageProxyInfo,
    VFolderID,
)
from ai.backend.manager.errors.storage import StorageProxyUnavailable, storage_proxy_error

log = logging.getLogger(__name__)

AUTH_HEADER: Final = "X-BackendAI-Storage-Auth-Token"
_NO_ANSWER = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError)


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    log.info("storage proxy call, attempt %d failed (%s); retrying", state.attempt_number, error)


def _title_of(body: Any, reason: str) -> tuple[str, Any]:
    """The proxy's own words from an error body: problem JSON (`title`), `{"msg": ...}`, or
    plain text; and whatever else it said (errno, paths, validation data)."""
    if isinstance(body, dict):
        title = body.get("title") or body.get("msg") or body.get("error") or reason
        detail = {k: v for k, v in body.items() if k not in ("title", "type")} or None
        return str(title), detail
    if isinstance(body, str) and body.strip():
        return body.strip()[:500], None
    return reason, None


def _field(data: Any, key: str, proxy: str, operation: str) -> str:
    """A required string field of a 2xx answer; a malformed answer is the proxy's fault."""
    value = data.get(key) if isinstance(data, dict) else None
    if value is None:
        raise storage_proxy_error(
            proxy, 502, f"the answer lacks {key!r}", operation=operation, detail=data
        )
    return str(value)


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _opt_int(value: Any) -> int | None:
    return None if value is None else _int(value)


class StorageProxyClient:
    """One storage proxy; get it from `StorageProxyPool` (which owns the HTTP session)."""

    def __init__(
        self,
        info: StorageProxyInfo,
        session: aiohttp.ClientSession,
        settings: StorageProxySettings,
    ) -> None:
        self.info = info
        self._session = session
        self._settings = settings

    def __repr__(self) -> str:
        return f"StorageProxyClient({self.info.name!r}, {self.info.manager_api!r})"

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def client_api(self) -> str:
        """Where users' clients upload and download (handed out with session tokens)."""
        return self.info.client_api

    # --- the generic call ------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        operation: str,
        call_timeout: float,
        idempotent: bool = False,
        accept: Iterable[int] = (),
    ) -> tuple[int, Any]:
        """Send one request; return `(status, decoded body or None)` for 2xx answers and the
        statuses in `accept`, raise a typed error otherwise."""
        attempts = self._settings.retry_attempts if idempotent else 1
        if attempts <= 1:
            return await self._send(method, path, body, operation, call_timeout, frozenset(accept))
        retrying = AsyncRetrying(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential(
                multiplier=self._settings.retry_initial_wait, max=self._settings.retry_max_wait
            ),
            retry=retry_if_exception_type(StorageProxyUnavailable),
            before_sleep=_log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._send(
                    method, path, body, operation, call_timeout, frozenset(accept)
                )
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _send(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        operation: str,
        call_timeout: float,
        accept: frozenset[int],
    ) -> tuple[int, Any]:
        url = self.info.manager_api + path
        client_timeout = aiohttp.ClientTimeout(
            total=call_timeout, sock_connect=min(call_timeout, self._settings.timeouts.connect)
        )
        ssl: bool = self.info.ssl_verify
        try:
            async with self._session.request(
                method,
                url,
                json=dict(body) if body is not None else None,
                headers={AUTH_HEADER: self.info.secret},
                timeout=client_timeout,
                ssl=ssl,
            ) as resp:
                status = resp.status
                reason = resp.reason or f"HTTP {status}"
                decoded: Any = None
                if status != 204:
                    raw = await resp.read()
                    if raw:
                        if resp.content_type.endswith("json"):
                            try:
                                decoded = await resp.json(content_type=None)
                            except ValueError:
                                decoded = raw.decode(errors="replace")
                        else:
                            decoded = raw.decode(errors="replace")
        except _NO_ANSWER as e:
            reason_text = (
                f"no answer within {call_timeout:g} s"
                if isinstance(e, TimeoutError)
                else (str(e) or type(e).__name__)
            )
            raise StorageProxyUnavailable(
                self.info.name, f"{reason_text} ({self.info.manager_api})", operation=operation
            ) from None
        if 200 <= status < 300 or status in accept:
            return status, decoded
        title, detail = _title_of(decoded, reason)
        log.info(
            "storage proxy %s answered %d to %s %s: %s", self.info.name, status, method, path, title
        )
        raise storage_proxy_error(self.info.name, status, title, operation=operation, detail=detail)

    async def _query(self, path: str, body: Mapping[str, Any] | None, operation: str) -> Any:
        _, data = await self.request(
            "GET",
            path,
            body,
            operation=operation,
            call_timeout=self._settings.timeouts.query,
            idempotent=True,
        )
        return data

    async def _mutate(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any],
        operation: str,
        *,
        call_timeout: float | None = None,
    ) -> Any:
        _, data = await self.request(
            method,
            path,
            body,
            operation=operation,
            call_timeout=call_timeout or self._settings.timeouts.mutate,
        )
        return data

    # --- status and volumes ------------------------------------------------------------------

    async def get_status(self) -> dict[str, Any]:
        """`GET /`: `{"status": "ok", "type": "manager-facing", "storage-proxy": version}`."""
        data = await self._query("/", None, "get_status")
        return data if isinstance(data, dict) else {}

    async def get_volumes(self) -> list[ProxyVolume]:
        data = await self._query("/volumes", None, "get_volumes")
        volumes = data.get("volumes", []) if isinstance(data, dict) else []
        return [
            ProxyVolume(
                proxy=self.info.name,
                name=str(v.get("name", "")),
                backend=str(v.get("backend", "")),
                path=str(v.get("path", "")),
                fsprefix=str(v.get("fsprefix", "")),
                capabilities=tuple(str(c) for c in v.get("capabilities") or ()),
            )
            for v in volumes
            if isinstance(v, dict) and v.get("name")
        ]

    async def get_fs_usage(self, volume: str) -> FSUsage:
        data = await self._query("/folder/fs-usage", {"volume": volume}, "get_fs_usage")
        data = data if isinstance(data, dict) else {}
        return FSUsage(
            capacity_bytes=_int(data.get("capacity_bytes")),
            used_bytes=_int(data.get("used_bytes")),
        )

    async def get_hwinfo(self, volume: str) -> dict[str, Any]:
        data = await self._query("/volume/hwinfo", {"volume": volume}, "get_hwinfo")
        return data if isinstance(data, dict) else {}

    async def get_performance_metric(self, volume: str) -> dict[str, Any]:
        """The volume's I/O figures (`{"metric": {...}}` from the proxy); backends that do not
        measure them (vfs) refuse with a 4xx error."""
        data = await self._query(
            "/volume/performance-metric", {"volume": volume}, "get_performance_metric"
        )
        metric = data.get("metric") if isinstance(data, dict) else None
        return metric if isinstance(metric, dict) else {}

    # --- quota scopes ------------------------------------------------------------------------

    async def create_quota_scope(
        self, volume: str, qsid: QuotaScopeID, options: Mapping[str, Any] | None = None
    ) -> None:
        """`options`: `{"limit_bytes": N}` or None. An existing scope raises a 409 error."""
        await self._mutate(
            "POST",
            "/quota-scope",
            {"volume": volume, "qsid": str(qsid), "options": dict(options) if options else None},
            "create_quota_scope",
        )

    async def get_quota_scope(self, volume: str, qsid: QuotaScopeID) -> QuotaScopeUsage:
        data = await self._query(
            "/quota-scope", {"volume": volume, "qsid": str(qsid)}, "get_quota_scope"
        )
        data = data if isinstance(data, dict) else {}
        return QuotaScopeUsage(
            used_bytes=_opt_int(data.get("used_bytes")),
            limit_bytes=_opt_int(data.get("limit_bytes")),
        )

    async def update_quota_scope(
        self, volume: str, qsid: QuotaScopeID, options: Mapping[str, Any]
    ) -> None:
        """Set the scope's limit (`{"limit_bytes": N}`), creating the scope if it is missing."""
        await self._mutate(
            "PATCH",
            "/quota-scope",
            {"volume": volume, "qsid": str(qsid), "options": dict(options)},
            "update_quota_scope",
        )

    async def unset_quota(self, volume: str, qsid: QuotaScopeID) -> None:
        await self._mutate(
            "DELETE", "/quota-scope/quota", {"volume": volume, "qsid": str(qsid)}, "unset_quota"
        )

    # --- folders -----------------------------------------------------------------------------

    async def create_folder(
        self,
        volume: str,
        vfid: VFolderID,
        *,
        mode: int | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        """Create the folder (and its quota scope when the proxy creates those on demand)."""
        body: dict[str, Any] = {"volume": volume, "vfid": str(vfid)}
        if mode is not None:
            body["mode"] = mode
        if options is not None:
            body["options"] = dict(options)
        await self._mutate("POST", "/folder/create", body, "create_folder")

    async def delete_folder(self, volume: str, vfid: VFolderID) -> str | None:
        """Start deleting the folder on the proxy; returns the proxy's background task id."""
        data = await self._mutate(
            "POST", "/folder/delete", {"volume": volume, "vfid": str(vfid)}, "delete_folder"
        )
        return str(data["bgtask_id"]) if isinstance(data, dict) and data.get("bgtask_id") else None

    async def clone_folder(
        self, src_volume: str, src_vfid: VFolderID, dst_volume: str, dst_vfid: VFolderID
    ) -> str | None:
        """Start copying a folder (same volume only); returns the proxy's background task id."""
        data = await self._mutate(
            "POST",
            "/folder/clone",
            {
                "src_volume": src_volume,
                "src_vfid": str(src_vfid),
                "dst_volume": dst_volume,
                "dst_vfid": str(dst_vfid),
            },
            "clone_folder",
        )
        return str(data["bgtask_id"]) if isinstance(data, dict) and data.get("bgtask_id") else None

    async def get_mount_path(self, volume: str, vfid: VFolderID, subpath: str = ".") -> str:
        """The folder's path on the storage host, for agents to mount. The proxy refuses a
        `subpath` escaping the folder (400), but the vfs backend answers the folder's root
        whatever the subpath: append the subpath yourself."""
        data = await self._query(
            "/folder/mount",
            {"volume": volume, "vfid": str(vfid), "subpath": subpath},
            "get_mount_path",
        )
        return _field(data, "path", self.info.name, "get_mount_path")

    async def get_folder_usage(self, volume: str, vfid: VFolderID) -> FolderUsage:
        _, data = await self.request(
            "GET",
            "/folder/usage",
            {"volume": volume, "vfid": str(vfid)},
            operation="get_folder_usage",
            call_timeout=self._settings.timeouts.usage,
            idempotent=True,
        )
        data = data if isinstance(data, dict) else {}
        return FolderUsage(
            file_count=_int(data.get("file_count")), used_bytes=_int(data.get("used_bytes"))
        )

    async def get_used_bytes(self, volume: str, vfid: VFolderID) -> int:
        _, data = await self.request(
            "GET",
            "/folder/used-bytes",
            {"volume": volume, "vfid": str(vfid)},
            operation="get_used_bytes",
            call_timeout=self._settings.timeouts.usage,
            idempotent=True,
        )
        return _int(data.get("used_bytes")) if isinstance(data, dict) else 0

    # --- files -------------------------------------------------------------------------------

    async def mkdir(
        self,
        volume: str,
        vfid: VFolderID,
        relpaths: str | list[str],
        *,
        parents: bool = True,
        exist_ok: bool = False,
    ) -> BatchResult:
        """Create directories (up to 50 at once); each path succeeds or fails on its own, so
        the result lists both (the proxy answers 207 for a mix, 422 when all failed)."""
        _, data = await self.request(
            "POST",
            "/folder/file/mkdir",
            {
                "volume": volume,
                "vfid": str(vfid),
                "relpath": relpaths,
                "parents": parents,
                "exist_ok": exist_ok,
            },
            operation="mkdir",
            call_timeout=self._settings.timeouts.mutate,
            accept=(207, 422),
        )
        results = data.get("results", {}) if isinstance(data, dict) else {}

        def items(kind: str) -> tuple[ItemResult, ...]:
            return tuple(
                ItemResult(item=str(r.get("item")), msg=r.get("msg"))
                for r in results.get(kind) or ()
                if isinstance(r, dict)
            )

        return BatchResult(succeeded=items("success"), failed=items("failed"))

    async def list_files(self, volume: str, vfid: VFolderID, relpath: str = ".") -> list[DirEntry]:
        _, data = await self.request(
            "POST",
            "/folder/file/list",
            {"volume": volume, "vfid": str(vfid), "relpath": relpath},
            operation="list_files",
            call_timeout=self._settings.timeouts.query,
            idempotent=True,  # a POST, but it only reads
        )
        entries = data.get("items", []) if isinstance(data, dict) else []
        found = []
        for item in entries:
            if not isinstance(item, dict):
                continue
            stat = item.get("stat") or {}
            found.append(
                DirEntry(
                    name=str(item.get("name", "")),
                    type=str(item.get("type", "")),
                    mode=_int(stat.get("mode")),
                    size=_int(stat.get("size")),
                    created=str(stat.get("created", "")),
                    modified=str(stat.get("modified", "")),
                    symlink_target=item.get("symlink_target"),
                )
            )
        return found

    async def rename_file(
        self, volume: str, vfid: VFolderID, relpath: str, new_name: str, *, is_dir: bool = False
    ) -> None:
        await self._mutate(
            "POST",
            "/folder/file/rename",
            {
                "volume": volume,
                "vfid": str(vfid),
                "relpath": relpath,
                "new_name": new_name,
                "is_dir": is_dir,
            },
            "rename_file",
        )

    async def move_file(self, volume: str, vfid: VFolderID, src: str, dst: str) -> None:
        await self._mutate(
            "POST",
            "/folder/file/move",
            {"volume": volume, "vfid": str(vfid), "src_relpath": src, "dst_relpath": dst},
            "move_file",
        )

    async def delete_files(
        self, volume: str, vfid: VFolderID, relpaths: list[str], *, recursive: bool = False
    ) -> None:
        await self._mutate(
            "POST",
            "/folder/file/delete",
            {"volume": volume, "vfid": str(vfid), "relpaths": relpaths, "recursive": recursive},
            "delete_files",
        )

    async def create_upload_session(
        self, volume: str, vfid: VFolderID, relpath: str, size: int
    ) -> str:
        """A token the proxy's client API accepts for a TUS upload of `relpath`."""
        data = await self._mutate(
            "POST",
            "/folder/file/upload",
            {"volume": volume, "vfid": str(vfid), "relpath": relpath, "size": size},
            "create_upload_session",
            call_timeout=self._settings.timeouts.query,
        )
        return _field(data, "token", self.info.name, "create_upload_session")

    async def create_download_session(
        self, volume: str, vfid: VFolderID, relpath: str, *, archive: bool = False
    ) -> str:
        """A token the proxy's client API accepts for downloading `relpath`."""
        data = await self._mutate(
            "POST",
            "/folder/file/download",
            {"volume": volume, "vfid": str(vfid), "relpath": relpath, "archive": archive},
            "create_download_session",
            call_timeout=self._settings.timeouts.query,
        )
        return _field(data, "token", self.info.name, "create_download_session")
