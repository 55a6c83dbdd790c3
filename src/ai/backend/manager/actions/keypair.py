"""Operations on keypairs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ai.backend.manager.actions.base import Action
from ai.backend.manager.services.auth.types import AuthenticatedUser


@dataclass(frozen=True, kw_only=True)
class GetKeypairAction(Action):
    """Read one keypair: the requester's own unless `access_key` names another."""

    entity_type: ClassVar[str] = "keypair"
    operation_type: ClassVar[str] = "get"

    requester: AuthenticatedUser
    access_key: str | None = None
