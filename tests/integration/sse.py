"""Reading Server-Sent Events in tests, the way the official client does."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass(frozen=True)
class SSEMessage:
    event: str
    data: dict[str, Any]


async def read_sse(
    response: aiohttp.ClientResponse, *, until: str = "server_close", timeout: float = 30.0
) -> list[SSEMessage]:
    """Every message up to and including the one named `until` (or the end of the stream)."""
    messages: list[SSEMessage] = []
    lines: list[str] = []
    async with asyncio.timeout(timeout):
        while True:
            raw = await response.content.readline()
            if not raw:
                return messages
            line = raw.decode().rstrip("\r\n")
            if line.startswith(":"):
                continue
            if line:
                lines.append(line)
                continue
            if not lines:
                continue
            event, data = "message", []
            for stored in lines:
                field, _, value = stored.partition(":")
                if field == "event":
                    event = value.lstrip(" ")
                elif field == "data":
                    data.append(value.lstrip(" "))
            lines.clear()
            messages.append(SSEMessage(event, json.loads("\n".join(data)) if data else {}))
            if event == until:
                return messages
