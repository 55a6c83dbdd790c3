"""The images each agent has, as agents report them, and their copy in PostgreSQL.

After a heartbeat an agent writes `installed_image:<agent_id>` in the image Redis DB: a JSON
list of `{canonical, digest, architecture}` (it writes nothing when it has none, as the dummy
agent does). The manager reads it on each heartbeat and keeps `agent_installed_images` in step,
which the scheduler uses to prefer agents that have a session's image.
"""

from __future__ import annotations

import asyncio
import json
from typing import Final

import sqlalchemy as sa
from redis.exceptions import RedisError
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.clients.redis.connection import RedisConnection
from ai.backend.manager.errors.base import ServiceUnavailable
from ai.backend.manager.models.agent import agent_installed_images
from ai.backend.manager.models.image import images
from ai.backend.manager.repositories.db import begin
from ai.backend.manager.types import ImageStatus

INSTALLED_IMAGE_KEY: Final = "installed_image:{agent_id}"

type InstalledImage = tuple[str, str]  # (canonical, architecture)


class InstalledImagesReader:
    def __init__(self, redis_image: RedisConnection, *, timeout: float = 5.0) -> None:
        self._redis = redis_image
        self._timeout = timeout

    async def read(self, agent_id: str) -> set[InstalledImage]:
        """What the agent last reported (empty when it reported nothing or garbage)."""
        key = INSTALLED_IMAGE_KEY.format(agent_id=agent_id)
        try:
            async with asyncio.timeout(self._timeout):
                raw = await self._redis.get(key)
        except TimeoutError:
            raise ServiceUnavailable(f"Redis did not answer GET {key} in time") from None
        except (RedisError, OSError) as e:
            raise ServiceUnavailable(f"Redis refused GET {key}: {e}") from None
        if raw is None:
            return set()
        try:
            items = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return set()
        found: set[InstalledImage] = set()
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict) and isinstance(item.get("canonical"), str):
                arch = item.get("architecture")
                found.add((item["canonical"], arch if isinstance(arch, str) else "x86_64"))
        return found


class InstalledImagesRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def replace(self, agent_id: str, installed: set[InstalledImage]) -> bool:
        """Make the agent's rows match `installed` (images the catalogue lacks are left out);
        True when something changed."""
        async with begin(self._engine) as conn:
            wanted: set[object] = set()
            if installed:
                names = sorted({name for name, _ in installed})
                rows = await conn.execute(
                    sa.select(images.c.id, images.c.name, images.c.architecture).where(
                        images.c.name.in_(names), images.c.status == ImageStatus.ALIVE
                    )
                )
                wanted = {r.id for r in rows if (r.name, r.architecture) in installed}
            current = set(
                (
                    await conn.execute(
                        sa.select(agent_installed_images.c.image_id).where(
                            agent_installed_images.c.agent_id == agent_id
                        )
                    )
                ).scalars()
            )
            if current == wanted:
                return False
            gone = current - wanted
            if gone:
                await conn.execute(
                    sa.delete(agent_installed_images).where(
                        agent_installed_images.c.agent_id == agent_id,
                        agent_installed_images.c.image_id.in_(list(gone)),
                    )
                )
            new = wanted - current
            if new:
                await conn.execute(
                    pg.insert(agent_installed_images)
                    .values([{"agent_id": agent_id, "image_id": i} for i in new])
                    .on_conflict_do_nothing()
                )
        return True
