"""Resource presets: every user reads them and checks what fits; superadmins manage them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ai.backend.manager.actions.resource import (
    CheckResourcePresetsAction,
    CreateResourcePresetAction,
    DeleteResourcePresetAction,
    GetResourcePresetAction,
    ListContainerRegistriesAction,
    ListResourcePresetsAction,
    ModifyResourcePresetAction,
)
from ai.backend.manager.errors.base import PermissionDenied
from ai.backend.manager.errors.resource import InvalidResourcePresetInput, ResourcePresetNotFound
from ai.backend.manager.errors.scaling_group import ScalingGroupNotFound
from ai.backend.manager.repositories.resource_preset import PresetRecord, ResourcePresetRepository
from ai.backend.manager.repositories.resource_preset.cache import (
    CheckPresetsCache,
    CheckPresetsKey,
)
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.services.resource_preset.slots import (
    Slots,
    filled,
    fits,
    least,
    limits_of,
    minus,
    slots_text,
    total,
)
from ai.backend.manager.utils.sizes import InvalidBinarySize, parse_binary_size

# Every preset names at least these slots.
_INTRINSIC = ("cpu", "mem")


@dataclass(frozen=True, slots=True)
class CheckPresetsResult:
    """The `POST /resource/check-presets` answer, already in wire form (amounts as strings)."""

    presets: list[dict[str, Any]]
    keypair_limits: dict[str, str]
    keypair_using: dict[str, str]
    keypair_remaining: dict[str, str]
    group_limits: dict[str, str]
    group_using: dict[str, str]
    group_remaining: dict[str, str]
    scaling_group_remaining: dict[str, str]
    scaling_groups: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "presets": self.presets,
            "keypair_limits": self.keypair_limits,
            "keypair_using": self.keypair_using,
            "keypair_remaining": self.keypair_remaining,
            "group_limits": self.group_limits,
            "group_using": self.group_using,
            "group_remaining": self.group_remaining,
            "scaling_group_remaining": self.scaling_group_remaining,
            "scaling_groups": self.scaling_groups,
        }


def preset_json(preset: PresetRecord, known: list[str]) -> dict[str, Any]:
    """A preset as `GET /resource/presets` shows it: its slots on the known slots."""
    return {
        "id": str(preset.id),
        "name": preset.name,
        "shared_memory": str(preset.shared_memory) if preset.shared_memory else None,
        "resource_slots": slots_text(filled(preset.resource_slots, known)),
    }


def _require_superadmin(requester: AuthenticatedUser, what: str) -> None:
    if not requester.is_superadmin:
        raise PermissionDenied(f"Only superadmins can {what} resource presets")


def _parse_slots(raw: Any) -> dict[str, Decimal]:
    if not isinstance(raw, dict) or not raw:
        raise InvalidResourcePresetInput("resource_slots must be a non-empty JSON object")
    parsed: dict[str, Decimal] = {}
    for slot, value in raw.items():
        if not isinstance(slot, str) or not slot:
            raise InvalidResourcePresetInput("A resource slot name must be a non-empty string")
        try:
            if slot == "mem":
                amount = parse_binary_size(value)
            elif isinstance(value, (int, str, Decimal)) and not isinstance(value, bool):
                amount = Decimal(str(value).strip())
            elif isinstance(value, float):
                amount = Decimal(str(value))
            else:
                raise InvalidResourcePresetInput(f"Invalid amount for slot {slot}: {value!r}")
        except (InvalidBinarySize, InvalidOperation) as e:
            raise InvalidResourcePresetInput(f"Invalid amount for slot {slot}: {value!r}") from e
        if not amount.is_finite() or amount < 0:
            raise InvalidResourcePresetInput(f"Invalid amount for slot {slot}: {value!r}")
        parsed[slot] = amount
    missing = [slot for slot in _INTRINSIC if slot not in parsed]
    if missing:
        raise InvalidResourcePresetInput(
            f"A resource preset must name every intrinsic slot (missing: {', '.join(missing)})"
        )
    return parsed


def _parse_shared_memory(raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return int(parse_binary_size(raw))
    except InvalidBinarySize as e:
        raise InvalidResourcePresetInput(f"Invalid shared_memory: {raw!r}") from e


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 256:
        raise InvalidResourcePresetInput("A preset name must have 1 to 256 characters")
    return name


class ResourcePresetService:
    def __init__(
        self, repository: ResourcePresetRepository, cache: CheckPresetsCache | None = None
    ) -> None:
        self._repository = repository
        self._cache = cache

    async def _presets_changed(self) -> None:
        if self._cache is not None:
            await self._cache.invalidate()

    # --- reads ----------------------------------------------------------------------------

    async def list_presets(self, action: ListResourcePresetsAction) -> list[PresetRecord]:
        if action.everything:
            return await self._repository.list_all()
        return await self._repository.list_presets(
            scaling_group=action.scaling_group, include_global=action.include_global
        )

    async def list_presets_json(self, action: ListResourcePresetsAction) -> list[dict[str, Any]]:
        presets = await self.list_presets(action)
        known = await self._repository.known_slots()
        return [preset_json(p, known) for p in presets]

    async def get_preset(self, action: GetResourcePresetAction) -> PresetRecord | None:
        if action.id is None and action.name is None:
            raise InvalidResourcePresetInput("Give the preset's id or name")
        found = await self._repository.find(preset_id=action.id, name=action.name)
        return found[0] if found else None

    async def check_presets(self, action: CheckResourcePresetsAction) -> CheckPresetsResult:
        """What fits: served from the shared cache while no allocation, agent or preset has
        changed since it was computed (see `CheckPresetsCache`)."""
        if self._cache is None:
            return await self._compute_check(action)
        key = CheckPresetsKey(action.requester.access_key, action.group, action.scaling_group)
        cached = await self._cache.get(key)
        if cached is not None and cached.answer is not None:
            return CheckPresetsResult(**cached.answer)
        result = await self._compute_check(action)
        if cached is not None:
            await self._cache.put(key, cached.version, result.to_json())
        return result

    async def _compute_check(self, action: CheckResourcePresetsAction) -> CheckPresetsResult:
        user = action.requester
        snapshot, allowed = await self._repository.check_presets_snapshot(
            access_key=user.access_key,
            keypair_policy=user.resource_policy,
            user_id=user.user_uuid,
            domain_name=user.domain_name,
            group_name=action.group,
            scaling_group=action.scaling_group,
            require_membership=not user.is_superadmin,
        )
        if action.scaling_group is not None and action.scaling_group not in allowed:
            raise ScalingGroupNotFound(
                f"Scaling group not found or not allowed (name: {action.scaling_group})"
            )
        known = snapshot.known_slots
        kp_limits = limits_of(snapshot.keypair_limits, known)
        kp_using = filled(snapshot.keypair_using, known)
        group_limits = limits_of(snapshot.group_limits, known)
        group_using = filled(snapshot.group_using, known)
        group_remaining = minus(group_limits, group_using)
        domain_remaining = minus(
            limits_of(snapshot.domain_limits, known), filled(snapshot.domain_using, known)
        )
        # what the caller may still take, across every scope that limits it
        remaining = least(minus(kp_limits, kp_using), group_remaining, domain_remaining)

        per_sgroup: dict[str, dict[str, dict[str, str]]] = {}
        all_free: list[Slots] = []
        for name, agents_free in snapshot.agent_free_per_sgroup.items():
            free = total(agents_free, known)
            all_free.append(free)
            per_sgroup[name] = {
                "using": slots_text(filled(snapshot.user_using_per_sgroup.get(name, {}), known)),
                "remaining": slots_text(least(remaining, free)),
            }
        sgroup_remaining = least(remaining, total(all_free, known))

        agent_rooms = [
            filled(room, known)
            for rooms in snapshot.agent_free_per_sgroup.values()
            for room in rooms
        ]
        presets = []
        for preset in snapshot.presets:
            need = filled(preset.resource_slots, known)
            allocatable = fits(need, remaining) and any(fits(need, room) for room in agent_rooms)
            presets.append({**preset_json(preset, known), "allocatable": allocatable})
        return CheckPresetsResult(
            presets=presets,
            keypair_limits=slots_text(kp_limits),
            keypair_using=slots_text(kp_using),
            keypair_remaining=slots_text(remaining),
            group_limits=slots_text(group_limits),
            group_using=slots_text(group_using),
            group_remaining=slots_text(group_remaining),
            scaling_group_remaining=slots_text(sgroup_remaining),
            scaling_groups=per_sgroup,
        )

    async def container_registries(self, action: ListContainerRegistriesAction) -> dict[str, str]:
        if not action.requester.is_superadmin:
            raise PermissionDenied("Only superadmins can list the container registries")
        return await self._repository.container_registries()

    # --- writes (superadmins) -------------------------------------------------------------

    async def create_preset(self, action: CreateResourcePresetAction) -> PresetRecord:
        _require_superadmin(action.requester, "create")
        values: dict[str, Any] = {
            "name": _check_name(action.name),
            "resource_slots": _parse_slots(action.resource_slots),
            "shared_memory": _parse_shared_memory(action.shared_memory),
            "scaling_group_name": await self._scaling_group(action.scaling_group_name),
        }
        created = await self._repository.create(values)
        await self._presets_changed()
        return created

    async def modify_preset(self, action: ModifyResourcePresetAction) -> PresetRecord:
        _require_superadmin(action.requester, "modify")
        preset = await self._one(action.id, action.name)
        values: dict[str, Any] = {}
        for key, raw in action.values.items():
            if key == "name":
                values["name"] = _check_name(raw)
            elif key == "resource_slots":
                values["resource_slots"] = _parse_slots(raw)
            elif key == "shared_memory":
                values["shared_memory"] = _parse_shared_memory(raw)
            elif key == "scaling_group_name":
                values["scaling_group_name"] = await self._scaling_group(raw)
            else:
                raise InvalidResourcePresetInput(f"Unknown resource preset field: {key}")
        if not values:
            return preset
        updated = await self._repository.update(preset.id, values)
        if updated is None:
            raise ResourcePresetNotFound(f"No resource preset {preset.name!r}")
        await self._presets_changed()
        return updated

    async def delete_preset(self, action: DeleteResourcePresetAction) -> PresetRecord:
        _require_superadmin(action.requester, "delete")
        preset = await self._one(action.id, action.name)
        deleted = await self._repository.delete(preset.id)
        if deleted is None:
            raise ResourcePresetNotFound(f"No resource preset {preset.name!r}")
        await self._presets_changed()
        return deleted

    async def _one(self, preset_id: uuid.UUID | None, name: str | None) -> PresetRecord:
        if preset_id is None and name is None:
            raise InvalidResourcePresetInput("Give the preset's id or name")
        found = await self._repository.find(preset_id=preset_id, name=name)
        if not found:
            raise ResourcePresetNotFound(f"No resource preset {preset_id or name!s}")
        if len(found) > 1:
            raise InvalidResourcePresetInput(
                f"Several presets are named {name!r} (one per scaling group): give its id"
            )
        return found[0]

    async def _scaling_group(self, name: Any) -> str | None:
        if name is None or name == "":
            return None
        if not isinstance(name, str) or not await self._repository.scaling_group_exists(name):
            raise ScalingGroupNotFound(f"No scaling group named {name!r}")
        return name
