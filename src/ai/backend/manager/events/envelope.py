"""The transport envelopes around an event body.

Anycast: a stream entry whose fields are `name`, `source`, `payload` (the body's JSON text),
optionally `metadata` (JSON text) and `_retry_count`. Broadcast: one JSON object with the same
keys published on a channel, where `payload` and `metadata` are JSON *strings* nested inside.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from ai.backend.manager.errors.event import MalformedEvent
from ai.backend.manager.events.base import Event

log = logging.getLogger(__name__)

NAME_FIELD: Final = "name"
SOURCE_FIELD: Final = "source"
PAYLOAD_FIELD: Final = "payload"
METADATA_FIELD: Final = "metadata"
RETRY_COUNT_FIELD: Final = "_retry_count"
# Ours, set only when we re-queue an entry: the id of the entry first written, so that a
# retried event keeps the time it was originally produced.
ORIGIN_ID_FIELD: Final = "_origin_id"


class EventMetadata(BaseModel):
    """The producer's context, restored by consumers for logging."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    request_id: str | None = None
    user: dict[str, Any] | None = None
    triggered_user: dict[str, Any] | None = None
    traceparent: str | None = None


def _parse_metadata(raw: str | bytes | None) -> EventMetadata | None:
    if not raw:
        return None
    try:
        return EventMetadata.model_validate_json(raw)
    except (ValidationError, TypeError) as e:
        # Context only: a body we cannot use is no reason to drop the event.
        log.debug("ignoring unreadable event metadata: %s", e)
        return None


@dataclass(frozen=True, slots=True)
class AnycastEnvelope:
    name: str
    source: str
    payload: str
    metadata: EventMetadata | None = None
    retry_count: int = 0
    origin_id: str | None = None

    @classmethod
    def of(cls, event: Event, *, source: str, metadata: EventMetadata | None = None) -> Self:
        return cls(name=event.name, source=source, payload=event.to_json(), metadata=metadata)

    def to_stream_fields(self) -> dict[bytes, bytes]:
        fields = {
            NAME_FIELD.encode(): self.name.encode(),
            SOURCE_FIELD.encode(): self.source.encode(),
            PAYLOAD_FIELD.encode(): self.payload.encode(),
        }
        if self.metadata is not None:
            fields[METADATA_FIELD.encode()] = self.metadata.model_dump_json().encode()
        if self.retry_count:
            fields[RETRY_COUNT_FIELD.encode()] = str(self.retry_count).encode()
        if self.origin_id is not None:
            fields[ORIGIN_ID_FIELD.encode()] = self.origin_id.encode()
        return fields

    @classmethod
    def from_stream_fields(cls, fields: Mapping[bytes, bytes]) -> Self:
        try:
            raw_retry = fields.get(RETRY_COUNT_FIELD.encode())
            raw_origin = fields.get(ORIGIN_ID_FIELD.encode())
            return cls(
                name=fields[NAME_FIELD.encode()].decode(),
                source=fields[SOURCE_FIELD.encode()].decode(),
                payload=fields[PAYLOAD_FIELD.encode()].decode(),
                metadata=_parse_metadata(fields.get(METADATA_FIELD.encode())),
                retry_count=int(raw_retry) if raw_retry else 0,
                origin_id=raw_origin.decode() if raw_origin else None,
            )
        except (KeyError, ValueError, UnicodeDecodeError) as e:
            raise MalformedEvent(f"malformed stream entry: {e!r}") from None

    def retried(self, entry_id: str) -> Self:
        """The envelope to re-queue after a failed delivery of stream entry `entry_id`."""
        return replace(self, retry_count=self.retry_count + 1, origin_id=self.origin_id or entry_id)


@dataclass(frozen=True, slots=True)
class BroadcastEnvelope:
    name: str
    source: str
    payload: str
    metadata: EventMetadata | None = None

    @classmethod
    def of(cls, event: Event, *, source: str, metadata: EventMetadata | None = None) -> Self:
        return cls(name=event.name, source=source, payload=event.to_json(), metadata=metadata)

    def to_json(self) -> str:
        message = {NAME_FIELD: self.name, SOURCE_FIELD: self.source, PAYLOAD_FIELD: self.payload}
        if self.metadata is not None:
            message[METADATA_FIELD] = self.metadata.model_dump_json()
        return json.dumps(message, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: str | bytes) -> Self:
        try:
            message = json.loads(data)
            name, source, payload = (
                message[NAME_FIELD],
                message[SOURCE_FIELD],
                message[PAYLOAD_FIELD],
            )
            if not all(isinstance(v, str) for v in (name, source, payload)):
                raise ValueError("name, source and payload must be strings")
            return cls(
                name=name,
                source=source,
                payload=payload,
                metadata=_parse_metadata(message.get(METADATA_FIELD)),
            )
        except (KeyError, TypeError, ValueError, UnicodeDecodeError) as e:
            raise MalformedEvent(f"malformed broadcast message: {e!r}") from None


def decode_body[E: Event](event_cls: type[E], payload: str | bytes) -> E:
    """Validate an event body; MalformedEvent if it does not fit the model."""
    try:
        return event_cls.from_json(payload)
    except ValidationError as e:
        raise MalformedEvent(f"malformed {event_cls.name} body: {e}") from None
