"""The `ScalingGroup` object type and its input types; options are JSON strings."""

from __future__ import annotations

from datetime import datetime

import strawberry

from ai.backend.manager.api.gql.types.session import JSONString, to_json_string
from ai.backend.manager.data.scaling_group import ScalingGroupRecord


@strawberry.type(name="ScalingGroup")
class ScalingGroup:
    name: str
    description: str | None
    created_at: datetime
    # who may use it
    is_active: bool
    is_public: bool
    # how sessions are queued and placed
    scheduler: str
    scheduler_opts: JSONString
    # how agents join it and are reached
    driver: str
    driver_opts: JSONString
    use_host_network: bool
    wsproxy_addr: str | None
    wsproxy_api_token: str | None

    @classmethod
    def from_record(cls, record: ScalingGroupRecord) -> ScalingGroup:
        return cls(
            name=record.name,
            description=record.description,
            created_at=record.created_at,
            is_active=record.is_active,
            is_public=record.is_public,
            scheduler=record.scheduler,
            scheduler_opts=to_json_string(dict(record.scheduler_opts)),
            driver=record.driver,
            driver_opts=to_json_string(dict(record.driver_opts)),
            use_host_network=record.use_host_network,
            wsproxy_addr=record.wsproxy_addr,
            wsproxy_api_token=record.wsproxy_api_token,
        )


@strawberry.input(name="CreateScalingGroupInput")
class CreateScalingGroupInput:
    driver: str
    scheduler: str
    description: str | None = ""
    is_active: bool | None = True
    is_public: bool | None = True
    wsproxy_addr: str | None = None
    wsproxy_api_token: str | None = None
    driver_opts: JSONString | None = None
    scheduler_opts: JSONString | None = None
    use_host_network: bool | None = False


@strawberry.input(name="ModifyScalingGroupInput")
class ModifyScalingGroupInput:
    description: str | None = None
    is_active: bool | None = None
    is_public: bool | None = None
    wsproxy_addr: str | None = None
    wsproxy_api_token: str | None = None
    driver: str | None = None
    driver_opts: JSONString | None = None
    scheduler: str | None = None
    scheduler_opts: JSONString | None = None
    use_host_network: bool | None = None


@strawberry.type(name="CreateScalingGroup")
class CreateScalingGroupPayload:
    ok: bool
    msg: str
    scaling_group: ScalingGroup | None = None


@strawberry.type(name="ModifyScalingGroup")
class ModifyScalingGroupPayload:
    ok: bool
    msg: str


@strawberry.type(name="DeleteScalingGroup")
class DeleteScalingGroupPayload:
    ok: bool
    msg: str


@strawberry.type(name="ScalingGroupAssociationResult")
class ScalingGroupAssociationPayload:
    """The answer of every associate/disassociate mutation."""

    ok: bool
    msg: str
