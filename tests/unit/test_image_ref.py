"""Image references parse into registry/project/name/tag; sizes and image limits parse exactly."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from ai.backend.manager.data.image import ImageRecord, RegistryRecord
from ai.backend.manager.errors.image import InvalidImageReference, InvalidImageResources
from ai.backend.manager.services.image.reference import (
    ImageReference,
    PlatformImageRef,
    normalize_architecture,
)
from ai.backend.manager.services.image.resources import (
    build_resources_spec,
    image_resource_limits,
    parse_slot_amount,
)
from ai.backend.manager.services.image.types import ResolvedImage
from ai.backend.manager.types import ContainerRegistryType, ImageStatus, ImageType
from ai.backend.manager.utils.sizes import (
    InvalidBinarySize,
    format_binary_size,
    parse_binary_size,
)

GiB = 2**30
MiB = 2**20

# --- references ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "registry", "project", "name", "tag", "canonical"),
    [
        (
            "cr.backend.ai/stable/python:3.9-ubuntu20.04",
            "cr.backend.ai",
            "stable",
            "python",
            "3.9-ubuntu20.04",
            "cr.backend.ai/stable/python:3.9-ubuntu20.04",
        ),
        ("python:3.9", "", "", "python", "3.9", "python:3.9"),
        ("python", "", "", "python", "latest", "python:latest"),
        ("stable/python:3.9", "", "stable", "python", "3.9", "stable/python:3.9"),
        # The first component is a project unless it looks like a host.
        ("lablup/python", "", "lablup", "python", "latest", "lablup/python:latest"),
        ("localhost/python:1", "localhost", "", "python", "1", "localhost/python:1"),
        (
            "localhost:5000/team/tool:2.0",
            "localhost:5000",
            "team",
            "tool",
            "2.0",
            "localhost:5000/team/tool:2.0",
        ),
        ("registry:5000/tool", "registry:5000", "", "tool", "latest", "registry:5000/tool:latest"),
        ("10.0.0.1:5000/a/b:c", "10.0.0.1:5000", "a", "b", "c", "10.0.0.1:5000/a/b:c"),
        (
            "cr.backend.ai/stable/ngc/pytorch:23.08",
            "cr.backend.ai",
            "stable",
            "ngc/pytorch",
            "23.08",
            "cr.backend.ai/stable/ngc/pytorch:23.08",
        ),
        ("docker.io/library/ubuntu", "docker.io", "library", "ubuntu", "latest", None),
        ("  python:3.11  ", "", "", "python", "3.11", "python:3.11"),
        ("my-image_x:Tag_1.0", "", "", "my-image_x", "Tag_1.0", "my-image_x:Tag_1.0"),
    ],
)
def test_reference_parsing(
    text: str, registry: str, project: str, name: str, tag: str, canonical: str | None
) -> None:
    ref = ImageReference.parse(text)
    assert (ref.registry, ref.project, ref.name, ref.tag) == (registry, project, name, tag)
    if canonical is not None:
        assert ref.canonical == canonical
        assert str(ref) == canonical
    # The canonical form parses back to the same reference.
    assert ImageReference.parse(ref.canonical) == ref


def test_reference_short_and_repository() -> None:
    ref = ImageReference.parse("cr.backend.ai/stable/python:3.9-ubuntu20.04")
    assert ref.repository == "stable/python"
    assert ref.short == "stable/python:3.9-ubuntu20.04"
    assert ImageReference.parse("python:3.9").short == "python:3.9"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "https://cr.backend.ai/stable/python:3.9",
        "python@sha256:abcd",
        "python:3.9 extra",
        "cr.backend.ai//python:3.9",
        "cr.backend.ai/stable/python:",
        "/python",
        "python/",
        "pyth!on",
        "python:-bad",
        "bad_host.example./python",
    ],
)
def test_invalid_references_are_refused(text: str) -> None:
    with pytest.raises(InvalidImageReference):
        ImageReference.parse(text)


def test_platform_ref_is_what_the_agent_needs() -> None:
    ref = ImageReference.parse("cr.backend.ai/stable/python:3.9-ubuntu20.04")
    platform = ref.for_platform("arm64")
    assert platform == PlatformImageRef(
        name="python",
        project="stable",
        tag="3.9-ubuntu20.04",
        registry="cr.backend.ai",
        architecture="aarch64",
        is_local=False,
    )
    assert platform.canonical == ref.canonical
    assert ImageReference.parse("python").for_platform("x86_64", is_local=True).to_dict() == {
        "name": "python",
        "project": None,
        "tag": "latest",
        "registry": "",
        "architecture": "x86_64",
        "is_local": True,
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("x86_64", "x86_64"),
        ("amd64", "x86_64"),
        ("AMD64", "x86_64"),
        ("arm64", "aarch64"),
        ("aarch64", "aarch64"),
        ("ppc64le", "ppc64le"),
    ],
)
def test_architecture_names_are_normalised(given: str, expected: str) -> None:
    assert normalize_architecture(given) == expected


def test_bad_architecture_is_refused() -> None:
    with pytest.raises(InvalidImageReference):
        normalize_architecture("x86 64")


# --- binary sizes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1073741824", GiB),
        ("1g", GiB),
        ("1G", GiB),
        ("1gb", GiB),
        ("1GiB", GiB),
        ("1 GiB", GiB),
        ("512m", 512 * MiB),
        ("256M", 256 * MiB),
        ("1.5g", 3 * GiB // 2),
        (".5k", 512),
        ("2k", 2048),
        ("1t", 2**40),
        ("100 bytes", 100),
        ("1b", 1),
        ("1_000", 1000),
        ("0", 0),
        ("1073741824.000", GiB),
        ("1.0000001k", 1024),  # fractions of a unit are rounded down to whole bytes
        (1024, 1024),
        (Decimal("2048"), 2048),
    ],
)
def test_binary_sizes(given: str | int | Decimal, expected: int) -> None:
    parsed = parse_binary_size(given)
    assert parsed == Decimal(expected)
    assert isinstance(parsed, Decimal)
    assert parsed == parsed.to_integral_value()


@pytest.mark.parametrize(
    "given", ["", "g", "1x", "1.5", "-1g", "1gg", "one", "inf", "1e3", True, Decimal("1.5")]
)
def test_invalid_binary_sizes(given: Any) -> None:
    with pytest.raises(InvalidBinarySize):
        parse_binary_size(given)


@pytest.mark.parametrize(
    ("value", "text"),
    [(GiB, "1g"), (256 * MiB, "256m"), (3 * GiB // 2, "1.5g"), (1000, "1000"), (1025, "1025")],
)
def test_binary_size_formatting(value: int, text: str) -> None:
    assert format_binary_size(value) == text
    assert parse_binary_size(text) == value


# --- resource limits -----------------------------------------------------------------------------


class _Image:
    def __init__(self, labels: dict[str, str], resources: dict[str, Any]) -> None:
        self.labels = labels
        self.resources = resources


def test_limits_from_resources_and_labels() -> None:
    image = _Image(
        labels={
            "ai.backend.resource.min.cpu": "2",
            "ai.backend.resource.min.mem": "256m",
            "ai.backend.resource.min.cuda.shares": "0.5",
            "ai.backend.runtime-type": "python",
        },
        resources={
            "cpu": {"min": "1", "max": "8"},
            "mem": {"min": "536870912", "max": None},
        },
    )
    assert image_resource_limits(image) == {
        "cpu": (Decimal(2), Decimal(8)),  # the larger minimum wins
        "cuda.shares": (Decimal("0.5"), None),
        "mem": (Decimal(512 * MiB), None),
    }


def test_limits_default_to_the_intrinsic_minimums() -> None:
    assert image_resource_limits(_Image(labels={}, resources={})) == {
        "cpu": (Decimal(1), None),
        "mem": (Decimal(GiB), None),
    }
    # A stated minimum replaces the intrinsic one, even when it is smaller.
    limits = image_resource_limits(
        _Image(labels={"ai.backend.resource.min.mem": "64m"}, resources={})
    )
    assert limits["mem"] == (Decimal(64 * MiB), None)


def test_invalid_limits_are_refused() -> None:
    with pytest.raises(InvalidImageResources):
        image_resource_limits(_Image(labels={"ai.backend.resource.min.cpu": "lots"}, resources={}))
    with pytest.raises(InvalidImageResources):
        image_resource_limits(_Image(labels={}, resources={"cpu": "1"}))


def test_slot_amounts() -> None:
    assert parse_slot_amount("mem", "1g") == GiB
    assert parse_slot_amount("cuda.mem", "2g") == 2 * GiB
    assert parse_slot_amount("cpu", "0.5") == Decimal("0.5")
    assert parse_slot_amount("mem", 1024) == 1024
    for slot, value in (("cpu", "1g"), ("cpu", "-1"), ("mem", "nan"), ("cpu", None)):
        with pytest.raises(InvalidImageResources):
            parse_slot_amount(slot, value)


def test_resources_spec_for_the_cli() -> None:
    assert build_resources_spec({"cpu": "1", "mem": "256m"}, {"cpu": "4"}) == {
        "cpu": {"min": "1", "max": "4"},
        "mem": {"min": "268435456", "max": None},
    }
    assert build_resources_spec({"cpu": "0.50"}, {}) == {"cpu": {"min": "0.5", "max": None}}
    with pytest.raises(InvalidImageResources):
        build_resources_spec({"cpu": "4"}, {"cpu": "2"})


# --- resolved images -----------------------------------------------------------------------------


def _record(**overrides: Any) -> ImageRecord:
    registry = RegistryRecord(
        id=uuid.uuid4(),
        name="cr.backend.ai",
        url="https://cr.backend.ai",
        type=ContainerRegistryType.HARBOR2,
        project="stable",
        username="robot",
        password="secret",
        ssl_verify=True,
        is_global=True,
    )
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "name": "cr.backend.ai/stable/python:3.9-ubuntu20.04",
        "project": "stable",
        "image": "stable/python",
        "tag": "3.9-ubuntu20.04",
        "registry": "cr.backend.ai",
        "architecture": "aarch64",
        "config_digest": "sha256:" + "ab" * 32,
        "size_bytes": 123,
        "is_local": False,
        "type": ImageType.COMPUTE,
        "accelerators": None,
        "labels": {"ai.backend.runtime-type": "python"},
        "resources": {"cpu": {"min": "1", "max": None}},
        "status": ImageStatus.ALIVE,
        "customized": False,
        "created_at": None,
        "registry_info": registry,
        "aliases": ("python",),
    }
    fields.update(overrides)
    return ImageRecord(**fields)


def test_resolved_image_names_the_build_for_the_agent() -> None:
    record = _record()
    resolved = ResolvedImage.from_record(record)
    assert (resolved.project, resolved.name, resolved.tag) == (
        "stable",
        "python",
        "3.9-ubuntu20.04",
    )
    assert resolved.platform_ref.canonical == record.name
    assert resolved.platform_ref.architecture == "aarch64"
    assert resolved.image_config() == {
        "canonical": "cr.backend.ai/stable/python:3.9-ubuntu20.04",
        "project": "stable",
        "architecture": "aarch64",
        "digest": "sha256:" + "ab" * 32,
        "repo_digest": None,
        "registry": {
            "name": "cr.backend.ai",
            "url": "https://cr.backend.ai",
            "username": "robot",
            "password": "secret",
        },
        "labels": {"ai.backend.runtime-type": "python"},
        "is_local": False,
        "auto_pull": "digest",
    }
    assert resolved.image_config(auto_pull="tag")["auto_pull"] == "tag"


def test_resolved_image_without_a_project() -> None:
    record = _record(
        name="localhost:5000/tool:1.0",
        project=None,
        image="tool",
        tag="1.0",
        registry="localhost:5000",
    )
    resolved = ResolvedImage.from_record(record)
    assert (resolved.project, resolved.name) == (None, "tool")
    assert resolved.platform_ref.canonical == "localhost:5000/tool:1.0"
