"""The processors of keypair operations (REST handlers and GraphQL resolvers run them)."""

from __future__ import annotations

from dataclasses import dataclass

from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.actions.keypair import (
    CreateKeypairAction,
    DeleteKeypairAction,
    GenerateSSHKeypairAction,
    GetKeypairAction,
    GetSSHKeypairAction,
    ListKeypairsAction,
    ModifyKeypairAction,
    SSHKeypair,
    UploadSSHKeypairAction,
)
from ai.backend.manager.data.keypair import KeypairDetail
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.keypair import KeypairAdminRepository
from ai.backend.manager.repositories.user import UserRepository
from ai.backend.manager.services.deps import AdminDeps
from ai.backend.manager.services.keypair.service import KeypairService


@dataclass(frozen=True)
class KeypairProcessors:
    get: ActionProcessor[GetKeypairAction, KeypairDetail]
    list: ActionProcessor[ListKeypairsAction, tuple[list[KeypairDetail], int]]
    create: ActionProcessor[CreateKeypairAction, KeypairDetail]
    modify: ActionProcessor[ModifyKeypairAction, None]
    delete: ActionProcessor[DeleteKeypairAction, None]
    get_ssh_keypair: ActionProcessor[GetSSHKeypairAction, SSHKeypair]
    generate_ssh_keypair: ActionProcessor[GenerateSSHKeypairAction, SSHKeypair]
    upload_ssh_keypair: ActionProcessor[UploadSSHKeypairAction, SSHKeypair]


def build_keypair_processors(deps: AdminDeps, metrics: ManagerMetrics) -> KeypairProcessors:
    service = KeypairService(
        KeypairAdminRepository(deps.db),
        UserRepository(deps.db),
        deps.keypair_cache,
    )
    return KeypairProcessors(
        get=ActionProcessor(service.get_keypair, metrics=metrics),
        list=ActionProcessor(service.list_keypairs, metrics=metrics),
        create=ActionProcessor(service.create_keypair, metrics=metrics),
        modify=ActionProcessor(service.modify_keypair, metrics=metrics),
        delete=ActionProcessor(service.delete_keypair, metrics=metrics),
        get_ssh_keypair=ActionProcessor(service.get_ssh_keypair, metrics=metrics),
        generate_ssh_keypair=ActionProcessor(service.generate_ssh_keypair, metrics=metrics),
        upload_ssh_keypair=ActionProcessor(service.upload_ssh_keypair, metrics=metrics),
    )
