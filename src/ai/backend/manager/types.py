"""Small value types shared by the schema, the services and the API: enums and aliases.

Convention: an `enum.StrEnum` is stored as its *value* (a varchar column or JSON); a plain
`enum.Enum` is stored by PostgreSQL as its member *name* (a native PG enum type).
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Final

# {slot name: amount}; amounts are exact decimals ("cpu": 1.5, "mem": 1073741824).
ResourceSlot = dict[str, Decimal]


# --- tenancy and identity ---------------------------------------------------------------------


class DomainStatus(enum.StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"
    PURGING = "purging"
    PURGE_ERROR = "purge-error"


class ProjectStatus(enum.StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"
    PURGING = "purging"
    PURGE_ERROR = "purge-error"


class ProjectType(enum.StrEnum):
    GENERAL = "general"
    MODEL_STORE = "model-store"
    PERSONAL = "personal"


class UserStatus(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    DELETED = "deleted"
    BEFORE_VERIFICATION = "before-verification"
    PURGING = "purging"
    PURGE_ERROR = "purge-error"


class UserRole(enum.StrEnum):
    SUPERADMIN = "superadmin"
    ADMIN = "admin"
    USER = "user"
    MONITOR = "monitor"


# --- resource policies and slots --------------------------------------------------------------


class DefaultForUnspecified(enum.Enum):
    """What a keypair may use of a slot its policy does not mention (PG enum, by name)."""

    LIMITED = 0
    UNLIMITED = 1


class SlotType(enum.StrEnum):
    COUNT = "count"
    BYTES = "bytes"
    UNIQUE = "unique"
    UNIFIED = "unified"


class VFolderHostPermission(enum.StrEnum):
    """What a domain/project/keypair policy allows on a storage host (`allowed_vfolder_hosts`)."""

    CREATE = "create-vfolder"
    MODIFY = "modify-vfolder"
    DELETE = "delete-vfolder"
    MOUNT_IN_SESSION = "mount-in-session"
    UPLOAD_FILE = "upload-file"
    DOWNLOAD_FILE = "download-file"
    INVITE_OTHERS = "invite-others"
    SET_USER_PERM = "set-user-specific-permission"


# --- scaling groups and agents ----------------------------------------------------------------


class AgentSelectionStrategy(enum.StrEnum):
    DISPERSED = "dispersed"
    CONCENTRATED = "concentrated"
    ROUNDROBIN = "roundrobin"
    LEGACY = "legacy"


class AgentStatus(enum.Enum):
    """PG enum `agentstatus`, stored by name."""

    ALIVE = 0
    LOST = 1
    RESTARTING = 2
    TERMINATED = 3


# --- sessions and kernels ---------------------------------------------------------------------


class SessionTypes(enum.StrEnum):
    INTERACTIVE = "interactive"
    BATCH = "batch"
    INFERENCE = "inference"
    SYSTEM = "system"


class ClusterMode(enum.StrEnum):
    SINGLE_NODE = "single-node"
    MULTI_NODE = "multi-node"

    @classmethod
    def _missing_(cls, value: object) -> ClusterMode | None:
        # Clients also send the member name (`SINGLE_NODE`); accept it.
        if isinstance(value, str):
            try:
                return cls[value.upper().replace("-", "_")]
            except KeyError:
                return None
        return None


class SessionResult(enum.StrEnum):
    UNDEFINED = "undefined"
    SUCCESS = "success"
    FAILURE = "failure"


class NetworkType(enum.StrEnum):
    VOLATILE = "volatile"
    PERSISTENT = "persistent"
    HOST = "host"


class SessionStatus(enum.StrEnum):
    PENDING = "PENDING"
    DEPRIORITIZING = "DEPRIORITIZING"
    RESERVED = "RESERVED"
    SCHEDULED = "SCHEDULED"
    PREPARING = "PREPARING"
    PULLING = "PULLING"
    PREPARED = "PREPARED"
    CREATING = "CREATING"
    RUNNING = "RUNNING"
    RESTARTING = "RESTARTING"
    RUNNING_DEGRADED = "RUNNING_DEGRADED"
    PREEMPTED = "PREEMPTED"
    RESCHEDULING = "RESCHEDULING"
    TERMINATING = "TERMINATING"
    TERMINATED = "TERMINATED"
    ERROR = "ERROR"
    CANCELLED = "CANCELLED"


SESSION_TERMINAL_STATUSES: Final[frozenset[SessionStatus]] = frozenset(
    {
        SessionStatus.TERMINATED,
        SessionStatus.ERROR,
        SessionStatus.CANCELLED,
    }
)
SESSION_TERMINATABLE_STATUSES: Final[frozenset[SessionStatus]] = frozenset(
    set(SessionStatus) - {SessionStatus.TERMINATING} - SESSION_TERMINAL_STATUSES
)
SESSION_RESOURCE_OCCUPIED_STATUSES: Final[frozenset[SessionStatus]] = frozenset(
    {
        SessionStatus.RESERVED,
        SessionStatus.SCHEDULED,
        SessionStatus.PREPARING,
        SessionStatus.PULLING,
        SessionStatus.PREPARED,
        SessionStatus.CREATING,
        SessionStatus.RUNNING,
        SessionStatus.RESTARTING,
        SessionStatus.RUNNING_DEGRADED,
        SessionStatus.TERMINATING,
    }
)


class KernelStatus(enum.StrEnum):
    PENDING = "PENDING"
    RESERVED = "RESERVED"
    SCHEDULED = "SCHEDULED"
    PREPARING = "PREPARING"
    BUILDING = "BUILDING"
    PULLING = "PULLING"
    PREPARED = "PREPARED"
    CREATING = "CREATING"
    RUNNING = "RUNNING"
    RESTARTING = "RESTARTING"
    RESIZING = "RESIZING"
    SUSPENDED = "SUSPENDED"
    TERMINATING = "TERMINATING"
    TERMINATED = "TERMINATED"
    ERROR = "ERROR"
    CANCELLED = "CANCELLED"


KERNEL_PRE_PREPARED_STATUSES: Final[frozenset[KernelStatus]] = frozenset(
    {
        KernelStatus.PENDING,
        KernelStatus.RESERVED,
        KernelStatus.SCHEDULED,
        KernelStatus.PREPARING,
        KernelStatus.BUILDING,
        KernelStatus.PULLING,
    }
)
KERNEL_PRE_RUNNING_STATUSES: Final[frozenset[KernelStatus]] = KERNEL_PRE_PREPARED_STATUSES | {
    KernelStatus.PREPARED,
    KernelStatus.CREATING,
}
KERNEL_TERMINAL_STATUSES: Final[frozenset[KernelStatus]] = frozenset(
    {
        KernelStatus.TERMINATED,
        KernelStatus.ERROR,
        KernelStatus.CANCELLED,
    }
)
KERNEL_RESOURCE_OCCUPIED_STATUSES: Final[frozenset[KernelStatus]] = frozenset(
    {
        KernelStatus.RUNNING,
        KernelStatus.TERMINATING,
    }
)
KERNEL_RESOURCE_REQUESTED_STATUSES: Final[frozenset[KernelStatus]] = frozenset(
    {
        KernelStatus.RESERVED,
        KernelStatus.SCHEDULED,
        KernelStatus.PREPARING,
        KernelStatus.PULLING,
        KernelStatus.PREPARED,
        KernelStatus.CREATING,
    }
)


# --- images and registries --------------------------------------------------------------------


class ImageType(enum.Enum):
    """PG enum `imagetype`, stored by name; the value is what the API reports."""

    COMPUTE = "compute"
    SYSTEM = "system"
    SERVICE = "service"


class ImageStatus(enum.StrEnum):
    ALIVE = "ALIVE"
    DELETED = "DELETED"
    PURGING = "PURGING"
    PURGE_ERROR = "PURGE_ERROR"


class ContainerRegistryType(enum.StrEnum):
    DOCKER = "docker"
    HARBOR = "harbor"
    HARBOR2 = "harbor2"
    GITHUB = "github"
    GITLAB = "gitlab"
    ECR = "ecr"
    ECR_PUBLIC = "ecr-public"
    LOCAL = "local"
    OCP = "ocp"


# --- virtual folders --------------------------------------------------------------------------


class VFolderUsageMode(enum.StrEnum):
    GENERAL = "general"
    MODEL = "model"
    DATA = "data"


class VFolderPermission(enum.StrEnum):
    """The client-facing mount permission: read-only, read-write, read-write-delete."""

    READ_ONLY = "ro"
    READ_WRITE = "rw"
    RW_DELETE = "wd"


class VFolderOwnershipType(enum.StrEnum):
    USER = "user"
    GROUP = "group"


class VFolderOperationStatus(enum.StrEnum):
    READY = "ready"
    CREATING = "creating"
    PERFORMING = "performing"
    CLONING = "cloning"
    MOUNTED = "mounted"
    ERROR = "error"
    DELETE_PENDING = "delete-pending"
    DELETE_ONGOING = "delete-ongoing"
    DELETE_COMPLETE = "delete-complete"
    DELETE_ERROR = "delete-error"


VFOLDER_DELETED_STATUSES: Final[frozenset[VFolderOperationStatus]] = frozenset(
    {
        VFolderOperationStatus.DELETE_COMPLETE,
        VFolderOperationStatus.DELETE_ERROR,
    }
)


class VFolderInvitationState(enum.StrEnum):
    PENDING = "pending"
    CANCELED = "canceled"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
