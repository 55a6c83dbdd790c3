"""Operations on the manager-wide announcement banner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ai.backend.manager.actions.base import Action
from ai.backend.manager.services.auth.types import AuthenticatedUser


@dataclass(frozen=True, kw_only=True)
class GetAnnouncementAction(Action):
    entity_type: ClassVar[str] = "announcement"
    operation_type: ClassVar[str] = "get"


@dataclass(frozen=True, kw_only=True)
class UpdateAnnouncementAction(Action):
    entity_type: ClassVar[str] = "announcement"
    operation_type: ClassVar[str] = "update"

    requester: AuthenticatedUser
    enabled: bool
    message: str
