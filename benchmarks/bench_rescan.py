"""Rescan of a registry with 500 tags: our manager against the reference, in the same run.

A private registry (Debian's docker-registry) on a free port gets 500 tags of `bench/python`
(each its own config blob with Backend.AI labels) from scripts/push-test-images.py. Each side
registers it (ours: `backend.ai mgr registry add`, the reference: a `container_registries` row in
`ref_backend`) and rescans it with its own CLI, `mgr image rescan REGISTRY` (ours as
`python -m ai.backend.manager.cli`, the reference as `backend.ai mgr` of its manager-only venv),
timed from the outside (process start included on both sides): a first rescan that imports the 500
images, then a second that finds them all known. What the benchmark inserts into the reference's
database is deleted at the end; our side uses a throw-away database.

    .venv/bin/python benchmarks/bench_rescan.py [--tags 500] [--skip-reference] [--skip-ours]

Target: ours at least 3x faster than the reference (manifests read concurrently).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.registry_harness import load_pusher, running_registry  # noqa: E402

REF_ROOT = Path(os.environ.get("REF_ROOT", "/var/tmp/backendai-reference"))
REF_CLI = REF_ROOT / "venv-mgr" / "bin" / "backend.ai"
# `python -m ai.backend.manager.cli` is `backend.ai mgr` without the official client's commands,
# which the dev venv's `backend.ai` also loads (a manager-only install, like the reference's
# venv-mgr, does not): 1-2 s of start-up that is not the rescan.
OUR_CLI = [str(REPO / ".venv" / "bin" / "python"), "-m", "ai.backend.manager.cli"]
PG = ["psql", "-qtA", "-h", "127.0.0.1", "-U", "postgres"]
TARGET = 3.0


def log(message: str) -> None:
    print(f"[bench_rescan] {message}", file=sys.stderr, flush=True)


def psql(db: str, sql: str) -> str:
    return subprocess.run(
        [*PG, db, "-c", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stdout[-500:]} {done.stderr[-1500:]}")
    return elapsed


def our_config(db: str, workdir: Path) -> Path:
    text = (REPO / "configs" / "manager" / "halfstack.toml").read_text()
    text = re.sub(r"port = 8101", "port = 5432", text)
    text = re.sub(r'name = "backend"', f'name = "{db}"', text)
    path = workdir / "manager.toml"
    path.write_text(text)
    return path


def run_ours(name: str, url: str, runs: int, workdir: Path) -> list[float]:
    db = f"bench_rescan_{secrets.token_hex(4)}"
    psql("postgres", f"CREATE DATABASE {db}")
    try:
        config = our_config(db, workdir)
        base = [*OUR_CLI, "-f", str(config)]
        subprocess.run([*base, "schema", "oneshot"], check=True, capture_output=True)
        subprocess.run(
            [*base, "registry", "add", name, url, "--project", "bench"],
            check=True,
            capture_output=True,
        )
        times = [timed([*base, "image", "rescan", name, "-q"], workdir) for _ in range(runs)]
        count = psql(db, f"SELECT count(*) FROM images WHERE registry = '{name}'")
        log(f"ours: {count} images stored")
        return times
    finally:
        psql("postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def run_reference(name: str, url: str, runs: int) -> list[float]:
    if not REF_CLI.exists():
        raise RuntimeError(f"{REF_CLI} is missing: run ../shared/reference/up.sh")
    env = dict(os.environ)
    # The reference's start-up asserts a Docker host; it never connects to it (see its README).
    env["DOCKER_HOST"] = f"unix://{REF_ROOT}/run/nodocker.sock"
    psql(
        "ref_backend",
        "INSERT INTO container_registries (url, registry_name, type, project, is_global) "
        f"VALUES ('{url}', '{name}', 'docker', 'bench', true)",
    )
    # 26.9 stores a rescan only for a registry with its RBAC virtual entity (the API creates
    # one with the row; a bare INSERT does not).
    psql(
        "ref_backend",
        "INSERT INTO virtual_entities (entity_type, entity_id) SELECT 'container_registry', id "
        f"FROM container_registries WHERE registry_name = '{name}'",
    )
    try:
        cmd = [str(REF_CLI), "mgr", "-f", "manager.toml", "image", "rescan", name]
        times = [timed(cmd, REF_ROOT / "mgr", env) for _ in range(runs)]
        count = psql("ref_backend", f"SELECT count(*) FROM images WHERE registry = '{name}'")
        log(f"reference: {count} images stored")
        return times
    finally:
        psql(
            "ref_backend",
            "DELETE FROM virtual_entities WHERE entity_id IN "
            f"(SELECT id FROM images WHERE registry = '{name}') OR entity_id IN "
            f"(SELECT id FROM container_registries WHERE registry_name = '{name}')",
        )
        psql(
            "ref_backend",
            f"DELETE FROM image_aliases WHERE image IN "
            f"(SELECT id FROM images WHERE registry = '{name}')",
        )
        psql("ref_backend", f"DELETE FROM images WHERE registry = '{name}'")
        psql("ref_backend", f"DELETE FROM container_registries WHERE registry_name = '{name}'")


async def main(args: argparse.Namespace) -> None:
    pusher = load_pusher()
    with tempfile.TemporaryDirectory(prefix="bench-rescan-") as tmp:
        workdir = Path(tmp)
        async with running_registry(workdir / "registry") as registry:
            started = time.perf_counter()
            await pusher.push_images(registry.url, pusher.bulk_specs(args.tags, "bench/python"))
            log(f"pushed {args.tags} tags in {time.perf_counter() - started:.1f} s")
            ours = ref = None
            if not args.skip_ours:
                ours = await asyncio.to_thread(
                    run_ours, registry.name, registry.url, args.runs, workdir
                )
            if not args.skip_reference:
                try:
                    ref = await asyncio.to_thread(
                        run_reference, registry.name, registry.url, args.runs
                    )
                except Exception as e:  # report why and carry on
                    log(f"reference: cannot rescan: {e}")
    print(f"\nrescan of {args.tags} tags, CLI wall time (process start included)")
    print(f"{'run':<28}{'ours':>10}{'reference':>12}{'ref/ours':>10}")
    labels = ["first (imports all)", "again (all known)"] + [
        f"run {i + 1}" for i in range(2, args.runs)
    ]
    for i in range(args.runs):
        o = ours[i] if ours else None
        r = ref[i] if ref else None
        ratio = f"{r / o:.1f}x" if o and r else "-"
        print(
            f"{labels[i]:<28}{(f'{o:.2f} s' if o else '-'):>10}"
            f"{(f'{r:.2f} s' if r else '-'):>12}{ratio:>10}"
        )
    if ours and ref:
        verdict = "PASS" if ref[0] / ours[0] >= TARGET else "MISS"
        print(f"target: >= {TARGET:.0f}x on the first rescan: {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tags", type=int, default=500)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--skip-ours", action="store_true")
    parser.add_argument("--skip-reference", action="store_true")
    try:
        asyncio.run(main(parser.parse_args()))
    except KeyboardInterrupt:
        sys.exit(130)
