"""Usage reports, summed from the kernels' allocated slots and their lifetimes.

Per project for admins (a domain admin sees their own domain's projects only), the caller's
own 30-day history for everyone, and the whole cluster's for superadmins.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ai.backend.manager.actions.resource import (
    MonthStatsAction,
    RecalculateUsageAction,
    UsagePerMonthAction,
    UsagePerPeriodAction,
)
from ai.backend.manager.errors.base import PermissionDenied
from ai.backend.manager.errors.resource import InvalidUsageQuery
from ai.backend.manager.repositories.usage import KernelUsageRecord, UsageRepository
from ai.backend.manager.services.auth.types import AuthenticatedUser

# The month stats: 15-minute bins over the last 30 days.
STAT_BIN_SECONDS = 900
STAT_BIN_COUNT = 2880
_MAX_PERIOD = timedelta(days=100)
_INTRINSIC = frozenset({"cpu", "mem"})


def _is_accelerator(slot: str) -> bool:
    return slot not in _INTRINSIC


def _nested(data: Any, path: str, default: Any = 0) -> Any:
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data if data is not None else default


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _usage_of(k: KernelUsageRecord) -> dict[str, Any]:
    """One kernel's figures, under the names the usage reports use."""
    last_stat = k.last_stat or {}
    device_type: set[str] = set()
    gpu_smp = 0
    gpu_mem = 0
    for dev in (k.attached_devices or {}).get("cuda") or []:
        if isinstance(dev, dict):
            if dev.get("model_name"):
                device_type.add(str(dev["model_name"]))
            gpu_smp += int(_number(_nested(dev, "data.smp")))
            gpu_mem += int(_number(_nested(dev, "data.mem")))
    gpu_allocated = sum(
        (amount for slot, amount in k.slots.items() if _is_accelerator(slot)), Decimal(0)
    )
    return {
        "cpu_allocated": float(k.slots.get("cpu", 0)),
        "cpu_used": _number(_nested(last_stat, "cpu_used.current")),
        "mem_allocated": int(k.slots.get("mem", 0)),
        "mem_used": int(_number(_nested(last_stat, "mem.capacity"))),
        "shared_memory": int(_number(_nested(k.resource_opts or {}, "shmem"))),
        "disk_allocated": 0,
        "disk_used": int(_number(_nested(last_stat, "io_scratch_size.stats.max"))),
        "io_read": int(_number(_nested(last_stat, "io_read.current"))),
        "io_write": int(_number(_nested(last_stat, "io_write.current"))),
        "device_type": sorted(device_type),
        "smp": float(gpu_smp),
        "gpu_mem_allocated": float(gpu_mem),
        "gpu_allocated": float(gpu_allocated),
    }


def _lifetime(k: KernelUsageRecord) -> tuple[str | None, int | None]:
    if k.terminated_at is None:
        return None, None
    used_time = str(k.terminated_at - k.created_at)
    used_days = k.terminated_at.toordinal() - k.created_at.toordinal() + 1
    return used_time, used_days


def container_info(k: KernelUsageRecord) -> dict[str, Any]:
    """A kernel as `usage/month` lists it (`c_infos`)."""
    used_time, used_days = _lifetime(k)
    return {
        "id": str(k.id),
        "session_id": str(k.session_id),
        "container_id": k.container_id,
        "domain_name": k.domain_name,
        "group_id": str(k.group_id),
        "group_name": k.group_name,
        "name": k.session_name,
        "access_key": k.access_key,
        "email": k.email,
        "full_name": k.full_name,
        "agent": k.agent,
        **_usage_of(k),
        "used_time": used_time,
        "used_days": used_days,
        "nfs": None,
        "image_id": k.image,
        "image_name": k.image,
        "created_at": str(k.created_at),
        "terminated_at": str(k.terminated_at),
        "status": k.status.name,
        "status_info": k.status_info,
        "status_changed": str(k.status_changed),
        "status_history": k.status_history or {},
        "cluster_mode": k.cluster_mode,
    }


_SUMMED = (
    "cpu_allocated",
    "cpu_used",
    "mem_allocated",
    "mem_used",
    "shared_memory",
    "disk_allocated",
    "disk_used",
    "io_read",
    "io_write",
    "smp",
    "gpu_mem_allocated",
    "gpu_allocated",
)


def per_month_report(kernels: Iterable[KernelUsageRecord]) -> list[dict[str, Any]]:
    """One entry per project: the `g_*` totals and its kernels' `c_infos`."""
    per_group: dict[uuid.UUID, dict[str, Any]] = {}
    for k in kernels:
        info = container_info(k)
        entry = per_group.get(k.group_id)
        if entry is None:
            entry = {
                "domain_name": k.domain_name,
                "g_id": str(k.group_id),
                "g_name": k.group_name,
                **{f"g_{key}": 0 for key in _SUMMED},
                "g_device_type": [],
                "c_infos": [],
            }
            per_group[k.group_id] = entry
        for key in _SUMMED:
            entry[f"g_{key}"] += info[key]
        entry["g_device_type"] = sorted({*entry["g_device_type"], *info["device_type"]})
        entry["c_infos"].append(info)
    return list(per_group.values())


def _empty_total() -> dict[str, Any]:
    return {"nfs": [], **{key: 0 for key in _SUMMED}, "device_type": []}


def _add_total(into: dict[str, Any], usage: dict[str, Any]) -> None:
    for key in _SUMMED:
        into[key] += usage[key]
    into["device_type"] = sorted({*into["device_type"], *usage["device_type"]})


def per_period_report(kernels: Iterable[KernelUsageRecord]) -> list[dict[str, Any]]:
    """One entry per project with its `total_usage`, and its sessions (with their kernels)."""
    projects: dict[uuid.UUID, dict[str, Any]] = {}
    for k in kernels:
        usage = _usage_of(k)
        project = projects.get(k.group_id)
        if project is None:
            project = {
                "project_id": str(k.group_id),
                "project_name": k.group_name,
                "domain_name": k.domain_name,
                "group_unit": "project",
                "agents": [],
                "total_usage": _empty_total(),
                "sessions": {},
            }
            projects[k.group_id] = project
        _add_total(project["total_usage"], usage)
        if k.agent and k.agent not in project["agents"]:
            project["agents"].append(k.agent)
        used_time, used_days = _lifetime(k)
        session = project["sessions"].setdefault(
            str(k.session_id),
            {
                "session_id": str(k.session_id),
                "session_name": k.session_name,
                "project_id": str(k.group_id),
                "project_name": k.group_name,
                "domain_name": k.domain_name,
                "user_id": str(k.user_uuid),
                "user_email": k.email,
                "full_name": k.full_name,
                "access_key": k.access_key,
                "group_unit": "session",
                "images": [],
                "agents": [],
                "created_at": str(k.created_at),
                "terminated_at": str(k.terminated_at) if k.terminated_at else None,
                "used_time": used_time,
                "used_days": used_days,
                "status": k.status.name,
                "cluster_mode": k.cluster_mode,
                "total_usage": _empty_total(),
                "kernels": {},
            },
        )
        _add_total(session["total_usage"], usage)
        if k.image and k.image not in session["images"]:
            session["images"].append(k.image)
        if k.agent and k.agent not in session["agents"]:
            session["agents"].append(k.agent)
        session["kernels"][str(k.id)] = {
            "kernel_id": str(k.id),
            "agent": k.agent,
            "group_unit": "kernel",
            "container_ids": [k.container_id] if k.container_id else [],
            "created_at": str(k.created_at),
            "terminated_at": str(k.terminated_at) if k.terminated_at else None,
            "used_time": used_time,
            "used_days": used_days,
            "total_usage": {**usage, "nfs": []},
        }
    return list(projects.values())


def month_stats(kernels: Iterable[KernelUsageRecord], now: datetime) -> list[dict[str, Any]]:
    """2,880 bins of 15 minutes ending now: sessions alive in each and what they held."""
    start_ts = (now - timedelta(days=30)).timestamp()
    series: list[dict[str, Any]] = [
        {
            "date": start_ts + idx * STAT_BIN_SECONDS,
            "num_sessions": {"value": 0, "unit_hint": "count"},
            "cpu_allocated": {"value": 0, "unit_hint": "count"},
            "mem_allocated": {"value": 0, "unit_hint": "bytes"},
            "gpu_allocated": {"value": 0, "unit_hint": "count"},
            "io_read_bytes": {"value": 0, "unit_hint": "bytes"},
            "io_write_bytes": {"value": 0, "unit_hint": "bytes"},
            "disk_used": {"value": 0, "unit_hint": "bytes"},
        }
        for idx in range(STAT_BIN_COUNT)
    ]
    gpu_totals = [Decimal(0)] * STAT_BIN_COUNT
    for k in kernels:
        usage = _usage_of(k)
        ended = (k.terminated_at or now).timestamp()
        first = max(int((k.created_at.timestamp() - start_ts) // STAT_BIN_SECONDS), 0)
        last = min(int((ended - start_ts) // STAT_BIN_SECONDS) + 1, STAT_BIN_COUNT)
        cpu = int(k.slots.get("cpu", 0))
        mem = int(k.slots.get("mem", 0))
        gpu = sum((v for s, v in k.slots.items() if _is_accelerator(s)), Decimal(0))
        for idx in range(first, last):
            point = series[idx]
            point["num_sessions"]["value"] += 1
            point["cpu_allocated"]["value"] += cpu
            point["mem_allocated"]["value"] += mem
            point["io_read_bytes"]["value"] += usage["io_read"]
            point["io_write_bytes"]["value"] += usage["io_write"]
            point["disk_used"]["value"] += usage["disk_used"]
            gpu_totals[idx] += gpu
    for point, gpu_total in zip(series, gpu_totals, strict=True):
        point["gpu_allocated"]["value"] = float(gpu_total)
    return series


def _parse_day(text: str, what: str, fmt: str) -> datetime:
    try:
        return datetime.strptime(text, fmt).replace(tzinfo=UTC)
    except (TypeError, ValueError) as e:
        raise InvalidUsageQuery(f"Invalid {what}: {text!r}") from e


def _next_month(start: datetime) -> datetime:
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


class UsageService:
    def __init__(self, repository: UsageRepository) -> None:
        self._repository = repository

    async def per_month(self, action: UsagePerMonthAction) -> list[dict[str, Any]]:
        start = _parse_day(action.month, "month (expected YYYYMM)", "%Y%m")
        scope = await self._admin_scope(action.requester, action.group_ids)
        kernels = await self._repository.kernels_in_window(
            start, _next_month(start), group_ids=scope[0], domain_name=scope[1]
        )
        return per_month_report(kernels)

    async def per_period(self, action: UsagePerPeriodAction) -> list[dict[str, Any]]:
        start = _parse_day(action.start_date, "start_date (expected YYYYMMDD)", "%Y%m%d")
        end = _parse_day(action.end_date, "end_date (expected YYYYMMDD)", "%Y%m%d")
        end += timedelta(days=1)  # the end date is included
        if end <= start:
            raise InvalidUsageQuery("end_date must be later than start_date")
        if end - start > _MAX_PERIOD:
            raise InvalidUsageQuery("Cannot query more than 100 days")
        group_ids = [action.group_id] if action.group_id is not None else None
        scope = await self._admin_scope(action.requester, group_ids)
        kernels = await self._repository.kernels_in_window(
            start, end, group_ids=scope[0], domain_name=scope[1]
        )
        return per_period_report(kernels)

    async def month_stats(self, action: MonthStatsAction) -> list[dict[str, Any]]:
        user = action.requester
        if action.everyone and not user.is_superadmin:
            raise PermissionDenied("Only superadmins can read the whole cluster's statistics")
        now = datetime.now(UTC)
        kernels = await self._repository.kernels_in_window(
            now - timedelta(days=30),
            now,
            user_uuid=None if action.everyone else user.user_uuid,
        )
        return month_stats(kernels, now)

    async def recalculate(self, action: RecalculateUsageAction) -> dict[str, Any]:
        """Nothing to do: occupancy is summed from the allocations whenever it is read."""
        if not action.requester.is_superadmin:
            raise PermissionDenied("Only superadmins can recalculate the resource usage")
        return {}

    async def _admin_scope(
        self, user: AuthenticatedUser, group_ids: Sequence[uuid.UUID] | None
    ) -> tuple[list[uuid.UUID] | None, str | None]:
        """The projects an admin may report on: any for superadmins, their own domain's for a
        domain admin (naming another domain's project is refused); never for plain users."""
        ids = list(group_ids) if group_ids else None
        if user.is_superadmin:
            return ids, None
        if user.role != "admin":
            raise PermissionDenied("Only admins can read the usage of projects")
        if ids is not None:
            domains = await self._repository.group_domains(ids)
            foreign = [str(i) for i in ids if domains.get(i, user.domain_name) != user.domain_name]
            if foreign:
                raise PermissionDenied(f"Projects outside your domain: {', '.join(foreign)}")
        return ids, user.domain_name
