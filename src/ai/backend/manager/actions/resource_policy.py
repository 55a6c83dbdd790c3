"""Operations on keypair, user and project resource policies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ai.backend.manager.actions.base import Action
from ai.backend.manager.repositories.resource_policy import PolicyKind
from ai.backend.manager.services.auth.types import AuthenticatedUser


@dataclass(frozen=True, kw_only=True)
class ListResourcePoliciesAction(Action):
    """Policies of one kind; `name` narrows to one, `mine` to the requester's own (their
    keypair's or their account's). Superadmins read any; others their own, and domain
    admins every keypair policy (as the reference allows)."""

    entity_type: ClassVar[str] = "resource_policy"
    operation_type: ClassVar[str] = "list"

    requester: AuthenticatedUser
    kind: PolicyKind
    name: str | None = None
    mine: bool = False


@dataclass(frozen=True, kw_only=True)
class CreateResourcePolicyAction(Action):
    entity_type: ClassVar[str] = "resource_policy"
    operation_type: ClassVar[str] = "create"

    requester: AuthenticatedUser
    kind: PolicyKind
    name: str
    values: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class ModifyResourcePolicyAction(Action):
    entity_type: ClassVar[str] = "resource_policy"
    operation_type: ClassVar[str] = "modify"

    requester: AuthenticatedUser
    kind: PolicyKind
    name: str
    values: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class DeleteResourcePolicyAction(Action):
    entity_type: ClassVar[str] = "resource_policy"
    operation_type: ClassVar[str] = "delete"

    requester: AuthenticatedUser
    kind: PolicyKind
    name: str
