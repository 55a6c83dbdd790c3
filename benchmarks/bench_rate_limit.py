#!/usr/bin/env python3
"""What the per-keypair rate limiter adds to a request: one Redis round trip.

Times ``RateLimiter.consume()`` (the one Lua call the middleware makes per signed request)
against a plain ``PING`` on the same connection, sequentially, and prints p50/p99/mean of both.
The target from the issue: the limiter adds under 1 ms to a request (checked on the p99).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_rate_limit.py [--calls 5000]

Redis is ``BENCH_REDIS_ADDR`` (default 127.0.0.1:6379), database 1; the keys it writes carry a
random prefix and are deleted at the end. The exit status is 0 (130 on Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from ai.backend.manager.defs import REDIS_RATE_LIMIT_DB
from ai.backend.manager.services.quota.ratelimit import RateLimiter


async def _timed(call: Callable[[], Awaitable[object]], calls: int) -> list[float]:
    for _ in range(min(200, calls)):  # warm up: connection, script cache
        await call()
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _line(what: str, samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100)
    return (
        f"{what:<22} p50 {cuts[49]:.3f} ms   p99 {cuts[98]:.3f} ms   "
        f"mean {statistics.fmean(samples):.3f} ms"
    )


async def main(calls: int) -> None:
    host, _, port = os.environ.get("BENCH_REDIS_ADDR", "127.0.0.1:6379").partition(":")
    redis: Redis[bytes] = Redis(host=host, port=int(port or 6379), db=REDIS_RATE_LIMIT_DB)
    prefix = f"bench-{secrets.token_hex(4)}:"
    limiter = RateLimiter(redis, key_prefix=prefix)
    try:
        ping = await _timed(redis.ping, calls)
        consume = await _timed(lambda: limiter.consume("AKIAIOSFODNN7EXAMPLE", 10**9), calls)
        print(_line("PING (baseline)", ping))
        print(_line("rate limiter consume", consume))
        p99 = statistics.quantiles(consume, n=100)[98]
        verdict = "PASS" if p99 < 1.0 else "MISS"
        print(f"target: the limiter adds < 1 ms per request (p99 {p99:.3f} ms): {verdict}")
    finally:
        await redis.delete(limiter.key("AKIAIOSFODNN7EXAMPLE"))
        await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    try:
        asyncio.run(main(args.calls))
    except KeyboardInterrupt:
        sys.exit(130)
