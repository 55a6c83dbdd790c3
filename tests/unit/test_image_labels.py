"""Backend.AI image labels as a rescan reads them: what parses, and what makes an image broken."""

from __future__ import annotations

import pytest

from ai.backend.manager.services.container_registry.labels import (
    BrokenImageLabels,
    check_kernelspec,
    parse_accelerators,
    parse_resources,
    parse_role,
    string_labels,
    validate_service_ports,
)
from ai.backend.manager.types import ImageType


def test_resource_labels_become_min_and_max_per_slot() -> None:
    labels = {
        "ai.backend.resource.min.cpu": "1",
        "ai.backend.resource.min.mem": "256m",
        "ai.backend.resource.max.cpu": "8",
        "ai.backend.resource.min.cuda.device": "0.5",
        "ai.backend.kernelspec": "1",
    }
    assert parse_resources(labels) == {
        "cpu": {"min": "1", "max": "8"},
        "cuda.device": {"min": "0.5", "max": None},
        "mem": {"min": "268435456", "max": None},
    }


@pytest.mark.parametrize(
    "labels",
    [
        {"ai.backend.resource.min.mem": "lots"},
        {"ai.backend.resource.min.cpu": "-1"},
        {"ai.backend.resource.min.cpu": "4", "ai.backend.resource.max.cpu": "2"},
    ],
)
def test_bad_resource_labels_are_broken(labels: dict[str, str]) -> None:
    with pytest.raises(BrokenImageLabels):
        parse_resources(labels)


@pytest.mark.parametrize(
    "value",
    ["", "jupyter:http:8080", "jupyter:http:8080,vscode:http:8180", "multi:tcp:[9000,9001]"],
)
def test_valid_service_ports(value: str) -> None:
    validate_service_ports(value)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("jupyter:http", "name:protocol:port"),
        ("jupyter:gopher:8080", "unknown protocol"),
        ("jupyter:http:99999", "bad port"),
        ("ttyd:http:7681", "reserved"),
        ("repl:tcp:2000", "reserved"),
        ("a:http:8080,a:http:8081", "twice"),
    ],
)
def test_broken_service_ports(value: str, why: str) -> None:
    with pytest.raises(BrokenImageLabels, match=why):
        validate_service_ports(value)


def test_accelerators_role_and_kernelspec() -> None:
    assert parse_accelerators(" cuda , rocm ") == "cuda,rocm"
    assert parse_accelerators("") is None and parse_accelerators(None) is None
    with pytest.raises(BrokenImageLabels):
        parse_accelerators("cu da")
    assert parse_role({}) is ImageType.COMPUTE
    assert parse_role({"ai.backend.role": "inference"}) is ImageType.SERVICE
    assert parse_role({"ai.backend.role": "SYSTEM"}) is ImageType.SYSTEM
    with pytest.raises(BrokenImageLabels):
        parse_role({"ai.backend.role": "wizard"})
    check_kernelspec({"ai.backend.kernelspec": "1"})
    with pytest.raises(BrokenImageLabels):
        check_kernelspec({"ai.backend.kernelspec": "one"})
    assert string_labels(None) == {}
    assert string_labels({"a": 1, "b": None}) == {"a": "1", "b": ""}
    with pytest.raises(BrokenImageLabels):
        string_labels(["not", "a", "map"])
