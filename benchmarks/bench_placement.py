#!/usr/bin/env python3
"""Placement benchmark: how fast the scheduler's pure core decides, without any IO.

Builds synthetic snapshots of one resource group and times `plan()` on them:

  * 500 pending single-kernel sessions over 20 agents,
  * 5,000 pending single-kernel sessions over 100 agents,
  * the same 5,000 / 100 with every request distinct (no two sessions ask for the same slots, so
    the planner cannot reuse the verdict of an identical request that already found no agent),

for each queue policy and agent selection strategy. A "decision" is one pending session placed,
deferred or cancelled; decisions/s = pending sessions / time of one `plan()` call (the best of
`--repeat` runs; the median is printed too). About a third to two thirds of the sessions fit, so
both the placing and the explaining paths are exercised. Target: >= 1,000 decisions/s.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_placement.py [--repeat 5] [--quick]

Always exits 0 (130 on Ctrl-C): the target is reported, never enforced.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from ai.backend.manager.sokovan.scheduler import (
    AgentSnapshot,
    KernelRequest,
    KeypairLimits,
    KeypairUsage,
    PendingSession,
    QueuePolicy,
    SchedulingSnapshot,
    plan,
)
from ai.backend.manager.types import (
    AgentSelectionStrategy,
    ClusterMode,
    DefaultForUnspecified,
)

TARGET_DECISIONS_PER_S = 1_000
GiB = 2**30
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Scenario:
    label: str
    sessions: int
    agents: int
    distinct_requests: bool = False


SCENARIOS = (
    Scenario("500 sessions / 20 agents", 500, 20),
    Scenario("5,000 sessions / 100 agents", 5_000, 100),
    Scenario("5,000 / 100, all requests distinct", 5_000, 100, distinct_requests=True),
)


def build_snapshot(
    scenario: Scenario, policy: QueuePolicy, strategy: AgentSelectionStrategy, seed: int = 7
) -> SchedulingSnapshot:
    rng = random.Random(seed)
    agents = tuple(
        AgentSnapshot(
            id=f"i-bench-{n:04d}",
            addr=f"tcp://10.0.{n // 250}.{n % 250}:6001",
            architecture="x86_64",
            capacity={
                "cpu": Decimal(64),
                "mem": Decimal(256 * GiB),
                "cuda.device": Decimal(8 if n % 4 == 0 else 0),
            },
            occupied={"cpu": Decimal(rng.choice([0, 4, 8])), "mem": Decimal(8 * GiB)},
            container_count=rng.randint(0, 4),
            max_container_count=64,
        )
        for n in range(scenario.agents)
    )
    access_keys = [f"AKBENCH{n:05d}" for n in range(50)]
    pending: list[PendingSession] = []
    for n in range(scenario.sessions):
        if scenario.distinct_requests:
            cpu = Decimal(rng.randint(100, 800)) / 100 + Decimal(n) / 10**6
            mem = Decimal(rng.randint(1, 16) * GiB + n)
        else:
            cpu = Decimal(rng.choice([1, 2, 4, 8]))
            mem = Decimal(rng.choice([2, 4, 8, 16]) * GiB)
        requested = {"cpu": cpu, "mem": mem}
        if rng.random() < 0.1:
            requested["cuda.device"] = Decimal(rng.choice([1, 2]))
        access_key = rng.choice(access_keys)
        pending.append(
            PendingSession(
                session_id=UUID(int=n + 1),
                name=f"bench-{n}",
                access_key=access_key,
                user_uuid=UUID(int=10**9 + access_keys.index(access_key)),
                group_id=UUID(int=2 * 10**9),
                domain_name="default",
                session_type="batch" if n % 3 else "interactive",
                cluster_mode=ClusterMode.SINGLE_NODE,
                cluster_size=1,
                priority=rng.choice([10, 10, 10, 20]),
                created_at=NOW - timedelta(seconds=scenario.sessions - n),
                kernels=(
                    KernelRequest(
                        kernel_id=UUID(int=10**12 + n),
                        cluster_role="main",
                        cluster_idx=1,
                        requested_slots=requested,
                        image="cr.backend.ai/stable/python:3.13-ubuntu24.04",
                        architecture="x86_64",
                    ),
                ),
            )
        )
    limits = {
        ak: KeypairLimits(
            max_concurrent_sessions=1_000,
            total_resource_slots={"cpu": Decimal(10_000), "mem": Decimal(100_000 * GiB)},
            default_for_unspecified=DefaultForUnspecified.UNLIMITED,
            max_containers_per_session=8,
        )
        for ak in access_keys
    }
    usage = {ak: KeypairUsage(session_count=1, occupied={"cpu": Decimal(2)}) for ak in access_keys}
    return SchedulingSnapshot(
        resource_group="default",
        scheduler=policy,
        agent_selection_strategy=strategy,
        now=NOW,
        agents=agents,
        pending=tuple(pending),
        allowed_session_types=frozenset({"interactive", "batch"}),
        keypair_limits=limits,
        keypair_usage=usage,
    )


@dataclass
class Measurement:
    best_s: float
    median_s: float
    placed: int
    deferred: int

    def decisions_per_s(self, sessions: int) -> float:
        return sessions / self.best_s if self.best_s > 0 else float("inf")


def measure(snapshot: SchedulingSnapshot, repeat: int) -> Measurement:
    timings: list[float] = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = plan(snapshot)
        timings.append(time.perf_counter() - started)
    assert result is not None
    return Measurement(
        best_s=min(timings),
        median_s=statistics.median(timings),
        placed=len(result.placements),
        deferred=len(result.deferrals) + len(result.cancellations),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5, help="plan() calls per case (best wins)")
    parser.add_argument("--quick", action="store_true", help="FIFO and DRF with dispersed only")
    args = parser.parse_args()

    policies = [QueuePolicy.FIFO, QueuePolicy.DRF] if args.quick else list(QueuePolicy)
    strategies = (
        [AgentSelectionStrategy.DISPERSED]
        if args.quick
        else [
            AgentSelectionStrategy.CONCENTRATED,
            AgentSelectionStrategy.DISPERSED,
            AgentSelectionStrategy.ROUNDROBIN,
        ]
    )
    print(f"Python {sys.version.split()[0]}, best and median of {args.repeat} plan() calls\n")
    header = (
        f"{'scenario':<36} {'policy':<6} {'strategy':<12} {'placed':>6} {'deferred':>8} "
        f"{'best ms':>9} {'median ms':>9} {'decisions/s':>12}  target"
    )
    print(header)
    print("-" * len(header))
    worst = float("inf")
    for scenario in SCENARIOS:
        for policy in policies:
            for strategy in strategies:
                snapshot = build_snapshot(scenario, policy, strategy)
                m = measure(snapshot, args.repeat)
                rate = m.decisions_per_s(scenario.sessions)
                worst = min(worst, rate)
                verdict = "PASS" if rate >= TARGET_DECISIONS_PER_S else "MISS"
                print(
                    f"{scenario.label:<36} {policy.value:<6} {strategy.value:<12} "
                    f"{m.placed:>6} {m.deferred:>8} {m.best_s * 1e3:>9.1f} "
                    f"{m.median_s * 1e3:>9.1f} {rate:>12,.0f}  {verdict}",
                    flush=True,
                )
    print(
        f"\nslowest case: {worst:,.0f} decisions/s "
        f"(target >= {TARGET_DECISIONS_PER_S:,}/s: {worst / TARGET_DECISIONS_PER_S:.1f}x)"
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a benchmark reports, it never fails the build
        print(f"benchmark error: {exc!r}", file=sys.stderr)
        sys.exit(0)
