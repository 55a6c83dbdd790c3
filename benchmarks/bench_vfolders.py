#!/usr/bin/env python3
"""Virtual folder benchmark: folder lists with 10,000 folders, and upload/download throughput of a
1 GiB file through the storage proxy, ours vs the reference Backend.AI manager (26.9.6).

For each side, ``--folders`` project folders of the default project are inserted with SQL; then
timed, signed like the client signs them:

* `vfolder_list` GraphQL pages (the CLI's `vfolder list`: limit 20, several offsets), and
* `GET /folders` (the SDK's `VFolder.list()`, every folder in one answer),

as p50/p99 latency and requests/s. Then one real folder is created through the API, a file of
``--size`` bytes is uploaded with TUS PATCH requests (16 MiB chunks) to the URL and token that
`request-upload` hands out, and downloaded back from the URL `request-download` hands out,
checking the bytes; throughput in MiB/s. The bytes go straight to each side's own storage proxy
(vfs backend), never through the manager, so the targets are: lists at least 5x faster,
throughput equal within noise.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_vfolders.py [--folders 10000] [--size 1g]
        [--requests 200] [--full-requests 20] [--concurrency 4] [--skip-ours] [--skip-reference]

The reference stack must already run (``../shared/reference/up.sh``: API :8091, its storage
proxy serving `local:volume1`). What the benchmark inserts there is deleted again at the end.
Our manager runs on a throw-away database and etcd namespace with its own storage proxy
(`tests/storage_proxy_harness.py`), removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from bench_admin import Timing, insert_sql, psql, rows_in_reference
from bench_foundation import REPO, OurManager, log, run_both_sides
from benchlib import signed_headers

sys.path.insert(0, str(REPO))
from tests.storage_proxy_harness import (
    prepare_storage_proxy,
    remove_volumes_config,
    write_volumes_config,
)

TARGET_LIST_RATIO = 5.0
HOST = "local:volume1"
PROJECT_ID = "2de2b969-1d04-48a6-af16-0bc8adb3c831"
SUPERADMIN_UUID = "f38dea23-50fa-42a0-b5ae-338f5f4693f4"
CHUNK = 16 * 2**20
PAGE_LIMIT = 20
GQL_PATH = "/admin/gql"
LIST_QUERY = """
query($limit:Int!, $offset:Int!, $group_id:UUID, $filter:String, $order:String) {
  vfolder_list(limit:$limit, offset:$offset, group_id:$group_id, filter:$filter,
               order:$order) {
    items { host name status created_at creator group permission ownership_type }
    total_count
  }
}"""


@dataclass
class SideResult:
    name: str
    page: Timing | None = None
    full_list: Timing | None = None
    listed: int | None = None
    total: int | None = None
    upload_mib_s: float | None = None
    download_mib_s: float | None = None
    errors: list[str] = field(default_factory=list)


# -----------------------------------------------------------------------------------------------
# SQL
# -----------------------------------------------------------------------------------------------


def seed(database: str, tag: str, folders: int) -> None:
    values = {
        "id": "gen_random_uuid()",
        "host": f"'{HOST}'",
        "domain_name": "'default'",
        "quota_scope_id": f"'project:{PROJECT_ID}'",
        "name": f"'bench-{tag}-' || g",
        "usage_mode": "'general'",
        "default_mount_permission": "'rw'",
        "max_files": "0",
        "num_files": "0",
        "cur_size": "0",
        "creator": "'admin@lablup.com'",
        "creator_id": f"'{SUPERADMIN_UUID}'::uuid",
        "ownership_type": "'group'",
        "group": f"'{PROJECT_ID}'::uuid",
        "cloneable": "false",
        "status": "'ready'",
        "created_at": "now() - (g || ' seconds')::interval",
    }
    psql(
        database,
        insert_sql(database, "vfolders", values, folders, "FROM generate_series(1, {n}) AS g"),
    )
    psql(database, "VACUUM ANALYZE vfolders")


def remove(database: str, tag: str) -> None:
    psql(database, f"DELETE FROM vfolders WHERE name LIKE 'bench-{tag}-%'")


# -----------------------------------------------------------------------------------------------
# HTTP
# -----------------------------------------------------------------------------------------------


class Api:
    def __init__(self, http: aiohttp.ClientSession, base_url: str) -> None:
        self.http = http
        self.base_url = base_url
        self.host = urlsplit(base_url).netloc

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = signed_headers(
            method=method, rel_url=path, host=self.host, content_type="application/json"
        )
        data = json.dumps(body).encode() if body is not None else None
        async with self.http.request(
            method, self.base_url + path, data=data, headers=headers
        ) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text) if text else None
            except ValueError:
                return resp.status, text


async def _timed(requests: int, concurrency: int, one: Any) -> Timing:
    timing = Timing()
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            index = remaining
            remaining -= 1
            started = time.perf_counter()
            try:
                status, body = await one(index)
            except aiohttp.ClientError as exc:
                timing.failures += 1
                timing.first_error = timing.first_error or str(exc)
                continue
            if status != 200 or (isinstance(body, dict) and body.get("errors")):
                timing.failures += 1
                timing.first_error = timing.first_error or f"HTTP {status}: {str(body)[:200]}"
                continue
            timing.latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    timing.elapsed = time.perf_counter() - started
    return timing


async def time_lists(
    base_url: str, folders: int, requests: int, full_requests: int, concurrency: int
) -> tuple[Timing, Timing, int, int]:
    offsets = [0, folders // 4, folders // 2, max(0, folders - PAGE_LIMIT)]
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        api = Api(http, base_url)

        async def page(index: int) -> tuple[int, Any]:
            variables = {"limit": PAGE_LIMIT, "offset": offsets[index % len(offsets)]}
            return await api.call("POST", GQL_PATH, {"query": LIST_QUERY, "variables": variables})

        async def full(index: int) -> tuple[int, Any]:
            return await api.call("GET", "/folders", {"all": False})

        status, body = await full(0)
        if status != 200 or not isinstance(body, list):
            raise RuntimeError(f"GET /folders answered HTTP {status}: {str(body)[:300]}")
        listed = len(body)
        status, body = await page(0)
        if status != 200 or body.get("errors"):
            raise RuntimeError(f"vfolder_list answered HTTP {status}: {str(body)[:300]}")
        total = body["data"]["vfolder_list"]["total_count"]
        page_timing = await _timed(requests, concurrency, page)
        full_timing = await _timed(full_requests, concurrency, full)
    return page_timing, full_timing, listed, total


async def transfer(
    base_url: str, name: str, source: Path, size: int, workdir: Path
) -> tuple[float, float]:
    """Create folder `name`, upload `source` (`size` bytes) into it and download it back;
    MiB/s each way."""
    timeout = aiohttp.ClientTimeout(total=None, sock_read=300)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        api = Api(http, base_url)
        status, body = await api.call(
            "POST",
            "/folders",
            {
                "name": name,
                "host": HOST,
                "group": PROJECT_ID,
                "usage_mode": "general",
                "permission": "rw",
                "cloneable": False,
                "unmanaged_path": None,
            },
        )
        if status not in (200, 201):
            raise RuntimeError(f"POST /folders answered HTTP {status}: {str(body)[:300]}")
        folder_id = body["id"]
        ref = folder_id.replace("-", "")
        try:
            status, ticket = await api.call(
                "POST", f"/folders/{ref}/request-upload", {"path": source.name, "size": size}
            )
            if status != 200:
                raise RuntimeError(f"request-upload answered HTTP {status}: {ticket}")
            started = time.perf_counter()
            offset = 0
            with source.open("rb") as f:
                while offset < size:
                    chunk = f.read(CHUNK)
                    async with http.patch(
                        ticket["url"],
                        params={"token": ticket["token"]},
                        data=chunk,
                        headers={
                            "Tus-Resumable": "1.0.0",
                            "Upload-Offset": str(offset),
                            "Content-Type": "application/offset+octet-stream",
                        },
                        ssl=False,
                    ) as resp:
                        if resp.status != 204:
                            raise RuntimeError(
                                f"TUS PATCH answered {resp.status}: {await resp.text()}"
                            )
                        offset = int(resp.headers["Upload-Offset"])
            upload = size / 2**20 / (time.perf_counter() - started)

            status, ticket = await api.call(
                "POST", f"/folders/{ref}/request-download", {"path": source.name}
            )
            if status != 200:
                raise RuntimeError(f"request-download answered HTTP {status}: {ticket}")
            target = workdir / f"{name}.down"
            digest = hashlib.sha256()
            started = time.perf_counter()
            async with http.get(
                ticket["url"], params={"token": ticket["token"]}, ssl=False
            ) as resp:
                if resp.status != 200:
                    raise RuntimeError(f"download answered {resp.status}: {await resp.text()}")
                with target.open("wb") as f:
                    async for chunk in resp.content.iter_chunked(CHUNK):
                        f.write(chunk)
                        digest.update(chunk)
            download = size / 2**20 / (time.perf_counter() - started)
            target.unlink()
            if digest.hexdigest() != _sha256(source):
                raise RuntimeError("the downloaded file differs from the uploaded one")
        finally:
            await api.call("DELETE", "/folders", {"id": ref})
            await api.call("POST", "/folders/delete-from-trash-bin", {"id": ref})
    return upload, download


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def make_payload(workdir: Path, size: int) -> Path:
    path = workdir / "payload.bin"
    block = os.urandom(CHUNK)
    with path.open("wb") as f:
        written = 0
        while written < size:
            part = block[: min(CHUNK, size - written)]
            f.write(part)
            written += len(part)
    return path


# -----------------------------------------------------------------------------------------------
# the two sides
# -----------------------------------------------------------------------------------------------


def _measure(result: SideResult, args: argparse.Namespace, base_url: str, payload: Path) -> None:
    log(f"{result.name}: timing vfolder_list pages and GET /folders")
    result.page, result.full_list, result.listed, result.total = asyncio.run(
        time_lists(base_url, args.folders, args.requests, args.full_requests, args.concurrency)
    )
    log(f"{result.name}: upload and download of {payload.stat().st_size} bytes")
    name = f"bench-xfer-{secrets.token_hex(3)}"
    result.upload_mib_s, result.download_mib_s = asyncio.run(
        transfer(base_url, name, payload, payload.stat().st_size, payload.parent)
    )


def bench_ours(args: argparse.Namespace, payload: Path) -> SideResult:
    result = SideResult("ours")
    tag = secrets.token_hex(3)
    with tempfile.TemporaryDirectory(prefix="bench-vfolders-") as tmp:
        manager = OurManager(args.manager_cli, args.keypairs_fixture, Path(tmp))
        etcd_addr = f"{manager.etcd_host}:{manager.etcd_port}"
        proxy = None
        try:
            manager.prepare()
            proxy = prepare_storage_proxy(
                workdir=Path(tmp) / "proxy", etcd_addr=etcd_addr, namespace=manager.namespace
            )
            proxy.start()
            asyncio.run(proxy.wait_until_answers())
            asyncio.run(write_volumes_config(etcd_addr, manager.namespace, proxy))
            psql(
                manager.db_name,
                "UPDATE domains SET allowed_vfolder_hosts = jsonb_build_object("
                f"'{HOST}', jsonb_build_array('create-vfolder', 'modify-vfolder', "
                "'delete-vfolder', 'mount-in-session', 'upload-file', 'download-file', "
                "'invite-others', 'set-user-specific-permission'))",
            )
            log(f"ours: inserting {args.folders} folders")
            seed(manager.db_name, tag, args.folders)
            log("ours: start-server")
            manager.start(args.startup_timeout)
            _measure(result, args, manager.base_url, payload)
            manager.stop()
        except Exception as exc:  # report and carry on with the other side
            result.errors.append(f"{type(exc).__name__}: {exc}")
            log(f"ours: FAILED: {exc}")
        finally:
            if proxy is not None:
                proxy.stop()
                asyncio.run(remove_volumes_config(etcd_addr, manager.namespace))
            manager.cleanup()
    return result


def bench_reference(args: argparse.Namespace, payload: Path) -> SideResult:
    result = SideResult("reference")
    tag = secrets.token_hex(3)
    db = args.reference_db
    try:
        log(f"reference: inserting {args.folders} folders into {db}")
        with rows_in_reference(tag, lambda: seed(db, tag, args.folders), lambda: remove(db, tag)):
            _measure(result, args, args.reference_url, payload)
    except Exception as exc:
        result.errors.append(f"{type(exc).__name__}: {exc}")
        log(f"reference: FAILED: {exc}")
    return result


# -----------------------------------------------------------------------------------------------
# report
# -----------------------------------------------------------------------------------------------


def _fmt(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:,.2f}{unit}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def print_report(args: argparse.Namespace, ours: SideResult, ref: SideResult) -> None:
    print()
    print(
        f"vfolder benchmark: {args.folders} folders per side, {args.requests} list requests,"
        f" concurrency {args.concurrency}, transfer {args.size} bytes"
    )
    rows: list[tuple[str, ...]] = []
    for label, o, r in (
        ("vfolder_list page", ours.page, ref.page),
        ("GET /folders (all)", ours.full_list, ref.full_list),
    ):
        o_rps = o.rps if o else None
        r_rps = r.rps if r else None
        verdict = "-"
        if label.startswith("GET") and ours.listed != ref.listed:
            # the reference's REST list leaves out folders its RBAC tables do not link to the
            # caller (all the inserted ones): the two answers are not the same work
            verdict = "n/a (lists differ)"
        elif o_rps is not None and r_rps:
            ok = o_rps / r_rps >= TARGET_LIST_RATIO
            verdict = f">= {TARGET_LIST_RATIO:g} {'PASS' if ok else 'MISS'}"
        rows.append((label, "req/s", _fmt(o_rps), _fmt(r_rps), _ratio(o_rps, r_rps), verdict))
        for q_label, q in (("p50", 0.5), ("p99", 0.99)):
            o_v = o.percentile(q) if o else None
            r_v = r.percentile(q) if r else None
            rows.append(
                ("", q_label, _fmt(o_v, " ms"), _fmt(r_v, " ms"), _ratio(r_v, o_v), "ref/ours")
            )
        rows.append(
            ("", "failed", str(o.failures) if o else "-", str(r.failures) if r else "-", "", "")
        )
    rows.append(("vfolder_list", "total_count", str(ours.total), str(ref.total), "", ""))
    rows.append(("GET /folders", "folders listed", str(ours.listed), str(ref.listed), "", ""))
    for label, o_v, r_v in (
        ("upload (TUS)", ours.upload_mib_s, ref.upload_mib_s),
        ("download", ours.download_mib_s, ref.download_mib_s),
    ):
        rows.append((label, "MiB/s", _fmt(o_v), _fmt(r_v), _ratio(o_v, r_v), "~1 (noise)"))
    header = ("what", "metric", "ours", "reference", "ours/ref", "target")
    widths = [max(len(row[i]) for row in [*rows, header]) for i in range(6)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    for side in (ours, ref):
        for error in side.errors:
            print(f"{side.name}: ERROR {error}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folders", type=int, default=10_000)
    parser.add_argument("--size", default="1g", help="transfer size (e.g. 1g, 256m)")
    parser.add_argument("--requests", type=int, default=200, help="timed vfolder_list pages")
    parser.add_argument(
        "--full-requests", type=int, default=20, help="timed GET /folders (every folder)"
    )
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--skip-ours", action="store_true")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--reference-url", default="http://127.0.0.1:8091")
    parser.add_argument("--reference-db", default="ref_backend")
    parser.add_argument("--manager-cli", type=Path, default=REPO / ".venv" / "bin" / "backend.ai")
    parser.add_argument(
        "--keypairs-fixture", type=Path, default=REPO / "sample-configs" / "example-keypairs.json"
    )
    parser.add_argument("--startup-timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    units = {"k": 2**10, "m": 2**20, "g": 2**30}
    text = args.size.strip().lower()
    args.size = int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)
    if args.folders < PAGE_LIMIT or args.requests < 1 or args.concurrency < 1 or args.size < 1:
        parser.error("--folders must be >= 20; --requests, --concurrency and --size positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-vfolders-payload-") as tmp:
        payload = make_payload(Path(tmp), args.size)
        return run_both_sides(
            args,
            SideResult("ours"),
            SideResult("reference"),
            lambda a: bench_ours(a, payload),
            lambda a: bench_reference(a, payload),
            print_report,
        )


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
