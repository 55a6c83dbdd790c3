"""An HTTP client of one container registry's v2 API (the CNCF distribution API), plus the
Harbor v2 project listing.

Every request has a timeout, holds one of `concurrency` slots (so a rescan never opens more
connections than that), and is retried a bounded number of times when the registry could not
be reached or answered 429/5xx. Credentials go as HTTP basic auth, or are exchanged for a bearer
token when the registry asks for one (`WWW-Authenticate: Bearer realm=...`).

Failures are the typed errors of `errors.container_registry`: unreachable (connection refused,
timeouts), protocol error (an HTTP error or a body that does not parse), auth failed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import urlencode, urljoin, urlsplit

import aiohttp
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from ai.backend.manager.data.image import RegistryRecord
from ai.backend.manager.errors.container_registry import (
    ContainerRegistryAuthFailed,
    ContainerRegistryError,
    ContainerRegistryProtocolError,
    ContainerRegistryUnreachable,
)

log = logging.getLogger(__name__)

OCI_INDEX: Final = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST: Final = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST_LIST: Final = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST: Final = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_V1: Final = "application/vnd.docker.distribution.manifest.v1+json"
INDEX_TYPES: Final = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
MANIFEST_TYPES: Final = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
MANIFEST_ACCEPT: Final = ", ".join((OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST))

# A listing that keeps pointing at more pages past this is broken, not big.
MAX_PAGES: Final = 100_000
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True, slots=True)
class RegistryClientSettings:
    request_timeout: float = 15.0
    connect_timeout: float = 5.0
    attempts: int = 3
    retry_wait: float = 0.2
    retry_max_wait: float = 2.0
    # Requests in flight at once (the size of the connection pool, too).
    concurrency: int = 12
    page_size: int = 100


@dataclass(frozen=True, slots=True)
class Manifest:
    media_type: str
    body: Mapping[str, Any]
    digest: str | None  # `Docker-Content-Digest`, when the registry sends it
    size: int


class _Transient(Exception):
    """A failure worth another attempt (no connection, a timeout, 429 or 5xx)."""

    def __init__(self, error: ContainerRegistryError) -> None:
        super().__init__(error.msg)
        self.error = error


class _NotFound(Exception):
    pass


class RegistryClient:
    """Use as `async with RegistryClient(record) as client:`."""

    def __init__(
        self,
        registry: RegistryRecord,
        settings: RegistryClientSettings | None = None,
    ) -> None:
        self.registry = registry
        self.settings = settings or RegistryClientSettings()
        url = registry.url.strip().rstrip("/")
        if not urlsplit(url).scheme:
            url = "https://" + url
        self.base_url = url
        self._slots = asyncio.Semaphore(self.settings.concurrency)
        self._session: aiohttp.ClientSession | None = None
        self._tokens: dict[str, str] = {}
        self._token_locks: dict[str, asyncio.Lock] = {}
        self._basic: str | None = (
            aiohttp.encode_basic_auth(registry.username, registry.password or "")
            if registry.username
            else None
        )

    async def __aenter__(self) -> Self:
        connector = aiohttp.TCPConnector(
            limit=self.settings.concurrency,
            ssl=self.registry.ssl_verify is not False,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=self.settings.request_timeout, connect=self.settings.connect_timeout
            ),
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def name(self) -> str:
        return self.registry.name

    # --- requests -------------------------------------------------------------------------------

    def _absolute(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return urljoin(self.base_url + "/", path_or_url.lstrip("/"))

    async def _get(
        self, path_or_url: str, *, accept: str | None = None
    ) -> tuple[bytes, Mapping[str, str]]:
        """The body and headers of a 200 answer; `_NotFound` on 404; typed errors otherwise."""
        url = self._absolute(path_or_url)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(max(1, self.settings.attempts)),
            wait=wait_exponential(
                multiplier=self.settings.retry_wait, max=self.settings.retry_max_wait
            ),
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._get_once(url, accept)
        except _Transient as e:
            raise e.error from None
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _get_once(self, url: str, accept: str | None) -> tuple[bytes, Mapping[str, str]]:
        assert self._session is not None, "use the client as an async context manager"
        scope_key = _scope_key(url)
        for _ in range(2):  # a second go after fetching a bearer token
            headers = {"Accept": accept} if accept else {}
            token = self._tokens.get(scope_key)
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            elif self._basic is not None:
                headers["Authorization"] = self._basic
            try:
                async with (
                    self._slots,
                    self._session.get(url, headers=headers) as resp,
                ):
                    body = await resp.read()
                    status = resp.status
                    resp_headers = resp.headers
            except (aiohttp.ClientConnectionError, TimeoutError) as e:
                raise _Transient(
                    ContainerRegistryUnreachable(
                        f"Cannot reach the registry {self.name} at {self.base_url}: {_describe(e)}"
                    )
                ) from e
            except aiohttp.ClientError as e:
                raise ContainerRegistryProtocolError(
                    f"The registry {self.name} at {self.base_url} answered {url} badly: "
                    f"{_describe(e)}"
                ) from e
            if status == 200:
                return body, resp_headers
            if status == 401:
                challenge = resp_headers.get("WWW-Authenticate", "")
                if token is None and challenge.lower().startswith("bearer "):
                    await self._fetch_token(scope_key, challenge)
                    continue
                raise ContainerRegistryAuthFailed(
                    f"The registry {self.name} refused "
                    + ("the stored credentials" if self._basic else "anonymous access")
                    + f" for {url} (HTTP 401)"
                )
            if status == 404:
                raise _NotFound(url)
            if status == 429 or status >= 500:
                raise _Transient(
                    ContainerRegistryProtocolError(
                        f"The registry {self.name} answered HTTP {status} for {url}"
                    )
                )
            raise ContainerRegistryProtocolError(
                f"The registry {self.name} answered HTTP {status} for {url}: "
                + body[:200].decode(errors="replace")
            )
        raise ContainerRegistryAuthFailed(
            f"The registry {self.name} refused its own bearer token for {url}"
        )

    async def _fetch_token(self, scope_key: str, challenge: str) -> None:
        lock = self._token_locks.setdefault(scope_key, asyncio.Lock())
        async with lock:
            if scope_key in self._tokens:
                return
            params = dict(_CHALLENGE_PARAM.findall(challenge))
            realm = params.pop("realm", None)
            if not realm:
                raise ContainerRegistryProtocolError(
                    f"The registry {self.name} asked for a token without a realm"
                )
            query = urlencode({k: v for k, v in params.items() if k in ("service", "scope")})
            assert self._session is not None
            try:
                async with (
                    self._slots,
                    self._session.get(
                        f"{realm}?{query}" if query else realm,
                        headers={"Authorization": self._basic} if self._basic else None,
                    ) as resp,
                ):
                    body = await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError) as e:
                raise ContainerRegistryUnreachable(
                    f"Cannot reach the token service of {self.name} ({realm}): {_describe(e)}"
                ) from e
            if status in (401, 403):
                who = "the stored credentials" if self._basic else "anonymous access"
                raise ContainerRegistryAuthFailed(
                    f"The token service of {self.name} refused {who} (HTTP {status})"
                )
            if status != 200:
                raise ContainerRegistryAuthFailed(
                    f"The token service of {self.name} answered HTTP {status}"
                )
            data = _parse_json(body, f"the token service of {self.name}")
            token = (
                data.get("token") or data.get("access_token") if isinstance(data, dict) else None
            )
            if not isinstance(token, str) or not token:
                raise ContainerRegistryProtocolError(
                    f"The token service of {self.name} gave no token"
                )
            self._tokens[scope_key] = token

    async def get_json(self, path_or_url: str, *, accept: str | None = None) -> Any:
        body, _ = await self._get(path_or_url, accept=accept)
        return _parse_json(body, f"the registry {self.name} ({path_or_url})")

    async def _string_pages(self, path: str, key: str) -> list[str]:
        """Every item of a paginated v2 listing (`n` per page, following `Link: rel=next`)."""
        items: list[str] = []
        next_url: str | None = f"{path}?{urlencode({'n': self.settings.page_size})}"
        seen: set[str] = set()
        while next_url is not None:
            if next_url in seen or len(seen) >= MAX_PAGES:
                raise ContainerRegistryProtocolError(
                    f"The registry {self.name} paginates {path} in a loop"
                )
            seen.add(next_url)
            body, headers = await self._get(next_url)
            data = _parse_json(body, f"the registry {self.name} ({path})")
            if not isinstance(data, dict):
                raise ContainerRegistryProtocolError(
                    f"The registry {self.name} answered {path} with a non-object"
                )
            page = data.get(key) or []
            if not isinstance(page, list) or not all(isinstance(i, str) for i in page):
                raise ContainerRegistryProtocolError(
                    f"The registry {self.name} answered {path} without a list of {key}"
                )
            items.extend(page)
            match = _LINK_NEXT.search(headers.get("Link", ""))
            next_url = match.group(1) if match else None
        return items

    # --- the v2 API -----------------------------------------------------------------------------

    async def check(self) -> None:
        """That the base endpoint answers as a v2 registry."""
        try:
            await self._get("/v2/")
        except _NotFound:
            raise ContainerRegistryProtocolError(
                f"{self.base_url} has no /v2/ endpoint: is it a container registry?"
            ) from None

    async def catalog(self) -> list[str]:
        try:
            return await self._string_pages("/v2/_catalog", "repositories")
        except _NotFound:
            raise ContainerRegistryProtocolError(
                f"The registry {self.name} has no catalogue (/v2/_catalog)"
            ) from None

    async def tags(self, repository: str) -> list[str]:
        """The tags of a repository; none if it vanished meanwhile."""
        try:
            return await self._string_pages(f"/v2/{repository}/tags/list", "tags")
        except _NotFound:
            return []

    async def manifest(self, repository: str, reference: str) -> Manifest | None:
        """A manifest or index by tag or digest; None if it is gone."""
        try:
            body, headers = await self._get(
                f"/v2/{repository}/manifests/{reference}", accept=MANIFEST_ACCEPT
            )
        except _NotFound:
            return None
        data = _parse_json(body, f"the manifest {repository}:{reference} on {self.name}")
        if not isinstance(data, dict):
            raise ContainerRegistryProtocolError(
                f"The manifest {repository}:{reference} on {self.name} is not an object"
            )
        content_type = headers.get("Content-Type", "").split(";")[0].strip()
        media_type = str(data.get("mediaType") or content_type)
        return Manifest(
            media_type=media_type,
            body=data,
            digest=headers.get("Docker-Content-Digest"),
            size=len(body),
        )

    async def blob_json(self, repository: str, digest: str) -> Any:
        """A JSON blob (an image config); None if it is gone."""
        try:
            body, _ = await self._get(f"/v2/{repository}/blobs/{digest}")
        except _NotFound:
            return None
        return _parse_json(body, f"the blob {digest} of {repository} on {self.name}")

    # --- Harbor v2 ------------------------------------------------------------------------------

    async def harbor_repositories(self, project: str) -> list[str]:
        """The repositories (`project/name`) of a Harbor project."""
        names: list[str] = []
        size = self.settings.page_size
        for page in range(1, MAX_PAGES):
            query = urlencode({"page": page, "page_size": size})
            try:
                data = await self.get_json(f"/api/v2.0/projects/{project}/repositories?{query}")
            except _NotFound:
                raise ContainerRegistryProtocolError(
                    f"The Harbor registry {self.name} has no project {project!r}"
                ) from None
            if not isinstance(data, list):
                raise ContainerRegistryProtocolError(
                    f"The Harbor registry {self.name} answered the repository list with a non-list"
                )
            for item in data:
                name = item.get("name") if isinstance(item, dict) else None
                if not isinstance(name, str):
                    raise ContainerRegistryProtocolError(
                        f"The Harbor registry {self.name} listed a repository without a name"
                    )
                names.append(name)
            if len(data) < size:
                break
        return names


def _parse_json(body: bytes, what: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        snippet = body[:80].decode(errors="replace")
        raise ContainerRegistryProtocolError(
            f"{what} answered with something not JSON: {snippet!r}"
        ) from None


def _scope_key(url: str) -> str:
    """Tokens are per repository (`/v2/<repo>/...`); everything else shares one."""
    path = urlsplit(url).path
    for marker in ("/manifests/", "/blobs/", "/tags/"):
        if marker in path:
            return path.split(marker, 1)[0]
    return path


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    text = str(error) or type(error).__name__
    return text
