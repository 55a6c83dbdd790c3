"""The processors of keypair operations (REST handlers and GraphQL resolvers run them)."""

from __future__ import annotations

from dataclasses import dataclass

from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.actions.keypair import GetKeypairAction
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.keypair import KeypairRepository
from ai.backend.manager.repositories.keypair.types import KeypairDetail
from ai.backend.manager.services.deps import AdminDeps
from ai.backend.manager.services.keypair.service import KeypairService


@dataclass(frozen=True)
class KeypairProcessors:
    get: ActionProcessor[GetKeypairAction, KeypairDetail]


def build_keypair_processors(deps: AdminDeps, metrics: ManagerMetrics) -> KeypairProcessors:
    service = KeypairService(KeypairRepository(deps.db))
    return KeypairProcessors(
        get=ActionProcessor(service.get_keypair, metrics=metrics),
    )
