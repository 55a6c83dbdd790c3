"""etcd access with the ecosystem's key layout: every logical key `k` lives at `/sorna/{ns}/k`.

Nested dictionaries are flattened with `/`, each path component URL-quoted, so the manager and
the agents read each other's keys (see spec/etcd.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote, unquote

import etcd_client

from ai.backend.manager.defs import ETCD_KEY_ROOT

T = TypeVar("T")

NestedStr = dict[str, "str | NestedStr"]


class EtcdUnavailable(Exception):
    """etcd did not answer (connection refused, timeout, or a server error)."""


def flatten(prefix: str, value: Mapping[str, Any]) -> dict[str, str]:
    """Flatten a nested mapping into logical keys; an empty key names the prefix itself."""
    flat: dict[str, str] = {}
    for key, item in value.items():
        path = f"{prefix}/{quote(str(key), safe='')}" if key != "" else prefix
        if isinstance(item, Mapping):
            flat.update(flatten(path, item))
        elif isinstance(item, bool):
            flat[path] = "true" if item else "false"
        elif item is None:
            continue
        else:
            flat[path] = str(item)
    return flat


def _insert(tree: NestedStr, parts: list[str], value: str) -> None:
    node = tree
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {} if child is None else {"": child}
            node[part] = child
        node = child
    leaf = parts[-1]
    existing = node.get(leaf)
    if isinstance(existing, dict):
        existing[""] = value
    else:
        node[leaf] = value


class EtcdClient:
    """A namespaced etcd client; every call has a timeout and reports failure as EtcdUnavailable."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        namespace: str,
        user: str = "",
        password: str = "",
        timeout: float = 5.0,
    ) -> None:
        self._namespace = namespace
        self._timeout = timeout
        self._client = etcd_client.Client([f"{host}:{port}"])
        options = etcd_client.ConnectOptions().with_timeout(timeout)
        options = options.with_connect_timeout(timeout)
        if user:
            options = options.with_user(user, password)
        self._options = options
        self._endpoint = f"{host}:{port}"

    @property
    def namespace(self) -> str:
        return self._namespace

    def _mangle(self, key: str) -> bytes:
        key = key.lstrip("/")
        base = f"{ETCD_KEY_ROOT}/{self._namespace}"
        return (f"{base}/{key}" if key else base).encode()

    def _demangle(self, raw: bytes, prefix: str) -> str:
        full = raw.decode()
        base = self._mangle(prefix).decode()
        return full[len(base) :].lstrip("/")

    async def _run(self, op: Callable[[Any], Awaitable[T]]) -> T:
        try:
            async with asyncio.timeout(self._timeout * 2):
                async with self._client.connect(self._options) as communicator:
                    return await op(communicator)
        except TimeoutError:
            raise EtcdUnavailable(f"etcd at {self._endpoint} did not answer in time") from None
        except (etcd_client.ClientError, etcd_client.GRPCStatusError) as e:
            detail = e.args[0] if e.args else e
            if isinstance(detail, dict):
                detail = detail.get("message") or detail.get("details") or detail
            raise EtcdUnavailable(f"cannot reach etcd at {self._endpoint}: {detail}") from None

    async def get(self, key: str) -> str | None:
        raw = await self._run(lambda c: c.get(self._mangle(key)))
        return None if raw is None else bytes(raw).decode()

    async def put(self, key: str, value: str) -> None:
        await self._run(lambda c: c.put(self._mangle(key), value.encode()))

    async def delete(self, key: str) -> None:
        await self._run(lambda c: c.delete(self._mangle(key)))

    async def get_prefix_flat(self, prefix: str) -> dict[str, str]:
        """All keys under a prefix, as logical keys relative to the prefix, still quoted."""
        mangled = self._mangle(prefix)
        # Ask for "<prefix>/" so that "config/redis" never matches "config/redis2".
        pairs = list(await self._run(lambda c: c.get_prefix(mangled + b"/")))
        own = await self._run(lambda c: c.get(mangled))
        if own is not None:
            pairs.append((mangled, own))
        return {
            self._demangle(bytes(raw_key), prefix): bytes(raw_value).decode()
            for raw_key, raw_value in pairs
        }

    async def get_prefix(self, prefix: str) -> NestedStr:
        """All keys under a prefix as a nested dictionary with unquoted components."""
        tree: NestedStr = {}
        for key, value in sorted((await self.get_prefix_flat(prefix)).items()):
            parts = [unquote(p) for p in key.split("/")] if key else [""]
            _insert(tree, parts, value)
        return tree

    async def put_prefix(self, prefix: str, value: Mapping[str, Any]) -> None:
        for key, item in flatten(prefix.strip("/"), value).items():
            await self.put(key, item)

    async def delete_prefix(self, prefix: str) -> None:
        mangled = self._mangle(prefix)
        await self._run(lambda c: c.delete_prefix(mangled + b"/"))
        await self._run(lambda c: c.delete(mangled))
