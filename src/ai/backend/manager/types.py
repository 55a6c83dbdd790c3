"""Small value types shared by the schema, the services and the API: enums and aliases.

How members are stored:

* a `NameValued` / `KebabValued` enum (both `enum.StrEnum`) is stored as its *value*, in a varchar
  column or in JSON. Their members are declared with `enum.auto()` and the value follows from the
  member name, so the declaration *is* the wire format: `PURGE_ERROR` is `"PURGE_ERROR"` in a
  `NameValued` enum and `"purge-error"` in a `KebabValued` one;
* a plain `enum.Enum` is a native PostgreSQL enum type, which stores the member *name*.

Status enums are declared in lifecycle order; the status groups below rely on that order only where
they say so (`_declared_before`).
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Final

# {slot name: amount}; amounts are exact decimals ("cpu": 1.5, "mem": 1073741824).
ResourceSlot = dict[str, Decimal]


class NameValued(enum.StrEnum):
    """A string enum whose `auto()` value is the member name itself (`RUNNING` -> "RUNNING")."""

    @staticmethod
    def _generate_next_value_(name: str, start: int, count: int, last_values: list[str]) -> str:
        return name


class KebabValued(enum.StrEnum):
    """A string enum whose `auto()` value is the kebab-cased name (`IN_USE` -> "in-use")."""

    @staticmethod
    def _generate_next_value_(name: str, start: int, count: int, last_values: list[str]) -> str:
        return name.lower().replace("_", "-")


class Ordinal(enum.Enum):
    """A PostgreSQL-native enum (stored by name) whose `auto()` values count from zero."""

    @staticmethod
    def _generate_next_value_(name: str, start: int, count: int, last_values: list[int]) -> int:
        return count


def _pick[E: enum.Enum](enum_cls: type[E], names: str) -> frozenset[E]:
    """The members of `enum_cls` named in the space-separated `names`; a typo fails on import."""
    return frozenset(enum_cls[name] for name in names.split())


def _declared_before[E: enum.Enum](member: E) -> frozenset[E]:
    """Every member declared ahead of `member`, i.e. the earlier stages of a lifecycle enum."""
    ordered = list(type(member))
    return frozenset(ordered[: ordered.index(member)])


# === who: tenancy and identity ==================================================================


class DomainStatus(KebabValued):
    ACTIVE = enum.auto()
    DELETED = enum.auto()
    PURGING = enum.auto()
    PURGE_ERROR = enum.auto()


class ProjectStatus(KebabValued):
    ACTIVE = enum.auto()
    DELETED = enum.auto()
    PURGING = enum.auto()
    PURGE_ERROR = enum.auto()


class ProjectType(KebabValued):
    GENERAL = enum.auto()
    MODEL_STORE = enum.auto()
    PERSONAL = enum.auto()


class UserStatus(KebabValued):
    ACTIVE = enum.auto()
    INACTIVE = enum.auto()
    DELETED = enum.auto()
    BEFORE_VERIFICATION = enum.auto()
    PURGING = enum.auto()
    PURGE_ERROR = enum.auto()


class UserRole(KebabValued):
    SUPERADMIN = enum.auto()
    ADMIN = enum.auto()
    USER = enum.auto()
    MONITOR = enum.auto()


# === what may be used: policies and slots =======================================================


class DefaultForUnspecified(Ordinal):
    """What a keypair may use of a slot its policy does not mention."""

    LIMITED = enum.auto()
    UNLIMITED = enum.auto()


class SlotType(KebabValued):
    COUNT = enum.auto()
    BYTES = enum.auto()
    UNIQUE = enum.auto()
    UNIFIED = enum.auto()


class VFolderHostPermission(enum.StrEnum):
    """What a domain/project/keypair policy allows on a storage host (`allowed_vfolder_hosts`).

    The stored strings predate the member names, hence the explicit values.
    """

    CREATE = "create-vfolder"
    MODIFY = "modify-vfolder"
    DELETE = "delete-vfolder"
    MOUNT_IN_SESSION = "mount-in-session"
    UPLOAD_FILE = "upload-file"
    DOWNLOAD_FILE = "download-file"
    INVITE_OTHERS = "invite-others"
    SET_USER_PERM = "set-user-specific-permission"


# === where: scaling groups and agents ===========================================================


class AgentSelectionStrategy(KebabValued):
    DISPERSED = enum.auto()
    CONCENTRATED = enum.auto()
    ROUNDROBIN = enum.auto()
    LEGACY = enum.auto()


class AgentStatus(Ordinal):
    """PG enum `agentstatus`."""

    ALIVE = enum.auto()
    LOST = enum.auto()
    RESTARTING = enum.auto()
    TERMINATED = enum.auto()


# === workloads: sessions and their kernels ======================================================


class SessionTypes(KebabValued):
    INTERACTIVE = enum.auto()
    BATCH = enum.auto()
    INFERENCE = enum.auto()
    SYSTEM = enum.auto()


class ClusterMode(KebabValued):
    SINGLE_NODE = enum.auto()
    MULTI_NODE = enum.auto()

    @classmethod
    def _missing_(cls, value: object) -> ClusterMode | None:
        # Besides the value, clients send the member name (`SINGLE_NODE`) in any case.
        if not isinstance(value, str):
            return None
        return cls.__members__.get(value.upper().replace("-", "_"))


class SessionResult(KebabValued):
    UNDEFINED = enum.auto()
    SUCCESS = enum.auto()
    FAILURE = enum.auto()


class NetworkType(KebabValued):
    VOLATILE = enum.auto()
    PERSISTENT = enum.auto()
    HOST = enum.auto()


class SessionStatus(NameValued):
    PENDING = enum.auto()
    DEPRIORITIZING = enum.auto()
    RESERVED = enum.auto()
    SCHEDULED = enum.auto()
    PREPARING = enum.auto()
    PULLING = enum.auto()
    PREPARED = enum.auto()
    CREATING = enum.auto()
    RUNNING = enum.auto()
    RESTARTING = enum.auto()
    RUNNING_DEGRADED = enum.auto()
    PREEMPTED = enum.auto()
    RESCHEDULING = enum.auto()
    TERMINATING = enum.auto()
    TERMINATED = enum.auto()
    ERROR = enum.auto()
    CANCELLED = enum.auto()


class KernelStatus(NameValued):
    PENDING = enum.auto()
    RESERVED = enum.auto()
    SCHEDULED = enum.auto()
    PREPARING = enum.auto()
    BUILDING = enum.auto()
    PULLING = enum.auto()
    PREPARED = enum.auto()
    CREATING = enum.auto()
    RUNNING = enum.auto()
    RESTARTING = enum.auto()
    RESIZING = enum.auto()
    SUSPENDED = enum.auto()
    TERMINATING = enum.auto()
    TERMINATED = enum.auto()
    ERROR = enum.auto()
    CANCELLED = enum.auto()


# A session ends in one of these and never leaves it.
SESSION_TERMINAL_STATUSES: Final[frozenset[SessionStatus]] = _pick(
    SessionStatus, "TERMINATED ERROR CANCELLED"
)
# Neither finished nor already on its way out.
SESSION_TERMINATABLE_STATUSES: Final[frozenset[SessionStatus]] = (
    frozenset(SessionStatus) - SESSION_TERMINAL_STATUSES - {SessionStatus.TERMINATING}
)
# Slots are held for the session from reservation until termination completes.
SESSION_RESOURCE_OCCUPIED_STATUSES: Final[frozenset[SessionStatus]] = _pick(
    SessionStatus,
    "RESERVED SCHEDULED PREPARING PULLING PREPARED CREATING"
    " RUNNING RESTARTING RUNNING_DEGRADED TERMINATING",
)

KERNEL_PRE_PREPARED_STATUSES: Final[frozenset[KernelStatus]] = _declared_before(
    KernelStatus.PREPARED
)
KERNEL_PRE_RUNNING_STATUSES: Final[frozenset[KernelStatus]] = _declared_before(KernelStatus.RUNNING)
KERNEL_TERMINAL_STATUSES: Final[frozenset[KernelStatus]] = _pick(
    KernelStatus, "TERMINATED ERROR CANCELLED"
)
# Slots the agent actually spends (the container exists) ...
KERNEL_RESOURCE_OCCUPIED_STATUSES: Final[frozenset[KernelStatus]] = _pick(
    KernelStatus, "RUNNING TERMINATING"
)
# ... and slots reserved for a kernel on its way there.
KERNEL_RESOURCE_REQUESTED_STATUSES: Final[frozenset[KernelStatus]] = _pick(
    KernelStatus, "RESERVED SCHEDULED PREPARING PULLING PREPARED CREATING"
)


# === images and registries ======================================================================


class ImageType(enum.Enum):
    """PG enum `imagetype` (stored by name); the lower-case value is what the API reports."""

    COMPUTE = "compute"
    SYSTEM = "system"
    SERVICE = "service"


class ImageStatus(NameValued):
    ALIVE = enum.auto()
    DELETED = enum.auto()
    PURGING = enum.auto()
    PURGE_ERROR = enum.auto()


class ContainerRegistryType(KebabValued):
    DOCKER = enum.auto()
    HARBOR = enum.auto()
    HARBOR2 = enum.auto()
    GITHUB = enum.auto()
    GITLAB = enum.auto()
    ECR = enum.auto()
    ECR_PUBLIC = enum.auto()
    LOCAL = enum.auto()
    OCP = enum.auto()


# === storage: virtual folders ===================================================================


class VFolderUsageMode(KebabValued):
    GENERAL = enum.auto()
    MODEL = enum.auto()
    DATA = enum.auto()


class VFolderPermission(enum.StrEnum):
    """The client-facing mount permission, as its two-letter code."""

    READ_ONLY = "ro"
    READ_WRITE = "rw"
    RW_DELETE = "wd"  # read, write and delete


class VFolderOwnershipType(KebabValued):
    USER = enum.auto()
    GROUP = enum.auto()


class VFolderOperationStatus(KebabValued):
    READY = enum.auto()
    CREATING = enum.auto()
    PERFORMING = enum.auto()
    CLONING = enum.auto()
    MOUNTED = enum.auto()
    ERROR = enum.auto()
    DELETE_PENDING = enum.auto()
    DELETE_ONGOING = enum.auto()
    DELETE_COMPLETE = enum.auto()
    DELETE_ERROR = enum.auto()


# Folders in these states are gone for good (or stuck failing to go); names may be reused.
VFOLDER_DELETED_STATUSES: Final[frozenset[VFolderOperationStatus]] = _pick(
    VFolderOperationStatus, "DELETE_COMPLETE DELETE_ERROR"
)


class VFolderInvitationState(KebabValued):
    PENDING = enum.auto()
    CANCELED = enum.auto()
    ACCEPTED = enum.auto()
    REJECTED = enum.auto()
