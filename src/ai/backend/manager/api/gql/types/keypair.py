"""The `KeyPair` object type."""

from datetime import datetime

import strawberry

from ai.backend.manager.repositories.keypair.types import KeypairDetail


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
    last_used: datetime | None
    user_info: UserInfo
    concurrency_used: int
    domain_name: str

    @classmethod
    def from_detail(cls, detail: KeypairDetail) -> "KeyPair":
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
            last_used=detail.last_used,
            user_info=UserInfo(email=detail.user_email, full_name=detail.user_full_name),
            concurrency_used=0,
            domain_name=detail.domain_name,
        )
