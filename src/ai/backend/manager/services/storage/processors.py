"""The processors of storage operations (REST handlers and GraphQL resolvers run them)."""

from __future__ import annotations

from dataclasses import dataclass

from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.services.deps import AdminDeps


@dataclass(frozen=True)
class StorageProcessors:
    pass


def build_storage_processors(deps: AdminDeps, metrics: ManagerMetrics) -> StorageProcessors:
    return StorageProcessors()
