"""Timeouts, retries and caching of the storage proxy client; built in server.py."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StorageProxyTimeouts:
    """Seconds a call may take in all (connecting is bounded by `connect` on its own)."""

    connect: float = 3.0
    # volumes, fs usage, mount paths, quota scope reads, folder listings, session tokens
    query: float = 15.0
    # create/delete/clone folders (the proxy starts deletes and clones in the background),
    # mkdir, rename, move, delete files, quota changes
    mutate: float = 30.0
    # usage of one folder walks its tree on the vfs backend
    usage: float = 60.0


@dataclass(frozen=True)
class StorageProxySettings:
    timeouts: StorageProxyTimeouts = field(default_factory=StorageProxyTimeouts)
    # attempts of idempotent reads that failed without an answer (connection error, timeout)
    retry_attempts: int = 3
    retry_initial_wait: float = 0.2
    retry_max_wait: float = 2.0
    # how long the `volumes` configuration read from etcd is reused before it is read again
    config_ttl: float = 5.0
