"""Keypair usage (`last_used`, `num_queries`) gathered in memory and written in batches.

Writing a row on every request would make the database the bottleneck of every API call;
one UPDATE every few seconds per manager process keeps the figures current enough.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from ai.backend.manager.data.keypair import KeypairUsage
from ai.backend.manager.repositories.keypair import KeypairRepository

log = logging.getLogger(__name__)


class KeypairUsageRecorder:
    def __init__(self, repository: KeypairRepository, *, flush_interval: float = 5.0) -> None:
        self._repository = repository
        self._flush_interval = flush_interval
        self._pending: dict[str, tuple[datetime, int]] = {}
        self._task: asyncio.Task[None] | None = None

    def record(self, access_key: str, when: datetime) -> None:
        _, count = self._pending.get(access_key, (when, 0))
        self._pending[access_key] = (when, count + 1)

    async def flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, {}
        usages = [KeypairUsage(ak, when, count) for ak, (when, count) in batch.items()]
        try:
            await self._repository.record_usage(usages)
        except Exception:
            log.exception("could not record keypair usage for %d keypairs", len(usages))

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._flush_interval)
            await self.flush()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="keypair-usage-flush")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()
