"""Scheduler metrics (names and labels as the reference documents them)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

_OPERATION_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_PHASE_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0)


class SchedulerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.operation_count = Counter(
            "backendai_scheduler_operation_count",
            "Total number of scheduler operations",
            ("operation", "status"),
            registry=registry,
        )
        self.operation_success_count = Counter(
            "backendai_scheduler_operation_success_count",
            "Total number of successful scheduler operations",
            ("operation",),
            registry=registry,
        )
        self.operation_duration = Histogram(
            "backendai_scheduler_operation_duration_sec",
            "Duration of scheduler operations in seconds",
            ("operation", "status"),
            buckets=_OPERATION_BUCKETS,
            registry=registry,
        )
        self.phase_count = Counter(
            "backendai_scheduler_phase_count",
            "Total number of scheduler phase executions",
            ("component", "resource_group_id", "phase", "status"),
            registry=registry,
        )
        self.phase_duration = Histogram(
            "backendai_scheduler_phase_duration_sec",
            "Duration of scheduler phase executions in seconds",
            ("component", "resource_group_id", "phase", "status"),
            buckets=_PHASE_BUCKETS,
            registry=registry,
        )

    def observe_operation(
        self, operation: str, *, success: bool, duration: float, count: int = 1
    ) -> None:
        status = "success" if success else "failure"
        self.operation_count.labels(operation, status).inc(count)
        if success:
            self.operation_success_count.labels(operation).inc(count)
        self.operation_duration.labels(operation, status).observe(duration)

    def observe_phase(
        self, resource_group: str, phase: str, *, success: bool, duration: float
    ) -> None:
        status = "success" if success else "failure"
        self.phase_count.labels("scheduler", resource_group, phase, status).inc()
        self.phase_duration.labels("scheduler", resource_group, phase, status).observe(duration)
