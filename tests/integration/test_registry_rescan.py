"""Registries and rescans against a real registry (Debian's docker-registry on a free port),
with images pushed through the v2 API by scripts/push-test-images.py.

The story: register the registry (credentials never echoed), rescan it as a background task
(progress events, the broken image named in the errors), alias an image, run a session by the
alias on a dummy agent (after the domain allows the registry), forget the image, rescan again
(it comes back). A registry that is down, and one that answers garbage, leave the catalogue as
it was.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa
from aiohttp import web

from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.image import container_registries, images
from tests.agent_harness import DummyAgent, agent_venv_available, start_dummy_agents, stop_all
from tests.conftest import ETCD_ADDR, free_port
from tests.integration.conftest import RunningManager
from tests.integration.sse import SSEMessage, read_sse
from tests.integration.test_admin_catalog import gql, gql_data
from tests.integration.test_sessions import call, wait_agents_alive, wait_status
from tests.registry_harness import PrivateRegistry, load_pusher, running_registry
from tests.signing import signed_headers

pytestmark = pytest.mark.integration

CREATE_NODE = """
mutation($url: String!, $type: ContainerRegistryTypeField!, $registry_name: String!,
         $username: String, $password: String) {
  create_container_registry_node(url: $url, type: $type, registry_name: $registry_name,
                                 username: $username, password: $password) {
    container_registry { row_id registry_name url type username password ssl_verify is_global }
  }
}"""
RESCAN = """
mutation($registry: String, $project: String) {
  rescan_images(registry: $registry, project: $project) { ok msg task_id }
}"""
IMAGES = """
query { images(is_operation: false) {
  name registry architecture tag digest size_bytes aliases status
  labels { key value } resource_limits { key min max } supported_accelerators
} }"""


@pytest_asyncio.fixture(scope="module")
async def registry(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[PrivateRegistry]:
    pusher = load_pusher()
    async with running_registry(Path(tmp_path_factory.mktemp("registry"))) as reg:
        await pusher.push_images(reg.url, pusher.demo_specs() + pusher.broken_specs())
        yield reg


async def _follow(
    http: aiohttp.ClientSession, manager: RunningManager, task_id: str
) -> list[SSEMessage]:
    rel = f"/events/background-task?task_id={task_id}"
    headers = signed_headers("GET", rel, host=manager.host)
    async with http.get(manager.base_url + rel, headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        return await read_sse(resp, timeout=60)


async def _rescan(
    http: aiohttp.ClientSession, manager: RunningManager, registry: str
) -> tuple[str, list[SSEMessage]]:
    data = await gql_data(http, manager, RESCAN, {"registry": registry, "project": None})
    result = data["rescan_images"]
    assert result["ok"], result
    return result["task_id"], await _follow(http, manager, result["task_id"])


def _final(messages: list[SSEMessage]) -> SSEMessage:
    finals = [m for m in messages if m.event.startswith("bgtask_") and m.event != "bgtask_updated"]
    assert finals, messages
    return finals[-1]


async def _image_rows(manager: RunningManager, registry: str) -> list[Any]:
    async with manager.root.db.connect() as conn:
        return list(
            (
                await conn.execute(
                    sa.select(images.c.name, images.c.architecture, images.c.status)
                    .where(images.c.registry == registry)
                    .order_by(images.c.name, images.c.architecture)
                )
            ).all()
        )


async def _allow_registry(manager: RunningManager, registry: str, allowed: bool) -> None:
    async with manager.root.db.begin() as conn:
        current = await conn.scalar(
            sa.select(domains.c.allowed_docker_registries).where(domains.c.name == "default")
        )
        names = [n for n in (current or []) if n != registry]
        if allowed:
            names.append(registry)
        await conn.execute(
            sa.update(domains)
            .where(domains.c.name == "default")
            .values(allowed_docker_registries=names)
        )


@pytest_asyncio.fixture(scope="module")
async def two_agents(
    manager: RunningManager,
    redis_port: int,
    etcd_namespace: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[list[DummyAgent]]:
    if not agent_venv_available():
        pytest.skip("no agent venv (make peers)")
    started = await start_dummy_agents(
        2,
        workdir=Path(tmp_path_factory.mktemp("rescan-agents")),
        etcd_addr=str(ETCD_ADDR),
        namespace=etcd_namespace,
        redis_port=redis_port,
        cpu=4,
        mem_bytes=8 * 2**30,
        heartbeat_interval=1.0,
    )
    try:
        await wait_agents_alive(manager, [a.id for a in started])
        yield started
    finally:
        await asyncio.to_thread(stop_all, started)


async def test_register_rescan_alias_run_forget_rescan(
    manager: RunningManager,
    http: aiohttp.ClientSession,
    registry: PrivateRegistry,
    two_agents: list[DummyAgent],
) -> None:
    # --- register: the password is stored, never shown back -------------------------------
    data = await gql_data(
        http,
        manager,
        CREATE_NODE,
        {
            "url": registry.url,
            "type": "docker",
            "registry_name": registry.name,
            "username": "puller",
            "password": "s3cret-pw",
        },
    )
    node = data["create_container_registry_node"]["container_registry"]
    assert node["registry_name"] == registry.name and node["type"] == "docker"
    assert node["username"] == "puller" and node["password"] == "*****"
    listed = await gql(
        http, manager, "query { container_registries { hostname config { url password } } }"
    )
    assert "s3cret-pw" not in str(listed)
    async with manager.root.db.connect() as conn:
        stored = await conn.scalar(
            sa.select(container_registries.c.password).where(
                container_registries.c.registry_name == registry.name
            )
        )
    assert stored == "s3cret-pw"  # the agents need it to pull

    # --- rescan as a background task ------------------------------------------------------
    _, messages = await _rescan(http, manager, registry.name)
    updates = [m for m in messages if m.event == "bgtask_updated"]
    assert updates and updates[-1].data["current_progress"] == updates[-1].data["total_progress"]
    assert updates[-1].data["total_progress"] == 4  # 4 tags: python, lua, broken, plain
    final = _final(messages)
    # a partial success reaches clients as `bgtask_done` with its errors (as the client expects)
    assert final.event in ("bgtask_done", "bgtask_partial_success"), final
    assert len(final.data["errors"]) == 1 and "testing/broken:1.0" in final.data["errors"][0]
    assert (
        "ai.backend.resource.min.mem" in final.data["errors"][0] or "mem" in final.data["errors"][0]
    )

    rows = await _image_rows(manager, registry.name)
    python = f"{registry.name}/testing/python:3.11-ubuntu22.04"
    lua = f"{registry.name}/testing/lua:5.4-alpine3.18"
    assert [(r.name, r.architecture, r.status) for r in rows] == [
        (lua, "x86_64", "ALIVE"),
        (python, "aarch64", "ALIVE"),
        (python, "x86_64", "ALIVE"),
    ]
    listing = (await gql_data(http, manager, IMAGES))["images"]
    entry = next(
        i
        for i in listing
        if i["registry"] == registry.name
        and i["name"] == "testing/python"
        and i["architecture"] == "x86_64"
    )
    assert entry["supported_accelerators"] == ["cuda"]
    assert {"key": "mem", "min": "268435456", "max": "Infinity"} in entry["resource_limits"]
    assert entry["digest"].startswith("sha256:") and entry["size_bytes"] > 0
    assert {
        "key": "ai.backend.service-ports",
        "value": "jupyter:http:8080,jupyterlab:http:8090",
    } in (entry["labels"])

    # --- alias, and a session by the alias (once the domain allows the registry) ---------
    alias = f"regpy-{uuid.uuid4().hex[:6]}"
    result = await gql_data(
        http,
        manager,
        "mutation($alias: String!, $target: String!) {"
        " alias_image(alias: $alias, target: $target) { ok msg } }",
        {"alias": alias, "target": python},
    )
    assert result["alias_image"]["ok"], result
    session_body = {
        "name": f"rescan-{uuid.uuid4().hex[:6]}",
        "image": alias,
        "type": "interactive",
        "group": "default",
        "domain": "default",
        "config": {"resources": {"cpu": "1", "mem": "1g"}},
    }
    await _allow_registry(manager, registry.name, False)
    status, body = await call(http, manager, "POST", "/session", session_body)
    assert status == 403, body
    assert registry.name in body["msg"] and "allowed" in body["msg"]
    await _allow_registry(manager, registry.name, True)
    try:
        status, body = await call(http, manager, "POST", "/session", session_body)
        assert status == 201, body
        info = await wait_status(http, manager, session_body["name"], {"RUNNING"})
        assert info["image"] == python or python in str(info)
        await call(http, manager, "DELETE", f"/session/{session_body['name']}")
    finally:
        await _allow_registry(manager, registry.name, False)

    # --- forget, then rescan again: it is back --------------------------------------------
    result = await gql_data(
        http,
        manager,
        "mutation($reference: String!, $architecture: String!) {"
        " forget_image(reference: $reference, architecture: $architecture) { ok msg } }",
        {"reference": python, "architecture": "x86_64"},
    )
    assert result["forget_image"]["ok"], result
    rows = await _image_rows(manager, registry.name)
    assert (python, "x86_64", "DELETED") in [(r.name, r.architecture, r.status) for r in rows]
    _, messages = await _rescan(http, manager, registry.name)
    assert "1 restored" in _final(messages).data["message"]
    rows = await _image_rows(manager, registry.name)
    assert all(r.status == "ALIVE" for r in rows), rows


async def test_a_registry_that_is_down_changes_nothing(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    port = free_port()
    name = f"127.0.0.1:{port}"
    await gql_data(
        http,
        manager,
        CREATE_NODE,
        {"url": f"http://{name}", "type": "docker", "registry_name": name},
    )
    async with manager.root.db.connect() as conn:
        before = await conn.scalar(sa.select(sa.func.count()).select_from(images))
    _, messages = await _rescan(http, manager, name)
    final = _final(messages)
    assert final.event == "bgtask_failed", final
    assert "Cannot reach the registry" in final.data["message"] and name in final.data["message"]
    async with manager.root.db.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(images)) == before


async def test_a_registry_answering_garbage_changes_nothing(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    async def base(request: web.Request) -> web.Response:
        return web.json_response({})

    async def catalog(request: web.Request) -> web.Response:
        return web.json_response({"repositories": ["junk/app"]})

    async def tags(request: web.Request) -> web.Response:
        return web.json_response({"name": "junk/app", "tags": ["1", "2"]})

    async def manifest(request: web.Request) -> web.Response:
        return web.Response(text="<html>definitely not a manifest</html>")

    app = web.Application()
    app.router.add_get("/v2/", base)
    app.router.add_get("/v2/_catalog", catalog)
    app.router.add_get("/v2/junk/app/tags/list", tags)
    app.router.add_get("/v2/junk/app/manifests/{ref}", manifest)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    name = f"127.0.0.1:{port}"
    try:
        await gql_data(
            http,
            manager,
            CREATE_NODE,
            {"url": f"http://{name}", "type": "docker", "registry_name": name},
        )
        async with manager.root.db.connect() as conn:
            before = await conn.scalar(sa.select(sa.func.count()).select_from(images))
        _, messages = await _rescan(http, manager, name)
        final = _final(messages)
        assert final.event == "bgtask_failed", final
        assert "not JSON" in final.data["message"], final
        async with manager.root.db.connect() as conn:
            assert await conn.scalar(sa.select(sa.func.count()).select_from(images)) == before
    finally:
        await runner.cleanup()


async def test_rescan_of_an_unknown_registry_is_refused_at_once(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    data = await gql_data(http, manager, RESCAN, {"registry": "nowhere.example:1", "project": None})
    assert data["rescan_images"]["ok"] is False
    assert "No container registry named" in data["rescan_images"]["msg"]


async def test_placement_prefers_the_agent_that_has_the_image(
    manager: RunningManager,
    http: aiohttp.ClientSession,
    registry: PrivateRegistry,
    two_agents: list[DummyAgent],
    redis_port: int,
) -> None:
    """An agent reports its images in Redis (`installed_image:<id>`, image DB); the manager
    copies that on the next heartbeat, and of two equal agents the one with the image wins
    (without it, ties go to the smaller id)."""
    import json as _json

    import redis.asyncio as aioredis

    from ai.backend.manager.models.agent import agent_installed_images

    lua = f"{registry.name}/testing/lua:5.4-alpine3.18"
    preferred = max(a.id for a in two_agents)
    client = aioredis.Redis(host="127.0.0.1", port=redis_port, db=3)
    key = f"installed_image:{preferred}"
    await client.set(
        key, _json.dumps([{"canonical": lua, "digest": "x", "architecture": "x86_64"}])
    )
    await _allow_registry(manager, registry.name, True)
    try:
        async with asyncio.timeout(30):
            while True:
                async with manager.root.db.connect() as conn:
                    found = await conn.scalar(
                        sa.select(sa.func.count())
                        .select_from(
                            agent_installed_images.join(
                                images, images.c.id == agent_installed_images.c.image_id
                            )
                        )
                        .where(agent_installed_images.c.agent_id == preferred, images.c.name == lua)
                    )
                if found:
                    break
                await asyncio.sleep(0.2)
        name = f"placed-{uuid.uuid4().hex[:6]}"
        status, body = await call(
            http,
            manager,
            "POST",
            "/session",
            {
                "name": name,
                "image": lua,
                "type": "interactive",
                "group": "default",
                "domain": "default",
                "config": {"resources": {"cpu": "1", "mem": "1g"}},
            },
        )
        assert status == 201, body
        info = await wait_status(http, manager, name, {"RUNNING"})
        assert info["kernels"][0]["agent"] == preferred, info
        listing = await gql_data(
            http,
            manager,
            "query { images(is_installed: true) { name registry installed installed_agents } }",
        )
        lua_entry = next(i for i in listing["images"] if i["name"] == "testing/lua")
        assert lua_entry["installed"] is True and lua_entry["installed_agents"] == [preferred]
        await call(http, manager, "DELETE", f"/session/{name}")
    finally:
        await client.delete(key)
        await client.aclose()
        await _allow_registry(manager, registry.name, False)


async def test_rest_container_registries_never_echo_passwords(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    name = f"rest-{uuid.uuid4().hex[:6]}.example:5000"
    status, created = await call(
        http,
        manager,
        "POST",
        "/container-registries/",
        {"url": f"https://{name}", "registry_name": name, "type": "harbor2", "project": "ml"},
    )
    assert status == 201, created
    assert created["password"] is None and created["project"] == "ml"
    status, patched = await call(
        http,
        manager,
        "PATCH",
        f"/container-registries/{created['id']}",
        {"username": "robot", "password": "hunter2", "ssl_verify": False},
    )
    assert status == 200, patched
    assert patched["username"] == "robot" and patched["password"] == "*****"
    assert patched["ssl_verify"] is False
    status, listed = await call(http, manager, "GET", "/container-registries/")
    assert status == 200 and "hunter2" not in str(listed)
    assert any(item["id"] == created["id"] for item in listed["items"])
    status, body = await call(
        http,
        manager,
        "POST",
        "/container-registries/",
        {"url": "ftp://x", "registry_name": name, "type": "docker"},
    )
    assert status == 400, body
    status, _ = await call(http, manager, "DELETE", f"/container-registries/{created['id']}")
    assert status == 204
    status, body = await call(http, manager, "DELETE", f"/container-registries/{created['id']}")
    assert status == 404, body


async def test_listings_follow_link_pagination_and_indexes_give_one_build_per_arch(
    registry: PrivateRegistry,
) -> None:
    """One repository or tag per page: the scan follows every `Link: rel=next`."""
    from ai.backend.manager.clients.container_registry import RegistryClientSettings
    from ai.backend.manager.data.image import RegistryRecord
    from ai.backend.manager.services.container_registry.scanner import RegistryScanner
    from ai.backend.manager.types import ContainerRegistryType

    record = RegistryRecord(
        id=uuid.uuid4(),
        name=registry.name,
        url=registry.url,
        type=ContainerRegistryType.DOCKER,
        project="testing",
        username=None,
        password=None,
        ssl_verify=None,
        is_global=True,
    )
    progress: list[tuple[int, int]] = []

    async def on_progress(done: int, total: int, message: str) -> None:
        progress.append((done, total))

    scanner = RegistryScanner(RegistryClientSettings(page_size=1, concurrency=2))
    report = await scanner.scan([record], on_progress)
    assert report.repositories == 4 and report.tags == 4
    assert sorted((i.image, i.architecture) for i in report.images) == [
        ("testing/lua", "x86_64"),
        ("testing/python", "aarch64"),
        ("testing/python", "x86_64"),
    ]
    assert report.not_kernel_images == 1 and len(report.warnings) == 1
    assert progress[0] == (0, 4) and progress[-1] == (4, 4)


async def test_modify_image_changes_limits_labels_and_accelerators(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    from ai.backend.manager.actions.image import AddImageAction
    from ai.backend.manager.repositories.image import ImageRepository
    from ai.backend.manager.services.image import ImageService

    canonical = f"cr.backend.ai/testing/mod{uuid.uuid4().hex[:6]}:1.0"
    service = ImageService(ImageRepository(manager.root.db))
    await service.add_image(
        AddImageAction(canonical=canonical, architecture="x86_64", min_slots={"cpu": "1"})
    )
    mutation = """
    mutation($target: String!, $architecture: String, $props: ModifyImageInput!) {
      modify_image(target: $target, architecture: $architecture, props: $props) { ok msg }
    }"""
    props = {
        "resource_limits": [{"key": "cpu", "min": "2", "max": "8"}, {"key": "mem", "min": "1g"}],
        "labels": [{"key": "ai.backend.kernelspec", "value": "1"}],
        "supported_accelerators": ["cuda", "rocm"],
    }
    data = await gql_data(
        http, manager, mutation, {"target": canonical, "architecture": "x86_64", "props": props}
    )
    assert data["modify_image"]["ok"], data
    image = (
        await gql_data(
            http,
            manager,
            "query($reference: String!, $architecture: String!) {"
            " image(reference: $reference, architecture: $architecture) {"
            " resource_limits { key min max } labels { key value } supported_accelerators } }",
            {"reference": canonical, "architecture": "x86_64"},
        )
    )["image"]
    assert {"key": "cpu", "min": "2", "max": "8"} in image["resource_limits"]
    assert {"key": "mem", "min": "1073741824", "max": "Infinity"} in image["resource_limits"]
    assert image["labels"] == [{"key": "ai.backend.kernelspec", "value": "1"}]
    assert image["supported_accelerators"] == ["cuda", "rocm"]
    refused = await gql_data(
        http, manager, mutation, {"target": canonical, "props": {"tag": "2.0"}}
    )
    assert refused["modify_image"]["ok"] is False
    assert "rescan" in refused["modify_image"]["msg"]
    bad = await gql_data(
        http,
        manager,
        mutation,
        {
            "target": canonical,
            "props": {"resource_limits": [{"key": "cpu", "min": "9", "max": "2"}]},
        },
    )
    assert bad["modify_image"]["ok"] is False and "below its minimum" in bad["modify_image"]["msg"]
    preload = await gql_data(
        http,
        manager,
        'mutation { preload_image(references: ["x"], target_agents: ["y"]) { ok msg } }',
    )
    assert preload["preload_image"]["ok"] is False
    assert "not supported" in preload["preload_image"]["msg"]


def test_operator_cli_registers_rescans_inspects_and_removes(
    manager_config: Any, registry: PrivateRegistry, tmp_path: Path
) -> None:
    """`backend.ai mgr registry ...` and `mgr image rescan/inspect/set-resource-limit`, on the
    same registry server under another name (`localhost:PORT`)."""
    import json
    import subprocess
    import sys

    from tests.conftest import write_manager_toml

    toml = write_manager_toml(manager_config, tmp_path / "manager.toml")
    cli = [str(Path(sys.executable).parent / "backend.ai"), "mgr", "-f", str(toml)]
    name = "localhost:" + registry.name.rsplit(":", 1)[1]

    def mgr(*args: str, stdin: str = "", ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*cli, *args], capture_output=True, text=True, timeout=120, input=stdin
        )
        if ok:
            assert done.returncode == 0, done.stdout + done.stderr
        return done

    added = mgr(
        "registry",
        "add",
        name,
        registry.url,
        "--project",
        "testing",
        "--username",
        "ops",
        "--password-stdin",
        stdin="very-secret\n",
    )
    assert f"Registered {name}" in added.stdout
    listed = mgr("registry", "list").stdout
    assert name in listed and "(set)" in listed and "very-secret" not in listed
    again = mgr("registry", "add", name, registry.url, "--project", "testing", ok=False)
    assert again.returncode == 1 and "already registered" in again.stderr

    rescanned = mgr("image", "rescan", name)
    assert f"Rescanned {name}: 3 images (3 new, 0 updated)" in rescanned.stdout
    assert "testing/broken:1.0: skipped" in rescanned.stdout
    assert "[4/4]" in rescanned.stderr  # progress lines

    info = json.loads(
        mgr("image", "inspect", f"{name}/testing/python:3.11-ubuntu22.04", "aarch64").stdout
    )
    assert info["architecture"] == "aarch64" and info["accelerators"] == ["cuda"]
    assert info["resource_limits"]["mem"] == {"min": "268435456", "max": None}
    limited = mgr("image", "set-resource-limit", f"{name}/testing/lua:5.4-alpine3.18", "cpu", "2:4")
    assert "cpu min 2, max 4" in limited.stdout

    removed = mgr("registry", "remove", name, "--yes")
    assert f"Deleted {name}" in removed.stdout
    gone = mgr("image", "inspect", f"{name}/testing/lua:5.4-alpine3.18", ok=False)
    assert gone.returncode == 1


@pytest_asyncio.fixture
async def harbor_like(registry: PrivateRegistry) -> AsyncIterator[str]:
    """A Harbor-like front of the real registry: the project API (`/api/v2.0/...`, basic
    auth) and the v2 API behind bearer tokens from `/service/token` (basic auth to get one)."""
    import base64

    good = "Basic " + base64.b64encode(b"robot:pw-123").decode()
    token = "tok-" + uuid.uuid4().hex
    upstream = aiohttp.ClientSession()
    port = free_port()
    realm = f"http://127.0.0.1:{port}/service/token"

    async def issue_token(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != good:
            return web.json_response({"errors": ["bad credentials"]}, status=401)
        return web.json_response({"token": token})

    async def repositories(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != good:
            return web.json_response({"errors": ["unauthorized"]}, status=401)
        project = request.match_info["project"]
        page, size = int(request.query["page"]), int(request.query["page_size"])
        async with upstream.get(registry.url + "/v2/_catalog") as resp:
            names = [r for r in (await resp.json())["repositories"] if r.startswith(project + "/")]
        chunk = names[(page - 1) * size : page * size]
        return web.json_response([{"name": n} for n in chunk])

    async def v2(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {token}":
            challenge = (
                f'Bearer realm="{realm}",service="harbor-registry",scope="repository:x:pull"'
            )
            return web.json_response(
                {"errors": []}, status=401, headers={"WWW-Authenticate": challenge}
            )
        headers = {"Accept": request.headers.get("Accept", "*/*")}
        async with upstream.get(registry.url + request.path_qs, headers=headers) as resp:
            body = await resp.read()
            keep = {
                k: v
                for k, v in resp.headers.items()
                if k in ("Content-Type", "Docker-Content-Digest", "Link")
            }
            return web.Response(body=body, status=resp.status, headers=keep)

    app = web.Application()
    app.router.add_get("/service/token", issue_token)
    app.router.add_get("/api/v2.0/projects/{project}/repositories", repositories)
    app.router.add_get("/v2/{tail:.*}", v2)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await runner.cleanup()
        await upstream.close()


async def test_harbor2_registry_with_credentials_and_bearer_tokens(
    manager: RunningManager, http: aiohttp.ClientSession, harbor_like: str
) -> None:
    from ai.backend.manager.actions.container_registry import (
        CreateRegistryAction,
        RescanImagesAction,
    )
    from ai.backend.manager.data.image import RegistryInput
    from ai.backend.manager.errors.container_registry import ContainerRegistryAuthFailed
    from ai.backend.manager.types import ContainerRegistryType

    processors = manager.root.processors.container_registry
    await processors.create.run(
        CreateRegistryAction(
            values=RegistryInput(
                registry_name=harbor_like,
                type=ContainerRegistryType.HARBOR2,
                url=f"http://{harbor_like}",
                project="testing",
                username="robot",
                password="pw-123",
            )
        )
    )
    outcome = await processors.rescan.run(RescanImagesAction(registry=harbor_like))
    assert outcome.created == 3 and len(outcome.warnings) == 1, outcome
    rows = await _image_rows(manager, harbor_like)
    assert len(rows) == 3 and all(r.status == "ALIVE" for r in rows)

    # The wrong password: a clear error, and nothing changes.
    from ai.backend.manager.actions.container_registry import ModifyRegistryAction

    await processors.modify.run(
        ModifyRegistryAction(hostname=harbor_like, values=RegistryInput(password="wrong"))
    )
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.update(images).where(images.c.registry == harbor_like).values(size_bytes=1)
        )
    with pytest.raises(ContainerRegistryAuthFailed, match="refused the stored credentials"):
        await processors.rescan.run(RescanImagesAction(registry=harbor_like))
    async with manager.root.db.connect() as conn:
        sizes = (
            (
                await conn.execute(
                    sa.select(images.c.size_bytes).where(images.c.registry == harbor_like)
                )
            )
            .scalars()
            .all()
        )
    assert set(sizes) == {1}
