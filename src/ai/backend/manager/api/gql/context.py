"""The context every resolver receives: who asks, the processors, and per-request loaders."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from ai.backend.manager.actions.processors import Processors
from ai.backend.manager.actions.session import GetSessionsByIdsAction
from ai.backend.manager.data.session import SessionRecord
from ai.backend.manager.services.auth.types import AuthenticatedUser


class GQLContext:
    """Built once per request, so a loader batches and caches within one operation only."""

    def __init__(self, processors: Processors, user: AuthenticatedUser) -> None:
        self.processors = processors
        self.user = user
        self.sessions_by_id: DataLoader[uuid.UUID, SessionRecord | None] = DataLoader(
            load_fn=self._load_sessions
        )

    async def _load_sessions(self, ids: Sequence[uuid.UUID]) -> list[SessionRecord | None]:
        return await self.processors.session.get_many_by_ids.run(
            GetSessionsByIdsAction(requester=self.user, session_ids=list(ids))
        )
