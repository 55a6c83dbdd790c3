"""Service-discovery records (only sent when a peer has `[service-discovery] service-group`)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from ai.backend.manager.events.base import Event
from ai.backend.manager.events.types import ServiceEndpointInfo


class ServiceRegisteredEvent(Event):
    name: ClassVar[str] = "service_registered"

    instance_id: str
    service_group: str
    display_name: str
    version: str
    labels: dict[str, str] = Field(default_factory=dict)
    endpoints: list[ServiceEndpointInfo] = Field(default_factory=list)
    startup_time: datetime
    config_hash: str = ""


class ServiceDeregisteredEvent(Event):
    name: ClassVar[str] = "service_deregistered"

    instance_id: str
    service_group: str
