"""The processors of user operations (REST handlers and GraphQL resolvers run them)."""

from __future__ import annotations

from dataclasses import dataclass

from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.actions.user import (
    CreateUserAction,
    DeleteUserAction,
    GetUserAction,
    ListUsersAction,
    ModifyUserAction,
    PurgeUserAction,
    UpdatePasswordAction,
)
from ai.backend.manager.data.user import UserRecord
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.user import UserRepository
from ai.backend.manager.services.deps import AdminDeps
from ai.backend.manager.services.user.service import UserService


@dataclass(frozen=True)
class UserProcessors:
    list: ActionProcessor[ListUsersAction, tuple[list[UserRecord], int]]
    get: ActionProcessor[GetUserAction, UserRecord | None]
    create: ActionProcessor[CreateUserAction, UserRecord]
    modify: ActionProcessor[ModifyUserAction, UserRecord]
    delete: ActionProcessor[DeleteUserAction, None]
    purge: ActionProcessor[PurgeUserAction, None]
    update_password: ActionProcessor[UpdatePasswordAction, None]


def build_user_processors(deps: AdminDeps, metrics: ManagerMetrics) -> UserProcessors:
    service = UserService(UserRepository(deps.db), deps.keypair_cache)
    return UserProcessors(
        list=ActionProcessor(service.list_users, metrics=metrics),
        get=ActionProcessor(service.get_user, metrics=metrics),
        create=ActionProcessor(service.create_user, metrics=metrics),
        modify=ActionProcessor(service.modify_user, metrics=metrics),
        delete=ActionProcessor(service.delete_user, metrics=metrics),
        purge=ActionProcessor(service.purge_user, metrics=metrics),
        update_password=ActionProcessor(service.update_password, metrics=metrics),
    )
