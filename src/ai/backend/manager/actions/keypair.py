"""Operations on keypairs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ai.backend.manager.actions.base import Action
from ai.backend.manager.services.auth.types import AuthenticatedUser


@dataclass(frozen=True, kw_only=True)
class GetKeypairAction(Action):
    """Read one keypair: the requester's own unless `access_key` names another."""

    entity_type: ClassVar[str] = "keypair"
    operation_type: ClassVar[str] = "get"

    requester: AuthenticatedUser
    access_key: str | None = None


@dataclass(frozen=True, kw_only=True)
class ListKeypairsAction(Action):
    """Keypairs visible to the requester (admins only); `limit=None` lists them all."""

    entity_type: ClassVar[str] = "keypair"
    operation_type: ClassVar[str] = "list"

    requester: AuthenticatedUser
    domain_name: str | None = None
    email: str | None = None
    is_active: bool | None = None
    filter: str | None = None
    order: str | None = None
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True, kw_only=True)
class CreateKeypairAction(Action):
    entity_type: ClassVar[str] = "keypair"
    operation_type: ClassVar[str] = "create"

    requester: AuthenticatedUser
    user_email: str
    is_active: bool = True
    is_admin: bool = False
    resource_policy: str = "default"
    rate_limit: int = 10000


@dataclass(frozen=True, kw_only=True)
class ModifyKeypairAction(Action):
    entity_type: ClassVar[str] = "keypair"
    operation_type: ClassVar[str] = "modify"

    requester: AuthenticatedUser
    access_key: str
    props: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class DeleteKeypairAction(Action):
    entity_type: ClassVar[str] = "keypair"
    operation_type: ClassVar[str] = "delete"

    requester: AuthenticatedUser
    access_key: str


@dataclass(frozen=True, kw_only=True)
class GetSSHKeypairAction(Action):
    """The public SSH key of the requester's keypair."""

    entity_type: ClassVar[str] = "keypair"
    operation_type: ClassVar[str] = "get_ssh_keypair"

    requester: AuthenticatedUser


@dataclass(frozen=True, kw_only=True)
class GenerateSSHKeypairAction(Action):
    """Replace the requester's SSH keypair with a freshly generated one."""

    entity_type: ClassVar[str] = "keypair"
    operation_type: ClassVar[str] = "generate_ssh_keypair"

    requester: AuthenticatedUser


@dataclass(frozen=True, kw_only=True)
class UploadSSHKeypairAction(Action):
    """Replace the requester's SSH keypair with the given one."""

    entity_type: ClassVar[str] = "keypair"
    operation_type: ClassVar[str] = "upload_ssh_keypair"

    requester: AuthenticatedUser
    public_key: str
    private_key: str


@dataclass(frozen=True, slots=True)
class SSHKeypair:
    public_key: str | None
    private_key: str | None
