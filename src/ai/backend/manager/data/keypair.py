"""Keypair records as the repository returns them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class KeypairCredential:
    """A keypair joined with its owner, as needed to authenticate and authorise a request."""

    access_key: str
    secret_key: str
    is_active: bool
    is_admin: bool
    resource_policy: str
    rate_limit: int
    user_uuid: uuid.UUID
    user_email: str
    user_role: str
    user_status: str
    domain_name: str

    @property
    def user_is_active(self) -> bool:
        return self.user_status == "active"


@dataclass(frozen=True, slots=True)
class KeypairUsage:
    """Accumulated use of one keypair since the last flush."""

    access_key: str
    last_used: datetime
    num_queries: int


@dataclass(frozen=True, slots=True)
class KeypairDetail:
    """A keypair with what the client shows about it."""

    access_key: str
    secret_key: str
    is_active: bool
    is_admin: bool
    resource_policy: str
    rate_limit: int
    num_queries: int
    created_at: datetime | None
    last_used: datetime | None
    user_uuid: uuid.UUID
    user_email: str
    user_full_name: str | None
    domain_name: str
    user_role: str = "user"
    modified_at: datetime | None = None
    projects: tuple[str, ...] = ()
    concurrency_used: int = 0
    ssh_public_key: str | None = None


@dataclass(frozen=True, slots=True)
class KeypairListFilter:
    """Which keypairs a list covers; `None` means no restriction."""

    domain_name: str | None = None
    email: str | None = None
    is_active: bool | None = None
    user_uuid: uuid.UUID | None = None
    access_key: str | None = None
    # a `filter` expression (the mini-language of paged lists) over the keypair list's fields
    expression: str | None = None


@dataclass(frozen=True, slots=True)
class KeypairCreateSpec:
    user_uuid: uuid.UUID
    access_key: str
    secret_key: str
    is_active: bool
    is_admin: bool
    resource_policy: str
    rate_limit: int
    ssh_public_key: str | None = None
    ssh_private_key: str | None = None
