"""The legacy `Image` object type the classic client queries (`image list`, `image get`...).

`name` is the image's path without the registry (`stable/python`), as in the reference schema;
`size_bytes` is a `BigInt` (image sizes overflow GraphQL's 32-bit `Int`); `labels` and `tags`
are lists of `{key value}`; `resource_limits` lists each constrained slot's minimum and maximum
as decimal strings (`Infinity` when unbounded).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, NewType

import strawberry

from ai.backend.manager.api.gql.types.session import decimal_text
from ai.backend.manager.data.image import ImageRecord
from ai.backend.manager.errors.image import InvalidImageResources
from ai.backend.manager.services.image import image_resource_limits


def _parse_big_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("A BigInt must be an integer")
    return int(value)


if TYPE_CHECKING:
    BigInt = int
else:
    # The reference schema's scalar for 64-bit integers (GraphQL `Int` is 32-bit).
    BigInt = strawberry.scalar(
        NewType("BigInt", int),
        name="BigInt",
        description="An integer that may exceed 32 bits, serialized as a JSON number.",
        serialize=int,
        parse_value=_parse_big_int,
    )

_TAG_PART = re.compile(r"^([A-Za-z_]+)(.*)$")


@strawberry.type(name="KVPair")
class KVPair:
    key: str
    value: str


@strawberry.type(name="ResourceLimit")
class ResourceLimit:
    key: str
    min: str
    max: str


def tag_set(tag: str) -> tuple[str, dict[str, str]]:
    """The version and the platform tags of an image tag: `3.9-ubuntu20.04` ->
    (`3.9`, {`ubuntu`: `20.04`})."""
    version, *rest = tag.split("-")
    tags: dict[str, str] = {}
    for part in rest:
        if not part:
            continue
        match = _TAG_PART.match(part)
        if match:
            tags[match.group(1)] = match.group(2)
        else:
            tags[part] = ""
    return version, tags


def _resource_limits(record: ImageRecord) -> list[ResourceLimit]:
    try:
        limits = image_resource_limits(record)
    except InvalidImageResources:
        # a malformed stored spec: show it as it is rather than fail the whole listing
        return [
            ResourceLimit(
                key=str(slot),
                min=str((spec or {}).get("min") or "0"),
                max=str((spec or {}).get("max") or "Infinity"),
            )
            for slot, spec in record.resources.items()
        ]
    return [
        ResourceLimit(
            key=slot,
            min=decimal_text(minimum),
            max="Infinity" if maximum is None else decimal_text(Decimal(maximum)),
        )
        for slot, (minimum, maximum) in limits.items()
    ]


def _base_name(record: ImageRecord) -> str:
    """The last path component of the image name: `python` for `stable/python`."""
    name = record.image
    if record.project and name == record.project:
        return ""
    return name.rsplit("/", 1)[-1]


@strawberry.type(name="Image", description="An image build (legacy schema).")
class Image:
    id: uuid.UUID
    name: str
    namespace: str
    base_image_name: str
    project: str | None
    humanized_name: str
    tag: str | None
    tags: list[KVPair]
    version: str | None
    registry: str
    architecture: str
    is_local: bool
    digest: str | None
    labels: list[KVPair]
    aliases: list[str]
    size_bytes: BigInt
    status: str
    resource_limits: list[ResourceLimit]
    supported_accelerators: list[str]
    installed: bool
    installed_agents: list[str] | None
    hash: str | None
    created_at: datetime | None

    @classmethod
    def from_record(cls, record: ImageRecord) -> Image:
        version, tags = tag_set(record.tag) if record.tag else (None, {})
        digest = record.config_digest or None
        return cls(
            id=record.id,
            name=record.image,
            namespace=record.image,
            base_image_name=_base_name(record),
            project=record.project,
            humanized_name=record.image,
            tag=record.tag,
            tags=[KVPair(key=k, value=v) for k, v in tags.items()],
            version=version,
            registry=record.registry,
            architecture=record.architecture,
            is_local=record.is_local,
            digest=digest,
            labels=[KVPair(key=k, value=v) for k, v in sorted(record.labels.items())],
            aliases=list(record.aliases),
            size_bytes=record.size_bytes,
            status=record.status.name,
            resource_limits=_resource_limits(record),
            supported_accelerators=(
                record.accelerators.split(",") if record.accelerators else ["*"]
            ),
            # the agents that report having it (their installed-image reports, per heartbeat)
            installed=bool(record.installed_agents),
            installed_agents=list(record.installed_agents),
            hash=digest,
            created_at=record.created_at,
        )
