"""A round of repair work run at start-up and then every so often, until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class PeriodicRound:
    """Runs `work` (which returns how many things it fixed) now and then every `interval`
    seconds. A round that fails or overruns the interval is logged and the next one still runs."""

    def __init__(
        self, name: str, work: Callable[[], Awaitable[int]], *, interval: float = 300.0
    ) -> None:
        self._name = name
        self._work = work
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """One round now (tests, operators' tools): the number of things fixed."""
        return await self._work()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self._name)

    async def _run(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self._interval):
                    fixed = await self._work()
                if fixed:
                    log.info("%s fixed %d", self._name, fixed)
            except Exception:
                log.exception("a %s round failed", self._name)
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
