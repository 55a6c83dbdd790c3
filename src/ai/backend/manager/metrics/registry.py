"""The manager's metric definitions, on a registry owned by the root context (no globals)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.registry import Collector

from ai.backend.manager.errors.base import ErrorCode

_API_LABELS = ("method", "endpoint", "domain", "operation", "error_detail", "status_code")
_ACTION_LABELS = ("entity_type", "operation_type", "success", "domain", "operation", "error_detail")
_DURATION_BUCKETS = (0.001, 0.01, 0.1, 0.5, 1, 2, 5, 10, 30)
_EVENT_LABELS = ("event_name", "delivery", "success")


class ManagerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.api_request_count = Counter(
            "backendai_api_request_count",
            "Total number of API requests",
            _API_LABELS,
            registry=self.registry,
        )
        self.api_request_duration = Histogram(
            "backendai_api_request_duration_sec",
            "Duration of API requests in seconds",
            _API_LABELS,
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.action_count = Counter(
            "backendai_action_count",
            "Total number of actions processed",
            _ACTION_LABELS,
            registry=self.registry,
        )
        self.action_duration = Histogram(
            "backendai_action_duration_sec",
            "Duration of actions in seconds",
            _ACTION_LABELS,
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.event_count = Counter(
            "backendai_event_count",
            "Total number of events handled, by name and delivery (anycast/broadcast)",
            _EVENT_LABELS,
            registry=self.registry,
        )
        self.event_duration = Histogram(
            "backendai_event_duration_sec",
            "Duration of event handling in seconds",
            _EVENT_LABELS,
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )

    def observe_event(
        self, *, event_name: str, delivery: str, success: bool, duration: float
    ) -> None:
        labels = (event_name, delivery, "true" if success else "false")
        self.event_count.labels(*labels).inc()
        self.event_duration.labels(*labels).observe(duration)

    def observe_api_request(
        self,
        *,
        method: str,
        endpoint: str,
        status_code: int,
        error_code: ErrorCode | None,
        duration: float,
    ) -> None:
        labels = (
            method,
            endpoint,
            error_code.domain if error_code else "",
            error_code.operation if error_code else "",
            error_code.error_detail if error_code else "",
            str(status_code),
        )
        self.api_request_count.labels(*labels).inc()
        self.api_request_duration.labels(*labels).observe(duration)

    def observe_action(
        self,
        *,
        entity_type: str,
        operation_type: str,
        error_code: ErrorCode | None,
        duration: float,
    ) -> None:
        labels = (
            entity_type,
            operation_type,
            "false" if error_code else "true",
            error_code.domain if error_code else "",
            error_code.operation if error_code else "",
            error_code.error_detail if error_code else "",
        )
        self.action_count.labels(*labels).inc()
        self.action_duration.labels(*labels).observe(duration)

    def add_collector(self, collector: Collector) -> None:
        self.registry.register(collector)

    def render(self) -> bytes:
        return generate_latest(self.registry)
