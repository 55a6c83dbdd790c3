"""What the idle and lifetime checkers read: running sessions their keypair policy limits."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.models.keypair import keypairs
from ai.backend.manager.models.resource_policy import keypair_resource_policies
from ai.backend.manager.models.session import sessions
from ai.backend.manager.types import SessionStatus, SessionTypes

_LOCK_KEY = int.from_bytes(
    hashlib.blake2b(b"idle-checker", digest_size=8).digest(), "big", signed=True
)


@dataclass(frozen=True, slots=True)
class IdleCandidate:
    session_id: uuid.UUID
    session_type: SessionTypes
    # when it started running (`starts_at`), or its creation for rows that lack it
    started_at: datetime
    max_session_lifetime: int  # seconds; 0: unlimited
    idle_timeout: int  # seconds; 0: unlimited; negative: the etcd default


class IdleRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[bool]:
        """True inside the block for exactly one manager at a time (a transaction-scoped
        PostgreSQL advisory lock); False for the others, which should skip this round."""
        async with self._engine.begin() as conn:
            locked = await conn.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(_LOCK_KEY)))
            yield bool(locked)

    async def running_with_limits(self) -> list[IdleCandidate]:
        """RUNNING sessions (inference endpoints excepted) whose policy has a lifetime or an
        idle timeout; the policy is the one of the keypair that created the session."""
        query = (
            sa.select(
                sessions.c.id,
                sessions.c.session_type,
                sa.func.coalesce(sessions.c.starts_at, sessions.c.created_at).label("started"),
                keypair_resource_policies.c.max_session_lifetime,
                keypair_resource_policies.c.idle_timeout,
            )
            .select_from(
                sessions.join(keypairs, keypairs.c.access_key == sessions.c.access_key).join(
                    keypair_resource_policies,
                    keypair_resource_policies.c.name == keypairs.c.resource_policy,
                )
            )
            .where(
                sessions.c.status == SessionStatus.RUNNING,
                sessions.c.session_type != SessionTypes.INFERENCE,
                sa.or_(
                    keypair_resource_policies.c.max_session_lifetime > 0,
                    keypair_resource_policies.c.idle_timeout != 0,
                ),
            )
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            IdleCandidate(
                session_id=row.id,
                session_type=row.session_type,
                started_at=row.started,
                max_session_lifetime=int(row.max_session_lifetime or 0),
                idle_timeout=int(row.idle_timeout or 0),
            )
            for row in rows
        ]
