"""Pure rules for turning a session request into what gets enqueued."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from ai.backend.manager.errors.session import InvalidSessionRequest
from ai.backend.manager.types import ClusterMode, ResourceSlot
from ai.backend.manager.utils.sizes import InvalidBinarySize, parse_binary_size

_SESSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,62}[A-Za-z0-9_]$")
_RELATIVE_DELAY = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")

# Memory-like slots are written as binary sizes ("1g", "512m"); the rest are plain numbers.
_BYTE_SLOTS = frozenset({"mem", "cuda.mem"})
DEFAULT_SHARED_MEMORY = Decimal(64 * 1024 * 1024)


def validate_session_name(name: str) -> str:
    if not _SESSION_NAME.match(name):
        raise InvalidSessionRequest(
            f"Invalid session name {name!r}: use 4 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def parse_slot_amount(slot: str, value: Any) -> Decimal:
    try:
        if slot in _BYTE_SLOTS:
            return parse_binary_size(value)
        amount = Decimal(str(value))
    except (InvalidBinarySize, InvalidOperation, ValueError):
        raise InvalidSessionRequest(f"Invalid amount for resource {slot!r}: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidSessionRequest(f"Invalid amount for resource {slot!r}: {value!r}")
    return amount


def parse_resources(raw: Mapping[str, Any] | None) -> ResourceSlot:
    if not raw:
        return {}
    return {str(slot): parse_slot_amount(str(slot), value) for slot, value in raw.items()}


def apply_image_minimums(
    requested: ResourceSlot, minimums: Mapping[str, Decimal], defaults: Mapping[str, Decimal]
) -> ResourceSlot:
    """Fill missing slots from the defaults and refuse amounts below the image's minimum."""
    slots = dict(requested)
    for slot, default in defaults.items():
        slots.setdefault(slot, max(default, minimums.get(slot, Decimal(0))))
    for slot, minimum in minimums.items():
        slots.setdefault(slot, minimum)
        if slots[slot] < minimum:
            raise InvalidSessionRequest(
                f"The image needs at least {minimum} of {slot!r}, but {slots[slot]} was requested"
            )
    return {slot: amount for slot, amount in slots.items()}


def parse_starts_at(value: str | None, now: datetime) -> datetime | None:
    """An ISO-8601 time, or a delay from now such as `10m`, `1h30m`, `2d`."""
    if not value:
        return None
    match = _RELATIVE_DELAY.match(value.strip())
    if match and any(match.groups()):
        days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
        return now + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidSessionRequest(
            f"Invalid starts_at {value!r}: give an ISO-8601 time or a delay like 10m or 1h"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def cluster_layout(mode: ClusterMode, size: int) -> list[tuple[str, int, int, str]]:
    """(role, index, local rank, hostname) for each kernel: one main, the rest subs."""
    if size < 1:
        raise InvalidSessionRequest("clusterSize must be at least 1")
    if size > 64:
        raise InvalidSessionRequest("clusterSize must be at most 64")
    layout = [("main", 1, 0, "main1")]
    layout += [("sub", idx, idx, f"sub{idx}") for idx in range(1, size)]
    return layout


def new_creation_id() -> str:
    return uuid.uuid4().hex[:22]


def parse_duration_seconds(value: str) -> int:
    """`30`, `30s`, `10m`, `1h30m`, `2d` as whole seconds."""
    text = value.strip()
    if text.isdigit():
        return int(text)
    match = _RELATIVE_DELAY.match(text)
    if not match or not any(match.groups()):
        raise ValueError(f"invalid duration {value!r}")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds
