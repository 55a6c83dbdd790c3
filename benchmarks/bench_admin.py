#!/usr/bin/env python3
"""Admin GraphQL benchmark: CLI-shaped `user_list` and `compute_session_list` pages, ours vs the
reference Backend.AI manager (26.9.6), side by side.

For each side, ``--rows`` users and as many sessions (one kernel each, status ERROR so that no
scheduler touches them) are inserted directly with SQL; then the GraphQL queries the official CLI
sends for ``admin user list`` and ``ps`` (limit 20, several offsets) are timed, signed like the
client signs them: p50/p99 latency and requests/s. On our side the number of SQL statements one
page costs is also counted (our manager run in-process for that, after the timed run).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_admin.py [--rows 10000] [--requests 200]
        [--concurrency 4] [--skip-ours] [--skip-reference]

The reference stack must already run (``../shared/reference/up.sh``; database ``ref_backend``).
What the benchmark inserts there is deleted again at the end (also on errors and Ctrl-C). Our
manager runs on a throw-away database and etcd namespace, removed at the end. A root field that
a side's schema lacks is reported as "not available". The exit status is 0 (130 on Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from bench_foundation import REPO, OurManager, log, run_both_sides
from benchlib import signed_headers

TARGET_RPS_RATIO = 5.0  # ours >= 5x the reference's req/s
GQL_PATH = "/admin/gql"
PAGE_LIMIT = 20

# The query texts the CLI renders (spec/gql.md §4), whitespace aside.
USER_LIST_QUERY = """
query($limit:Int!, $offset:Int!, $status:String, $group_id:UUID, $filter:String, $order:String) {
  user_list(limit:$limit, offset:$offset, status:$status, group_id:$group_id,
            filter:$filter, order:$order) {
    items { uuid username role email full_name need_password_change status status_info
            created_at domain_name groups { id name } allowed_client_ip sudo_session_enabled
            main_access_key }
    total_count
  }
}"""
SESSION_STATUSES = (
    "PENDING,SCHEDULED,PULLING,PREPARED,PREPARING,CREATING,RUNNING,RUNNING_DEGRADED,"
    "TERMINATING,ERROR"
)
SESSION_LIST_QUERY = """
query($limit:Int!, $offset:Int!, $status:String, $access_key:String, $filter:String,
      $order:String) {
  compute_session_list(limit:$limit, offset:$offset, status:$status, access_key:$access_key,
                       filter:$filter, order:$order) {
    items { name access_key priority id group_name type image status status_info
            status_changed result }
    total_count
  }
}"""

# Fixture ids shared by both sides' sample data (domain, project, resource group, superadmin).
DOMAIN = ("default", "b9e676dc-e23e-54c6-b350-e83fba4127e9")
PROJECT_ID = "2de2b969-1d04-48a6-af16-0bc8adb3c831"
SUPERADMIN_UUID = "f38dea23-50fa-42a0-b5ae-338f5f4693f4"
SUPERADMIN_AK = "AKIAIOSFODNN7EXAMPLE"


@dataclass(frozen=True)
class QueryShape:
    name: str
    root_field: str
    text: str
    extra_variables: dict[str, Any]


SHAPES = (
    QueryShape(
        "user_list",
        "user_list",
        USER_LIST_QUERY,
        {"status": None, "group_id": None, "filter": None, "order": None},
    ),
    QueryShape(
        "compute_session_list",
        "compute_session_list",
        SESSION_LIST_QUERY,
        {"status": SESSION_STATUSES, "access_key": None, "filter": None, "order": None},
    ),
)


@dataclass
class Timing:
    available: bool = True
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    failures: int = 0
    first_error: str | None = None
    statements_per_page: dict[int, int] = field(default_factory=dict)  # limit -> statements

    @property
    def rps(self) -> float | None:
        if not self.latencies or self.elapsed <= 0:
            return None
        return len(self.latencies) / self.elapsed

    def percentile(self, q: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
        return ordered[index] * 1000


@dataclass
class SideResult:
    name: str
    timings: dict[str, Timing] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


# -----------------------------------------------------------------------------------------------
# SQL: bulk inserts shaped by each side's schema
# -----------------------------------------------------------------------------------------------


def psql(database: str, sql: str, *, host: str = "127.0.0.1", port: int = 5432) -> str:
    cmd = ["psql", "-h", host, "-p", str(port), "-U", "postgres", "-d", database]
    cmd += ["-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"psql on {database} failed: {proc.stderr.strip()[:800]}")
    return proc.stdout


@dataclass(frozen=True)
class Column:
    name: str
    udt: str
    required: bool  # NOT NULL without a default


def table_columns(database: str, table: str) -> dict[str, Column]:
    out = psql(
        database,
        "SELECT column_name, udt_name, (is_nullable = 'NO' AND column_default IS NULL)"
        " FROM information_schema.columns"
        f" WHERE table_schema = 'public' AND table_name = '{table}'",
    )
    columns: dict[str, Column] = {}
    for line in out.splitlines():
        name, udt, required = line.split("|")
        columns[name] = Column(name, udt, required == "t")
    return columns


_FALLBACK_BY_TYPE = {
    "uuid": "gen_random_uuid()",
    "int2": "0",
    "int4": "0",
    "int8": "0",
    "numeric": "0",
    "bool": "false",
    "jsonb": "'{}'::jsonb",
    "json": "'{}'::json",
    "bytea": "'\\x'::bytea",
    "timestamptz": "now()",
}


def enum_types(database: str) -> set[str]:
    return set(psql(database, "SELECT typname FROM pg_type WHERE typtype = 'e'").split())


def insert_sql(
    database: str, table: str, wanted: dict[str, str], count: int, select_from: str
) -> str:
    """`INSERT ... SELECT` of `count` rows: the wanted column expressions the table has, and a
    type-based filler for every other NOT NULL column without a default."""
    columns = table_columns(database, table)
    enums = enum_types(database)
    if not columns:
        raise RuntimeError(f"{database} has no table {table}")
    names: list[str] = []
    values: list[str] = []
    for name, column in columns.items():
        if name in wanted:
            expression = wanted[name]
        elif column.required:
            expression = _FALLBACK_BY_TYPE.get(column.udt, "''")
        else:
            continue
        names.append(f'"{name}"')
        # PostgreSQL enums (e.g. the reference's `userstatus`): cast the text to the column type
        if column.udt in enums:
            expression = f"({expression})::text::{column.udt}"
        values.append(expression)
    cols = ", ".join(names)
    return f"INSERT INTO {table} ({cols}) SELECT {', '.join(values)} {select_from.format(n=count)}"


def seed_rows(database: str, tag: str, rows: int, *, reference: bool = False) -> None:
    """`rows` users and `rows` ERROR sessions with one kernel each, all named after `tag`."""
    series = "FROM generate_series(1, {n}) AS g"
    # the reference stores these two enums by member name, ours by value
    interactive = "'INTERACTIVE'" if reference else "'interactive'"
    undefined = "'UNDEFINED'" if reference else "'undefined'"
    users = {
        "uuid": "gen_random_uuid()",
        "username": f"'bench-{tag}-' || g",
        "email": f"'bench-{tag}-' || g || '@bench.local'",
        "password": "NULL",
        "need_password_change": "false",
        "full_name": "'Bench User ' || g",
        "description": "''",
        "status": "'active'",
        "status_info": "NULL",
        "domain_name": f"'{DOMAIN[0]}'",
        "domain_id": f"'{DOMAIN[1]}'::uuid",
        "role": "'user'",
        "resource_policy": "'default'",
        "sudo_session_enabled": "false",
        "totp_activated": "false",
        "password_changed_at": "now()",
    }
    psql(database, insert_sql(database, "users", users, rows, series))
    resource_group = "(SELECT id FROM scaling_groups WHERE name = 'default')"
    session_values = {
        "id": "gen_random_uuid()",
        "creation_id": "substr(md5(g::text), 1, 32)",
        "name": f"'bench-{tag}-' || g",
        "session_type": interactive,
        "priority": "10",
        "cluster_mode": "'single-node'",
        "cluster_size": "1",
        "options": "'{}'::jsonb",
        "resource_group_id": resource_group,
        "scaling_group_name": "'default'",
        "domain_name": f"'{DOMAIN[0]}'",
        "domain_id": f"'{DOMAIN[1]}'::uuid",
        "group_id": f"'{PROJECT_ID}'::uuid",
        "user_uuid": f"'{SUPERADMIN_UUID}'::uuid",
        "access_key": f"'{SUPERADMIN_AK}'",
        "images": "ARRAY['cr.backend.ai/stable/python:3.9-ubuntu20.04']",
        "status": "'ERROR'",
        "status_info": "'bench'",
        "status_history": "jsonb_build_object('ERROR', now()::text)",
        "result": undefined,
        "use_host_network": "false",
        "created_at": "now() - (g || ' seconds')::interval",
    }
    psql(database, insert_sql(database, "sessions", session_values, rows, series))
    kernel_values = {
        "id": "gen_random_uuid()",
        "session_id": "s.id",
        "session_name": "s.name",
        "session_type": interactive,
        "cluster_mode": "'single-node'",
        "cluster_size": "1",
        "cluster_role": "'main'",
        "cluster_idx": "1",
        "local_rank": "0",
        "cluster_hostname": "'main1'",
        "scaling_group": "'default'",
        "resource_group_id": "s.resource_group_id",
        "domain_name": "s.domain_name",
        "group_id": "s.group_id",
        "user_uuid": "s.user_uuid",
        "access_key": "s.access_key",
        "image": "'cr.backend.ai/stable/python:3.9-ubuntu20.04'",
        "architecture": "'x86_64'",
        "registry": "'cr.backend.ai'",
        "status": "'ERROR'",
        "result": undefined,
        "occupied_slots": "'{}'::jsonb",
        "occupied_shares": "'{}'::jsonb",
        "repl_in_port": "0",
        "repl_out_port": "0",
        "stdin_port": "0",
        "stdout_port": "0",
        "use_host_network": "false",
    }
    psql(
        database,
        insert_sql(
            database,
            "kernels",
            kernel_values,
            rows,
            f"FROM sessions AS s WHERE s.name LIKE 'bench-{tag}-%'",
        ),
    )
    # a steady state, as autovacuum leaves a live database: planner statistics and the
    # visibility map up to date (the same for both sides)
    psql(database, "VACUUM ANALYZE users, keypairs, sessions, kernels")


def remove_rows(database: str, tag: str) -> None:
    """Delete what `seed_rows` inserted (kernels, sessions, users), in one transaction."""
    pattern = f"bench-{tag}-%"
    psql(
        database,
        "BEGIN;"
        " DELETE FROM kernels WHERE session_id IN"
        f"  (SELECT id FROM sessions WHERE name LIKE '{pattern}');"
        f" DELETE FROM sessions WHERE name LIKE '{pattern}';"
        f" DELETE FROM users WHERE email LIKE '{pattern}@bench.local';"
        " COMMIT;",
    )


# -----------------------------------------------------------------------------------------------
# HTTP: signed GraphQL requests
# -----------------------------------------------------------------------------------------------


async def post_gql(
    http: aiohttp.ClientSession, base_url: str, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    host = urlsplit(base_url).netloc
    headers = signed_headers(
        method="POST", rel_url=GQL_PATH, host=host, content_type="application/json"
    )
    async with http.post(
        base_url + GQL_PATH, json={"query": query, "variables": variables}, headers=headers
    ) as resp:
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status}: {(await resp.text())[:300]}")
        body: dict[str, Any] = await resp.json()
        return body


def lacks_field(body: dict[str, Any], root_field: str) -> bool:
    """Whether GraphQL validation refused the query because the schema has no `root_field`
    (introspection may be disabled, as on the reference, so we ask with the query itself)."""
    needle = f"Cannot query field '{root_field}' on type 'Query'"
    return any(needle in str(e.get("message", "")) for e in body.get("errors") or [])


def offsets_for(rows: int) -> list[int]:
    """First page, a few in the middle, and the last one."""
    candidates = [0, 100, rows // 4, rows // 2, (3 * rows) // 4, max(0, rows - PAGE_LIMIT)]
    return sorted({min(max(0, o), max(0, rows - 1)) for o in candidates})


async def time_shape(
    base_url: str, shape: QueryShape, offsets: Sequence[int], requests: int, concurrency: int
) -> Timing:
    timing = Timing()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        def variables(i: int) -> dict[str, Any]:
            return {
                "limit": PAGE_LIMIT,
                "offset": offsets[i % len(offsets)],
                **shape.extra_variables,
            }

        # warm-up: every offset once, and check the answers are real pages
        for i in range(len(offsets)):
            body = await post_gql(http, base_url, shape.text, variables(i))
            if lacks_field(body, shape.root_field):
                timing.available = False
                return timing
            if body.get("errors"):
                raise RuntimeError(f"{shape.name}: {str(body['errors'][0])[:300]}")
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(requests):
            queue.put_nowait(i)

        async def worker() -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                try:
                    body = await post_gql(http, base_url, shape.text, variables(i))
                except (aiohttp.ClientError, RuntimeError) as exc:
                    timing.failures += 1
                    timing.first_error = timing.first_error or str(exc)
                    continue
                if body.get("errors"):
                    timing.failures += 1
                    timing.first_error = timing.first_error or str(body["errors"][0])
                    continue
                timing.latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        timing.elapsed = time.perf_counter() - started
    return timing


# -----------------------------------------------------------------------------------------------
# statements per page (our manager, in-process)
# -----------------------------------------------------------------------------------------------


async def count_statements(
    config_path: Path, shapes: Sequence[QueryShape]
) -> dict[str, dict[int, int]]:
    """Run our manager in-process on the benchmark's database and count the SQL statements
    the API handlers run for one page of each shape (limit 5 and 50)."""
    import sqlalchemy as sa

    from ai.backend.manager.config.loader import load_config
    from ai.backend.manager.server import running_manager

    config = load_config(config_path)
    # a schema without a root field answers with a GraphQL error, which strawberry logs
    logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)
    counts: dict[str, dict[int, int]] = {}
    async with running_manager(config) as root:
        svc = config.manager.service_addr
        base_url = f"http://{svc.host}:{svc.port}"
        statements: list[str] = []

        def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            task = asyncio.current_task()
            name = getattr(task.get_coro(), "__qualname__", "") if task else ""
            # API request tasks and graphql-core's field tasks, not the background loops
            if name.startswith(("RequestHandler.", "ExecutionContext.")):
                statements.append(statement)

        engine = root.db.sync_engine
        async with aiohttp.ClientSession() as http:
            for shape in shapes:
                per_limit: dict[int, int] = {}
                for limit in (5, 5, 50):  # the first run warms the keypair cache
                    statements.clear()
                    sa.event.listen(engine, "before_cursor_execute", on_execute)
                    try:
                        body = await post_gql(
                            http,
                            base_url,
                            shape.text,
                            {"limit": limit, "offset": 0, **shape.extra_variables},
                        )
                    finally:
                        sa.event.remove(engine, "before_cursor_execute", on_execute)
                    if body.get("errors"):
                        break
                    per_limit[limit] = len(statements)
                else:
                    counts[shape.name] = per_limit
    return counts


# -----------------------------------------------------------------------------------------------
# the two sides
# -----------------------------------------------------------------------------------------------


def bench_ours(args: argparse.Namespace) -> SideResult:
    result = SideResult("ours")
    tag = secrets.token_hex(3)
    with tempfile.TemporaryDirectory(prefix="bench-admin-") as tmp:
        manager = OurManager(args.manager_cli, args.keypairs_fixture, Path(tmp))
        try:
            manager.prepare()
            log(f"ours: inserting {args.rows} users and {args.rows} sessions")
            seed_rows(manager.db_name, tag, args.rows)
            log("ours: start-server")
            manager.start(args.startup_timeout)
            for shape in SHAPES:
                log(f"ours: timing {shape.name}")
                result.timings[shape.name] = asyncio.run(
                    time_shape(
                        manager.base_url,
                        shape,
                        offsets_for(args.rows),
                        args.requests,
                        args.concurrency,
                    )
                )
            manager.stop()
            log("ours: counting statements per page (in-process manager)")
            counts = asyncio.run(count_statements(manager.config, SHAPES))
            for name, per_limit in counts.items():
                result.timings[name].statements_per_page = per_limit
        except Exception as exc:  # report and carry on with the other side
            result.errors.append(f"{type(exc).__name__}: {exc}")
            log(f"ours: FAILED: {exc}")
        finally:
            manager.cleanup()  # drops the whole database
    return result


@contextlib.contextmanager
def rows_in_reference(
    tag: str, insert: Callable[[], None], remove: Callable[[], None]
) -> Iterator[None]:
    """Rows inserted into the reference's database for the block, removed again afterwards
    (even after a failed or partial insert)."""
    try:
        insert()
        yield
    finally:
        try:
            remove()
            log("reference: removed the inserted rows")
        except RuntimeError as exc:
            log(f"reference: CLEANUP FAILED, remove rows named bench-{tag}-* by hand: {exc}")


def bench_reference(args: argparse.Namespace) -> SideResult:
    result = SideResult("reference")
    tag = secrets.token_hex(3)
    db = args.reference_db
    try:
        log(f"reference: inserting {args.rows} users and {args.rows} sessions into {db}")
        with rows_in_reference(
            tag,
            lambda: seed_rows(db, tag, args.rows, reference=True),
            lambda: remove_rows(db, tag),
        ):
            for shape in SHAPES:
                log(f"reference: timing {shape.name}")
                result.timings[shape.name] = asyncio.run(
                    time_shape(
                        args.reference_url,
                        shape,
                        offsets_for(args.rows),
                        args.requests,
                        args.concurrency,
                    )
                )
    except Exception as exc:
        result.errors.append(f"{type(exc).__name__}: {exc}")
        log(f"reference: FAILED: {exc}")
    return result


# -----------------------------------------------------------------------------------------------
# report
# -----------------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} ms"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _cell(timing: Timing | None, metric: Callable[[Timing], str]) -> str:
    if timing is None:
        return "-"
    if not timing.available:
        return "not available"
    return metric(timing)


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def print_report(args: argparse.Namespace, ours: SideResult, ref: SideResult) -> None:
    print()
    print(
        f"Admin GraphQL benchmark: {args.rows} users + {args.rows} sessions per side,"
        f" limit {PAGE_LIMIT}, offsets {offsets_for(args.rows)},"
        f" {args.requests} requests per query, concurrency {args.concurrency}"
    )
    header = ("query", "metric", "ours", "reference", "ours/ref", "target")
    rows: list[tuple[str, ...]] = []
    for shape in SHAPES:
        o = ours.timings.get(shape.name)
        r = ref.timings.get(shape.name)
        o_rps = o.rps if o and o.available else None
        r_rps = r.rps if r and r.available else None
        verdict = "-"
        if o_rps is not None and r_rps is not None and r_rps > 0:
            ok = o_rps / r_rps >= TARGET_RPS_RATIO
            verdict = f">= {TARGET_RPS_RATIO:g} {'PASS' if ok else 'MISS'}"
        rows.append(
            (
                shape.name,
                "req/s",
                _cell(o, lambda t: _num(t.rps)),
                _cell(r, lambda t: _num(t.rps)),
                _ratio(o_rps, r_rps),
                verdict,
            )
        )
        for label, q in (("p50", 0.5), ("p99", 0.99)):
            o_v = o.percentile(q) if o and o.available else None
            r_v = r.percentile(q) if r and r.available else None
            rows.append(
                (
                    "",
                    label,
                    _cell(o, lambda t, q=q: _ms(t.percentile(q))),
                    _cell(r, lambda t, q=q: _ms(t.percentile(q))),
                    _ratio(o_v, r_v),
                    "",
                )
            )
        failures = (
            _cell(o, lambda t: str(t.failures)),
            _cell(r, lambda t: str(t.failures)),
        )
        rows.append(("", "failed requests", *failures, "", ""))
        if o and o.statements_per_page:
            counts = ", ".join(f"limit {k}: {v}" for k, v in sorted(o.statements_per_page.items()))
            constant = len(set(o.statements_per_page.values())) == 1
            rows.append(
                ("", "SQL statements/page", counts, "", "", "constant" if constant else "GROWS")
            )
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    for line in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    for side in (ours, ref):
        for name, timing in side.timings.items():
            if timing.first_error:
                print(f"{side.name} {name}: first error: {timing.first_error}")
        for error in side.errors:
            print(f"{side.name}: ERROR {error}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=10_000, help="users and sessions per side")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per query")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--reference-url", default="http://127.0.0.1:8091")
    parser.add_argument("--reference-db", default="ref_backend")
    parser.add_argument("--startup-timeout", type=float, default=120.0)
    parser.add_argument("--skip-ours", action="store_true")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--manager-cli", type=Path, default=REPO / ".venv" / "bin" / "backend.ai")
    parser.add_argument(
        "--keypairs-fixture", type=Path, default=REPO / "sample-configs" / "example-keypairs.json"
    )
    args = parser.parse_args(argv)
    if args.rows < 1 or args.requests < 1 or args.concurrency < 1:
        parser.error("--rows, --requests and --concurrency must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_both_sides(
        args, SideResult("ours"), SideResult("reference"), bench_ours, bench_reference, print_report
    )


if __name__ == "__main__":
    sys.exit(main())
