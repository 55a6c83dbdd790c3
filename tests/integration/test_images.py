"""The image catalogue: resolving references, curating images, the CLI and the sample fixture."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.actions.image import (
    AddImageAction,
    AliasImageAction,
    DealiasImageAction,
    ForgetImageAction,
    ListImagesAction,
)
from ai.backend.manager.config.local import DatabaseConfig, ManagerLocalConfig
from ai.backend.manager.errors.base import InvalidAPIParameters, PermissionDenied
from ai.backend.manager.errors.image import (
    AmbiguousImage,
    ImageAliasNotFound,
    ImageArchitectureUnavailable,
    ImageNotFound,
    InvalidImageReference,
)
from ai.backend.manager.models.image import container_registries, image_aliases, images
from ai.backend.manager.repositories.db import create_engine
from ai.backend.manager.repositories.image import ImageRepository
from ai.backend.manager.repositories.schema import schema_oneshot
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.services.image import ImageService, image_resource_limits
from ai.backend.manager.types import ContainerRegistryType, ImageStatus
from tests.conftest import make_manager_config, write_manager_toml

pytestmark = pytest.mark.integration

SAMPLE_CONFIGS = Path(__file__).resolve().parents[2] / "sample-configs"
IMAGES_FIXTURE = SAMPLE_CONFIGS / "example-images.json"
MANAGER_CLI = str(Path(sys.executable).parent / "backend.ai")

PY39 = "cr.backend.ai/stable/python:3.9-ubuntu20.04"
PY311 = "cr.backend.ai/stable/python:3.11-ubuntu22.04"
FIXTURE = json.loads(IMAGES_FIXTURE.read_text())
FIXTURE_IDS = {
    (row["name"], row["architecture"]): uuid.UUID(row["id"]) for row in FIXTURE["images"]
}


@pytest.fixture
def service(db_engine: AsyncEngine) -> ImageService:
    return ImageService(ImageRepository(db_engine))


def _unique(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(4)}"


async def _add(
    service: ImageService, canonical: str, architecture: str = "x86_64", **kw: object
) -> uuid.UUID:
    added = await service.add_image(
        AddImageAction(canonical=canonical, architecture=architecture, **kw)  # type: ignore[arg-type]
    )
    return added.image.id


# --- resolution ----------------------------------------------------------------------------------


async def test_exact_canonical_resolves_per_architecture(service: ImageService) -> None:
    resolved = await service.resolve(PY39, "x86_64")
    assert resolved.id == FIXTURE_IDS[(PY39, "x86_64")]
    assert resolved.canonical == PY39
    assert (resolved.registry_name, resolved.project, resolved.name, resolved.tag) == (
        "cr.backend.ai",
        "stable",
        "python",
        "3.9-ubuntu20.04",
    )
    assert resolved.registry.url == "https://cr.backend.ai"
    assert resolved.registry.type is ContainerRegistryType.HARBOR2
    assert resolved.digest.startswith("sha256:") and len(resolved.digest) == 71
    assert resolved.labels["ai.backend.runtime-type"] == "python"
    assert resolved.labels["ai.backend.service-ports"] == "ipython:pty:3000,jupyter:http:8081"
    assert resolved.resources["mem"] == {"min": "268435456", "max": None}
    assert resolved.is_local is False
    assert {"python", "python:3.9"} <= set(resolved.aliases)

    arm = await service.resolve(PY39, "aarch64")
    assert arm.id == FIXTURE_IDS[(PY39, "aarch64")]
    assert (await service.resolve(PY39, "arm64")).id == arm.id

    config = resolved.image_config()
    assert config["canonical"] == PY39
    assert config["architecture"] == "x86_64"
    assert config["registry"] == {
        "name": "cr.backend.ai",
        "url": "https://cr.backend.ai",
        "username": None,
        "password": None,
    }
    assert resolved.platform_ref.to_dict() == {
        "name": "python",
        "project": "stable",
        "tag": "3.9-ubuntu20.04",
        "registry": "cr.backend.ai",
        "architecture": "x86_64",
        "is_local": False,
    }


async def test_aliases_resolve_to_their_image(service: ImageService) -> None:
    assert (await service.resolve("python", "x86_64")).id == FIXTURE_IDS[(PY39, "x86_64")]
    assert (await service.resolve("python:3.9", "x86_64")).canonical == PY39
    assert (await service.resolve("python:3.11", "x86_64")).id == FIXTURE_IDS[(PY311, "x86_64")]
    # An alias names an image; the requested architecture picks its build.
    assert (await service.resolve("python", "aarch64")).id == FIXTURE_IDS[(PY39, "aarch64")]


async def test_partial_references_match_a_name_suffix(service: ImageService) -> None:
    assert (await service.resolve("python:3.9-ubuntu20.04", "x86_64")).canonical == PY39
    resolved = await service.resolve("stable/python:3.11-ubuntu22.04", "aarch64")
    assert resolved.id == FIXTURE_IDS[(PY311, "aarch64")]
    # Only whole components match: `thon:...` is not a suffix of `python:...`.
    with pytest.raises(ImageNotFound):
        await service.resolve("thon:3.9-ubuntu20.04", "x86_64")


async def test_ambiguous_partial_reference_lists_the_candidates(service: ImageService) -> None:
    name = _unique("tool")
    first = f"cr.example.test/{_unique('team')}/{name}:1.0"
    second = f"cr.example.test/{_unique('team')}/{name}:1.0"
    await _add(service, first)
    await _add(service, second)
    with pytest.raises(AmbiguousImage) as info:
        await service.resolve(f"{name}:1.0", "x86_64")
    assert info.value.candidates == tuple(sorted([first, second]))
    assert info.value.status_code == 400
    assert first in str(info.value) and second in str(info.value)
    # The full name is not ambiguous.
    assert (await service.resolve(first, "x86_64")).canonical == first


async def test_other_architecture_is_named_in_the_error(service: ImageService) -> None:
    for reference in (PY39, "python", "python:3.9-ubuntu20.04"):
        with pytest.raises(ImageArchitectureUnavailable) as info:
            await service.resolve(reference, "ppc64le")
        assert info.value.available == ("aarch64", "x86_64")
        assert info.value.status_code == 404
        assert info.value.error_type == "image-not-found"
        assert "aarch64, x86_64" in str(info.value)


async def test_forgotten_images_do_not_resolve(service: ImageService) -> None:
    canonical = f"cr.example.test/{_unique('team')}/gone:2.0"
    await _add(service, canonical, "x86_64")
    await _add(service, canonical, "aarch64")
    alias = _unique("gone-")
    await service.alias_image(
        AliasImageAction(alias=alias, target=canonical, architecture="x86_64")
    )

    result = await service.forget_image(
        ForgetImageAction(canonical=canonical, architecture="x86_64")
    )
    assert [(r.name, r.architecture, r.status) for r in result.forgotten] == [
        (canonical, "x86_64", ImageStatus.DELETED)
    ]
    # The other build is still there.
    assert (await service.resolve(canonical, "aarch64")).architecture == "aarch64"
    with pytest.raises(ImageArchitectureUnavailable) as info:
        await service.resolve(canonical, "x86_64")
    assert info.value.available == ("aarch64",)

    await service.forget_image(ForgetImageAction(canonical=canonical))
    with pytest.raises(ImageNotFound, match="forgotten"):
        await service.resolve(canonical, "aarch64")
    with pytest.raises(ImageNotFound, match="forgotten"):
        await service.resolve(alias, "x86_64")
    with pytest.raises(ImageNotFound):
        await service.resolve("gone:2.0", "x86_64")

    again = await service.forget_image(ForgetImageAction(canonical=canonical))
    assert again.forgotten == ()
    assert len(again.already_deleted) == 2

    listed = await service.list_images(ListImagesAction())
    assert canonical not in {r.name for r in listed}
    everything = await service.list_images(ListImagesAction(include_deleted=True))
    assert {r.status for r in everything if r.name == canonical} == {ImageStatus.DELETED}

    # Adding it again brings it back.
    await _add(service, canonical, "aarch64")
    assert (await service.resolve(canonical, "aarch64")).canonical == canonical


async def test_unknown_and_invalid_references(service: ImageService) -> None:
    with pytest.raises(ImageNotFound) as info:
        await service.resolve("no-such-image:1.0", "x86_64")
    assert info.value.status_code == 404
    assert info.value.problem()["type"].endswith("/image-not-found")
    with pytest.raises(InvalidImageReference):
        await service.resolve("https://cr.backend.ai/stable/python:3.9", "x86_64")
    with pytest.raises(InvalidImageReference):
        await service.resolve("", "x86_64")
    with pytest.raises(InvalidImageReference):
        await service.resolve("python", "x86 64")


async def test_resource_limits_of_the_sample_image(service: ImageService) -> None:
    resolved = await service.resolve("python", "x86_64")
    assert image_resource_limits(resolved) == {
        "cpu": (Decimal(1), None),
        "mem": (Decimal(268435456), None),
    }


# --- curation ------------------------------------------------------------------------------------


async def test_add_is_idempotent_and_creates_the_registry(
    service: ImageService, db_engine: AsyncEngine
) -> None:
    registry = f"{_unique('reg')}.example.test"
    canonical = f"{registry}/lab/tool:1.0"
    first = await service.add_image(
        AddImageAction(
            canonical=canonical,
            architecture="amd64",
            labels={"ai.backend.runtime-type": "python"},
            min_slots={"cpu": "1", "mem": "256m"},
            max_slots={"cpu": "4"},
            size_bytes=1024,
        )
    )
    assert first.image_created and first.registry_created
    assert first.image.architecture == "x86_64"
    assert first.image.image == "lab/tool"
    assert first.image.project == "lab"
    assert first.image.tag == "1.0"
    assert first.image.registry_info.url == f"https://{registry}"
    assert first.image.registry_info.project == "lab"
    assert first.image.resources == {
        "cpu": {"min": "1", "max": "4"},
        "mem": {"min": "268435456", "max": None},
    }
    assert first.image.config_digest.startswith("sha256:")

    digest = "sha256:" + "0f" * 32
    second = await service.add_image(
        AddImageAction(canonical=canonical, architecture="x86_64", digest=digest)
    )
    assert not second.image_created and not second.registry_created
    assert second.image.id == first.image.id
    assert second.image.config_digest == digest
    # Options not given keep their stored values.
    assert second.image.labels == {"ai.backend.runtime-type": "python"}
    assert second.image.size_bytes == 1024

    async with db_engine.connect() as conn:
        count = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(container_registries)
            .where(container_registries.c.registry_name == registry)
        )
        image_count = await conn.scalar(
            sa.select(sa.func.count()).select_from(images).where(images.c.name == canonical)
        )
    assert (count, image_count) == (1, 1)


async def test_add_reuses_the_fixture_registry(service: ImageService) -> None:
    added = await service.add_image(
        AddImageAction(
            canonical=f"cr.backend.ai/stable/{_unique('extra')}:1.0", architecture="x86_64"
        )
    )
    assert not added.registry_created
    assert added.image.registry_info.id == uuid.UUID(FIXTURE["container_registries"][0]["id"])


@pytest.mark.parametrize(
    ("canonical", "kw"),
    [
        ("python:3.9", {}),  # no registry
        ("cr.example.test/a/b:1", {"digest": "md5:abc"}),
        ("cr.example.test/a/b:1", {"size_bytes": -1}),
        ("cr.example.test/a/b:1", {"min_slots": {"mem": "lots"}}),
    ],
)
async def test_add_refuses_bad_input(
    service: ImageService, canonical: str, kw: dict[str, object]
) -> None:
    with pytest.raises(InvalidAPIParameters):
        await _add(service, canonical, **kw)


async def test_alias_and_dealias(service: ImageService) -> None:
    alias = _unique("py-")
    change = await service.alias_image(
        AliasImageAction(alias=alias, target="python:3.11", architecture="x86_64")
    )
    assert change.previous_target is None
    assert change.image.id == FIXTURE_IDS[(PY311, "x86_64")]
    assert (await service.resolve(alias, "aarch64")).id == FIXTURE_IDS[(PY311, "aarch64")]

    moved = await service.alias_image(
        AliasImageAction(alias=alias, target=PY39, architecture="x86_64")
    )
    assert moved.previous_target == PY311
    assert (await service.resolve(alias, "x86_64")).canonical == PY39

    assert await service.dealias_image(DealiasImageAction(alias=alias)) == PY39
    with pytest.raises(ImageNotFound):
        await service.resolve(alias, "x86_64")
    with pytest.raises(ImageAliasNotFound):
        await service.dealias_image(DealiasImageAction(alias=alias))
    with pytest.raises(ImageNotFound):
        await service.alias_image(
            AliasImageAction(alias=alias, target="no-such:1", architecture="x86_64")
        )


async def test_only_superadmins_curate(service: ImageService) -> None:
    user = AuthenticatedUser(
        access_key="AKIANOTADMIN",
        is_admin=False,
        resource_policy="default",
        rate_limit=1000,
        user_uuid=uuid.uuid4(),
        email="user@example.test",
        role="user",
        domain_name="default",
    )
    with pytest.raises(PermissionDenied):
        await service.add_image(
            AddImageAction(requester=user, canonical="cr.example.test/a/b:1", architecture="x86_64")
        )
    with pytest.raises(PermissionDenied):
        await service.alias_image(
            AliasImageAction(requester=user, alias="x", target=PY39, architecture="x86_64")
        )
    with pytest.raises(PermissionDenied):
        await service.forget_image(ForgetImageAction(requester=user, canonical=PY39))
    listed = await service.list_images(ListImagesAction(requester=user))
    assert {PY39, PY311} <= {r.name for r in listed}


# --- the CLI -------------------------------------------------------------------------------------


def _mgr(toml: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MANAGER_CLI, "mgr", "-f", str(toml), *args], capture_output=True, text=True, timeout=60
    )


def _assert_one_line_error(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert expected in lines[0]


def test_cli_add_alias_list_dealias_forget(
    manager_config: ManagerLocalConfig, tmp_path: Path
) -> None:
    toml = write_manager_toml(manager_config, tmp_path / "manager.toml")
    registry = f"{_unique('cli')}.example.test"
    canonical = f"{registry}/team/tool:2.0"
    alias = _unique("cli-tool-")

    added = _mgr(
        toml,
        "image",
        "add",
        canonical,
        "--architecture",
        "aarch64",
        "--label",
        "ai.backend.runtime-type=python",
        "--label",
        "ai.backend.service-ports=jupyter:http:8081",
        "--min",
        "cpu=1",
        "--min",
        "mem=256m",
        "--registry-url",
        f"https://{registry}:443",
        "--digest",
        "sha256:" + "1a" * 32,
        "--size",
        "1g",
    )
    assert added.returncode == 0, added.stderr
    assert f"Created the container registry {registry}" in added.stdout
    assert f"Added {canonical} (aarch64)" in added.stdout

    again = _mgr(toml, "image", "add", canonical, "--architecture", "aarch64")
    assert again.returncode == 0, again.stderr
    assert f"Updated {canonical} (aarch64)" in again.stdout
    assert "Created the container registry" not in again.stdout

    aliased = _mgr(toml, "image", "alias", alias, canonical, "aarch64")
    assert aliased.returncode == 0, aliased.stderr
    assert f"{alias} -> {canonical} (aarch64)" in aliased.stdout

    listed = _mgr(toml, "image", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["IMAGE", "ARCH", "ALIASES", "STATUS"]
    ours = [line for line in lines if line.startswith(canonical)]
    assert len(ours) == 1
    assert ours[0].split() == [canonical, "aarch64", alias, "ALIVE"]
    assert any(line.startswith(PY39) and "aarch64" in line for line in lines)

    dealiased = _mgr(toml, "image", "dealias", alias)
    assert dealiased.returncode == 0, dealiased.stderr
    assert f"Removed the alias {alias}" in dealiased.stdout
    listed = _mgr(toml, "image", "list")
    assert [line.split() for line in listed.stdout.splitlines() if line.startswith(canonical)] == [
        [canonical, "aarch64", "-", "ALIVE"]
    ]

    forgotten = _mgr(toml, "image", "forget", canonical, "aarch64")
    assert forgotten.returncode == 0, forgotten.stderr
    assert f"Forgot {canonical} (aarch64)." in forgotten.stdout
    listed = _mgr(toml, "image", "list")
    assert canonical not in listed.stdout
    listed_all = _mgr(toml, "image", "list", "--all")
    assert [
        line.split() for line in listed_all.stdout.splitlines() if line.startswith(canonical)
    ] == [[canonical, "aarch64", "-", "DELETED"]]


def test_cli_errors_are_one_line(manager_config: ManagerLocalConfig, tmp_path: Path) -> None:
    toml = write_manager_toml(manager_config, tmp_path / "manager.toml")
    _assert_one_line_error(_mgr(toml, "image", "dealias", _unique("nope-")), "No image alias")
    _assert_one_line_error(
        _mgr(toml, "image", "alias", _unique("x-"), "no-such-image:1.0"), "No image matches"
    )
    _assert_one_line_error(_mgr(toml, "image", "add", "python:3.9"), "names no registry")
    _assert_one_line_error(
        _mgr(toml, "image", "add", "cr.example.test/a/b:1", "--size", "big"), "--size"
    )
    _assert_one_line_error(
        _mgr(toml, "image", "add", "cr.example.test/a/b:1", "--label", "novalue"), "KEY=VALUE"
    )
    _assert_one_line_error(
        _mgr(toml, "image", "forget", PY39, "ppc64le"), "not available for ppc64le"
    )
    _assert_one_line_error(_mgr(toml, "image", "forget", "cr.example.test/none:1"), "No image")


# --- the sample fixture --------------------------------------------------------------------------


@pytest_asyncio.fixture
async def bare_engine(empty_database: DatabaseConfig) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(empty_database)
    try:
        await schema_oneshot(engine)
        yield engine
    finally:
        await engine.dispose()


async def test_sample_images_fixture_loads_with_the_cli(
    bare_engine: AsyncEngine,
    empty_database: DatabaseConfig,
    manager_config: ManagerLocalConfig,
    tmp_path: Path,
) -> None:
    config = make_manager_config(empty_database, manager_config.etcd.namespace)
    toml = write_manager_toml(config, tmp_path / "manager.toml")
    for _ in range(2):  # the second load skips every row
        result = _mgr(toml, "fixture", "populate", str(IMAGES_FIXTURE))
        assert result.returncode == 0, result.stderr
    async with bare_engine.connect() as conn:
        counts = [
            await conn.scalar(sa.select(sa.func.count()).select_from(table))
            for table in (container_registries, images, image_aliases)
        ]
    assert counts == [1, 4, 3]

    service = ImageService(ImageRepository(bare_engine))
    listed = await service.list_images(ListImagesAction())
    assert [(r.name, r.architecture) for r in listed] == [
        (PY311, "aarch64"),
        (PY311, "x86_64"),
        (PY39, "aarch64"),
        (PY39, "x86_64"),
    ]
    for record in listed:
        assert record.type.value == "compute"
        assert record.labels["ai.backend.resource.min.mem"] == "256m"
        assert len(record.config_digest) == 71
    assert (await service.resolve("python:3.11", "x86_64")).canonical == PY311
