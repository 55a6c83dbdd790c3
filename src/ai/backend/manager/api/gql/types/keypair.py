"""The `KeyPair` object type, its inputs and mutation payloads."""

from __future__ import annotations

from datetime import datetime

import strawberry

from ai.backend.manager.data.keypair import KeypairDetail


@strawberry.type(name="UserInfo")
class UserInfo:
    email: str | None
    full_name: str | None


@strawberry.type(name="KeyPair")
class KeyPair:
    user_id: str
    access_key: str
    secret_key: str
    is_active: bool
    is_admin: bool
    resource_policy: str
    rate_limit: int
    num_queries: int
    created_at: datetime | None
    modified_at: datetime | None
    last_used: datetime | None
    user_info: UserInfo
    concurrency_used: int
    domain_name: str
    projects: list[str]
    ssh_public_key: str | None

    @classmethod
    def from_detail(cls, detail: KeypairDetail) -> KeyPair:
        return cls(
            user_id=detail.user_email,
            access_key=detail.access_key,
            secret_key=detail.secret_key,
            is_active=detail.is_active,
            is_admin=detail.is_admin,
            resource_policy=detail.resource_policy,
            rate_limit=detail.rate_limit,
            num_queries=detail.num_queries,
            created_at=detail.created_at,
            modified_at=detail.modified_at,
            last_used=detail.last_used,
            user_info=UserInfo(email=detail.user_email, full_name=detail.user_full_name),
            concurrency_used=detail.concurrency_used,
            domain_name=detail.domain_name,
            projects=list(detail.projects),
            ssh_public_key=detail.ssh_public_key,
        )


@strawberry.type(name="KeyPairList")
class KeyPairList:
    items: list[KeyPair]
    total_count: int


@strawberry.input(name="KeyPairInput")
class KeyPairInput:
    is_active: bool | None = True
    is_admin: bool | None = False
    resource_policy: str | None = "default"
    concurrency_limit: int | None = None
    rate_limit: int | None = 10000


@strawberry.input(name="ModifyKeyPairInput")
class ModifyKeyPairInput:
    is_active: bool | None = None
    is_admin: bool | None = None
    resource_policy: str | None = None
    concurrency_limit: int | None = None
    rate_limit: int | None = None


@strawberry.type(name="CreateKeyPair")
class CreateKeyPairPayload:
    ok: bool
    msg: str
    keypair: KeyPair | None


@strawberry.type(name="ModifyKeyPair")
class ModifyKeyPairPayload:
    ok: bool
    msg: str


@strawberry.type(name="DeleteKeyPair")
class DeleteKeyPairPayload:
    ok: bool
    msg: str
