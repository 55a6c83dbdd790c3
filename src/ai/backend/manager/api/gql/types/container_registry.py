"""Container registries as the reference schema shows them.

Two shapes: the legacy `ContainerRegistry` (`hostname` and a `config` object whose `project` is
a list) and `ContainerRegistryNode` (flat fields, `row_id`). Both have a relay global `id`
(base64 of `Type:uuid`). A stored password is never sent back: it reads `*****` when one is
set, null otherwise.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from typing import TYPE_CHECKING, Final, NewType

import strawberry

from ai.backend.manager.api.gql.types.session import JSONString
from ai.backend.manager.data.image import RegistryRecord
from ai.backend.manager.errors.container_registry import InvalidContainerRegistry

PASSWORD_PLACEHOLDER: Final = "*****"


def _parse_registry_type(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("A ContainerRegistryTypeField must be a string")
    return value


if TYPE_CHECKING:
    ContainerRegistryTypeField = str
else:
    ContainerRegistryTypeField = strawberry.scalar(
        NewType("ContainerRegistryTypeField", str),
        name="ContainerRegistryTypeField",
        description="A registry type: docker, harbor, harbor2, github, gitlab, ecr, ...",
        serialize=str,
        parse_value=_parse_registry_type,
    )


def to_global_id(type_name: str, row_id: uuid.UUID) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def parse_registry_id(value: str) -> uuid.UUID:
    """A row id given as a UUID or as a relay global id (`base64(Type:uuid)`)."""
    text = value.strip()
    try:
        return uuid.UUID(text)
    except ValueError:
        pass
    try:
        decoded = base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode()
        return uuid.UUID(decoded.rpartition(":")[2])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidContainerRegistry(f"{value!r} is not a container registry id") from None


def _password(record: RegistryRecord) -> str | None:
    return PASSWORD_PLACEHOLDER if record.has_password else None


@strawberry.type(name="ContainerRegistryConfig")
class ContainerRegistryConfig:
    url: str
    type: str
    project: list[str | None] | None
    username: str | None
    password: str | None
    ssl_verify: bool | None
    is_global: bool | None


@strawberry.type(name="ContainerRegistry", description="Deprecated: use ContainerRegistryNode.")
class ContainerRegistry:
    id: strawberry.ID
    hostname: str | None
    config: ContainerRegistryConfig | None

    @classmethod
    def from_record(cls, record: RegistryRecord) -> ContainerRegistry:
        return cls(
            id=strawberry.ID(to_global_id("ContainerRegistry", record.id)),
            hostname=record.name,
            config=ContainerRegistryConfig(
                url=record.url,
                type=record.type.value,
                project=[record.project],
                username=record.username,
                password=_password(record),
                ssl_verify=record.ssl_verify,
                is_global=record.is_global,
            ),
        )


@strawberry.type(name="ContainerRegistryNode")
class ContainerRegistryNode:
    id: strawberry.ID
    row_id: uuid.UUID | None
    name: str | None
    url: str
    type: ContainerRegistryTypeField
    registry_name: str
    is_global: bool | None
    project: str | None
    username: str | None
    password: str | None
    ssl_verify: bool | None
    extra: JSONString | None

    @classmethod
    def from_record(cls, record: RegistryRecord) -> ContainerRegistryNode:
        return cls(
            id=strawberry.ID(to_global_id("ContainerRegistryNode", record.id)),
            row_id=record.id,
            name=record.name,
            url=record.url,
            type=record.type.value,
            registry_name=record.name,
            is_global=record.is_global,
            project=record.project,
            username=record.username,
            password=_password(record),
            ssl_verify=record.ssl_verify,
            extra=JSONString(json.dumps(dict(record.extra))) if record.extra is not None else None,
        )
