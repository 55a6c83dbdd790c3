"""The `Domain` object type, its input types, and parsers of the JSON-string inputs that domains
and projects share (resource slots, vfolder host permissions)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import strawberry

from ai.backend.manager.api.gql.types.session import JSONString, slots_json, to_json_string
from ai.backend.manager.data.domain import DomainRecord
from ai.backend.manager.errors.base import InvalidAPIParameters
from ai.backend.manager.utils.sizes import InvalidBinarySize, parse_binary_size


def parse_json_object(text: str | None, field: str) -> dict[str, Any] | None:
    """A JSON-string input holding an object; None when the input is absent."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except (TypeError, json.JSONDecodeError) as e:
        raise InvalidAPIParameters(f"`{field}` is not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise InvalidAPIParameters(f"`{field}` must be a JSON object")
    return value


def _slot_amount(slot: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidAPIParameters(f"Invalid amount {value!r} for the slot {slot!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        try:
            amount = parse_binary_size(str(value))
        except InvalidBinarySize as e:
            raise InvalidAPIParameters(f"Invalid amount for the slot {slot!r}: {e}") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidAPIParameters(f"Invalid amount {value!r} for the slot {slot!r}")
    return amount


def parse_slots(text: str | None, field: str = "total_resource_slots") -> dict[str, Decimal] | None:
    """`{"cpu": "4", "mem": "8g"}` as exact amounts; None when the input is absent."""
    raw = parse_json_object(text, field)
    if raw is None:
        return None
    return {str(slot): _slot_amount(str(slot), amount) for slot, amount in raw.items()}


def parse_vfolder_hosts(
    text: str | None, field: str = "allowed_vfolder_hosts"
) -> dict[str, list[str]] | None:
    """`{"proxy:volume": ["create-vfolder", ...]}`; None when the input is absent."""
    raw = parse_json_object(text, field)
    if raw is None:
        return None
    hosts: dict[str, list[str]] = {}
    for host, perms in raw.items():
        if not isinstance(perms, list) or not all(isinstance(p, str) for p in perms):
            raise InvalidAPIParameters(f"`{field}`: the permissions of {host!r} must be a list")
        hosts[str(host)] = list(perms)
    return hosts


def hosts_json(hosts: Mapping[str, Any]) -> JSONString:
    return to_json_string(dict(hosts))


@strawberry.type(name="Domain")
class Domain:
    name: str
    description: str | None
    is_active: bool
    created_at: datetime
    modified_at: datetime
    total_resource_slots: JSONString
    allowed_vfolder_hosts: JSONString
    allowed_docker_registries: list[str]
    integration_id: str | None

    @classmethod
    def from_record(cls, record: DomainRecord) -> Domain:
        return cls(
            name=record.name,
            description=record.description,
            is_active=record.is_active,
            created_at=record.created_at,
            modified_at=record.updated_at,
            total_resource_slots=slots_json(record.total_resource_slots),
            allowed_vfolder_hosts=hosts_json(record.allowed_vfolder_hosts),
            allowed_docker_registries=list(record.allowed_docker_registries),
            integration_id=record.integration_id,
        )


@strawberry.input(name="DomainInput")
class DomainInput:
    description: str | None = ""
    is_active: bool | None = True
    total_resource_slots: JSONString | None = None
    allowed_vfolder_hosts: JSONString | None = None
    allowed_docker_registries: list[str] | None = None
    integration_id: str | None = None


@strawberry.input(name="ModifyDomainInput")
class ModifyDomainInput:
    name: str | None = None
    description: str | None = None
    is_active: bool | None = None
    total_resource_slots: JSONString | None = None
    allowed_vfolder_hosts: JSONString | None = None
    allowed_docker_registries: list[str] | None = None
    integration_id: str | None = None


@strawberry.type(name="CreateDomain")
class CreateDomainPayload:
    ok: bool
    msg: str
    domain: Domain | None = None


@strawberry.type(name="ModifyDomain")
class ModifyDomainPayload:
    ok: bool
    msg: str
    domain: Domain | None = None


@strawberry.type(name="DeleteDomain")
class DeleteDomainPayload:
    ok: bool
    msg: str


@strawberry.type(name="PurgeDomain")
class PurgeDomainPayload:
    ok: bool
    msg: str
