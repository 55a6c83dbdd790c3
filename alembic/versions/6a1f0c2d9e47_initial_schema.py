"""Initial schema: tenancy, policies, scaling groups, agents, sessions, images, vfolders.

Revision ID: 6a1f0c2d9e47
Revises: (none)
Create Date: 2026-11-25 08:00:35.178483

A frozen snapshot of the schema at this revision. It imports nothing from the application (later
model changes must not alter it) and spells every table out with the small builders below; the
constraint and index names are the ones the models' naming convention gives.
"""

from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "6a1f0c2d9e47"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Native PostgreSQL enum types (they store the member *names*); created and dropped explicitly.
default_for_unspecified_enum = postgresql.ENUM(
    "LIMITED", "UNLIMITED", name="defaultforunspecified", create_type=False
)
agent_status_enum = postgresql.ENUM(
    "ALIVE", "LOST", "RESTARTING", "TERMINATED", name="agentstatus", create_type=False
)
image_type_enum = postgresql.ENUM(
    "COMPUTE", "SYSTEM", "SERVICE", name="imagetype", create_type=False
)
_ENUM_TYPES = (default_for_unspecified_enum, agent_status_enum, image_type_enum)

# In creation (foreign-key dependency) order; dropped in reverse.
_TABLES = (
    "container_registries",
    "domains",
    "keypair_resource_policies",
    "project_resource_policies",
    "resource_presets",
    "resource_slot_types",
    "scaling_groups",
    "user_resource_policies",
    "vfolders",
    "agents",
    "sgroups_for_domains",
    "users",
    "vfolder_invitations",
    "agent_resources",
    "groups",
    "images",
    "keypairs",
    "vfolder_permissions",
    "agent_installed_images",
    "association_groups_users",
    "image_aliases",
    "sessions",
    "sgroups_for_groups",
    "sgroups_for_keypairs",
    "kernels",
    "session_dependencies",
    "resource_allocations",
)

# --- column types and server defaults, as of this revision ------------------------------------

UUID = sa.UUID()
JSONB = postgresql.JSONB(astext_type=sa.Text())
AMOUNT = sa.Numeric(precision=24, scale=6)
TIMESTAMP = sa.DateTime(timezone=True)

GEN_UUID = sa.text("gen_random_uuid()")
NOW = sa.text("now()")
ZERO = sa.text("0")
EMPTY_OBJECT = sa.text("'{}'::jsonb")
EMPTY_VARCHARS = sa.text("'{}'::varchar[]")
EMPTY_DOTFILES = sa.text("'\\x90'::bytea")


def required(name: str, type_: Any, default: Any = None) -> sa.Column[Any]:
    """A NOT NULL column; `default` is its server default, if any."""
    return sa.Column(name, type_, server_default=default, nullable=False)


def optional(name: str, type_: Any, default: Any = None) -> sa.Column[Any]:
    """A nullable column; `default` is its server default, if any."""
    return sa.Column(name, type_, server_default=default, nullable=True)


def uuid_id(name: str) -> sa.Column[Any]:
    return required(name, UUID, GEN_UUID)


def flag(name: str, value: bool, *, null: bool = False) -> sa.Column[Any]:
    make = optional if null else required
    return make(name, sa.Boolean(), sa.text("true" if value else "false"))


def integer(name: str, value: int, type_: Any = None, *, null: bool = False) -> sa.Column[Any]:
    make = optional if null else required
    return make(name, type_ if type_ is not None else sa.Integer(), sa.text(str(value)))


def json_object(name: str, *, null: bool = False) -> sa.Column[Any]:
    make = optional if null else required
    return make(name, JSONB, EMPTY_OBJECT)


def stamps(*names: str) -> list[sa.Column[Any]]:
    """NOT NULL timestamps the server sets on insert (`created_at`, `updated_at`)."""
    return [required(name, TIMESTAMP, NOW) for name in names]


# --- constraints ---------------------------------------------------------------------------------

# Which changes of the referenced row a foreign key follows (ON UPDATE / ON DELETE CASCADE).
UPDATE = "update"
DELETE = "delete"
BOTH = "update delete"


class Ref(NamedTuple):
    """A single-column foreign key; `cascade` is one of UPDATE / DELETE / BOTH, or none."""

    column: str
    target: str  # "table.column"
    cascade: str = ""


def create(
    table: str,
    *items: sa.Column[Any] | sa.Constraint,
    key: str | tuple[str, ...] = "id",
    refs: Sequence[Ref] = (),
    unique: Sequence[str] = (),
    indexed: Sequence[str] = (),
) -> None:
    """Create `table` with its primary key, foreign keys, single-column unique constraints and
    single-column indexes, all named by convention (`pk_<table>`, `fk_<table>_<column>_<target>`,
    `uq_<table>_<column>`, `ix_<table>_<column>`)."""
    keys = (key,) if isinstance(key, str) else key
    constraints: list[sa.Constraint] = [sa.PrimaryKeyConstraint(*keys, name=op.f(f"pk_{table}"))]
    for ref in refs:
        target_table = ref.target.split(".", 1)[0]
        constraints.append(
            sa.ForeignKeyConstraint(
                [ref.column],
                [ref.target],
                name=op.f(f"fk_{table}_{ref.column}_{target_table}"),
                onupdate="CASCADE" if UPDATE in ref.cascade else None,
                ondelete="CASCADE" if DELETE in ref.cascade else None,
            )
        )
    constraints.extend(sa.UniqueConstraint(c, name=op.f(f"uq_{table}_{c}")) for c in unique)
    op.create_table(table, *items, *constraints)
    for column in indexed:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def partial_unique(name: str, table: str, columns: list[str], *, where: str) -> None:
    op.create_index(name, table, columns, unique=True, postgresql_where=sa.text(where))


def upgrade() -> None:
    bind = op.get_bind()
    for enum_type in _ENUM_TYPES:
        enum_type.create(bind, checkfirst=False)

    create(
        "container_registries",
        uuid_id("id"),
        required("url", sa.String(512)),
        required("registry_name", sa.String(255)),
        required("type", sa.String(64), "docker"),
        optional("project", sa.String(255)),
        optional("username", sa.String(255)),
        optional("password", sa.String()),
        flag("ssl_verify", True, null=True),
        flag("is_global", True),
        optional("extra", sa.JSON()),
        indexed=["is_global", "project", "registry_name", "ssl_verify", "type", "url"],
    )
    create(
        "domains",
        required("name", sa.String(64)),
        uuid_id("id"),
        optional("description", sa.String(512)),
        flag("is_active", True),
        required("status", sa.String(64), "active"),
        flag("is_default", False),
        json_object("total_resource_slots"),
        json_object("allowed_vfolder_hosts"),
        required("allowed_docker_registries", postgresql.ARRAY(sa.String()), EMPTY_VARCHARS),
        optional("integration_id", sa.String(512)),
        required("dotfiles", sa.LargeBinary(65536), EMPTY_DOTFILES),
        *stamps("created_at", "updated_at"),
        key="name",
        unique=["id"],
        indexed=["status"],
    )
    partial_unique("uq_domains_is_default", "domains", ["is_default"], where="is_default")
    create(
        "keypair_resource_policies",
        required("name", sa.String(256)),
        uuid_id("uuid"),
        *stamps("created_at"),
        flag("is_default", False),
        required("default_for_unspecified", default_for_unspecified_enum, "LIMITED"),
        json_object("total_resource_slots"),
        integer("max_session_lifetime", 0),
        required("max_concurrent_sessions", sa.Integer()),
        optional("max_pending_session_count", sa.Integer()),
        optional("max_pending_session_resource_slots", JSONB),
        optional("max_priority", sa.Integer()),
        integer("max_concurrent_sftp_sessions", 1),
        required("max_containers_per_session", sa.Integer()),
        required("idle_timeout", sa.BigInteger()),
        json_object("allowed_vfolder_hosts"),
        key="name",
        unique=["uuid"],
    )
    partial_unique(
        "uq_keypair_resource_policies_is_default",
        "keypair_resource_policies",
        ["is_default"],
        where="is_default",
    )
    create(
        "project_resource_policies",
        required("name", sa.String(256)),
        uuid_id("uuid"),
        *stamps("created_at"),
        required("max_vfolder_count", sa.Integer()),
        required("max_quota_scope_size", sa.BigInteger()),
        required("max_network_count", sa.Integer()),
        key="name",
        unique=["uuid"],
    )
    create(
        "resource_presets",
        uuid_id("id"),
        required("name", sa.String(256)),
        required("resource_slots", JSONB),
        optional("shared_memory", sa.BigInteger()),
        optional("scaling_group_name", sa.String(64)),
    )
    partial_unique(
        "uq_resource_presets_name_global",
        "resource_presets",
        ["name"],
        where="scaling_group_name IS NULL",
    )
    partial_unique(
        "uq_resource_presets_name_scaling_group_name",
        "resource_presets",
        ["name", "scaling_group_name"],
        where="scaling_group_name IS NOT NULL",
    )
    create(
        "resource_slot_types",
        required("slot_name", sa.String(64)),
        uuid_id("uuid"),
        required("slot_type", sa.String(16)),
        flag("required", False),
        flag("enabled", True),
        required("display_name", sa.String(128), ""),
        required("description", sa.String(256), ""),
        required("display_unit", sa.String(32), ""),
        required("display_icon", sa.String(64), ""),
        required(
            "number_format", JSONB, sa.text('\'{"binary": false, "round_length": 0}\'::jsonb')
        ),
        integer("rank", 0),
        *stamps("created_at", "updated_at"),
        key="slot_name",
        unique=["uuid"],
    )
    create(
        "scaling_groups",
        required("name", sa.String(64)),
        uuid_id("id"),
        optional("description", sa.String(512)),
        flag("is_active", True, null=True),
        flag("is_public", True),
        flag("is_default", False),
        optional("wsproxy_addr", sa.String(1024)),
        optional("wsproxy_api_token", sa.String(128)),
        required("driver", sa.String(64)),
        json_object("driver_opts"),
        required("scheduler", sa.String(64)),
        flag("use_host_network", False),
        json_object("scheduler_opts"),
        optional("fair_share_spec", JSONB),
        json_object("default_deployment_options"),
        json_object("default_session_options"),
        *stamps("created_at"),
        key="name",
        unique=["id"],
        indexed=["is_active", "is_public"],
    )
    partial_unique(
        "uq_scaling_groups_is_default", "scaling_groups", ["is_default"], where="is_default"
    )
    create(
        "user_resource_policies",
        required("name", sa.String(256)),
        uuid_id("uuid"),
        *stamps("created_at"),
        required("max_vfolder_count", sa.Integer()),
        required("max_quota_scope_size", sa.BigInteger()),
        required("max_session_count_per_model_session", sa.Integer()),
        integer("max_customized_image_count", 3),
        optional("max_concurrent_logins", sa.Integer()),
        key="name",
        unique=["uuid"],
    )
    create(
        "vfolders",
        uuid_id("id"),
        required("host", sa.String(128)),
        required("domain_name", sa.String(64)),
        required("quota_scope_id", sa.String(64)),
        required("name", sa.String(128)),
        required("usage_mode", sa.String(64), "general"),
        required("default_mount_permission", sa.String(64), "rw"),
        integer("max_files", 1000, null=True),
        optional("max_size", sa.Integer()),
        integer("num_files", 0, null=True),
        integer("cur_size", 0, null=True),
        optional("last_used", TIMESTAMP),
        optional("creator", sa.String(128)),
        optional("creator_id", UUID),
        optional("unmanaged_path", sa.String(512)),
        required("ownership_type", sa.String(64), "user"),
        optional("user", UUID),
        optional("group", UUID),
        flag("cloneable", False),
        required("status", sa.String(64), "ready"),
        optional("status_history", JSONB),
        optional("status_changed", TIMESTAMP),
        *stamps("created_at", "updated_at"),
        indexed=[
            "domain_name",
            "group",
            "host",
            "name",
            "ownership_type",
            "status",
            "status_changed",
            "usage_mode",
            "user",
        ],
    )
    partial_unique(
        "uq_vfolders_group_name",
        "vfolders",
        ["group", "name"],
        where="status NOT IN ('delete-complete', 'delete-error')",
    )
    create(
        "agents",
        required("id", sa.String(64)),
        uuid_id("uuid"),
        required("status", agent_status_enum, "ALIVE"),
        optional("status_changed", TIMESTAMP),
        required("region", sa.String(64)),
        required("scaling_group", sa.String(64), "default"),
        required("resource_group_id", UUID),
        flag("schedulable", True),
        required("addr", sa.String(128)),
        optional("public_host", sa.String(256)),
        optional("public_key", sa.String(40)),
        optional("first_contact", TIMESTAMP, NOW),
        optional("lost_at", TIMESTAMP),
        required("version", sa.String(64)),
        required("architecture", sa.String(32)),
        json_object("compute_plugins"),
        flag("auto_terminate_abusing_kernel", False),
        refs=[
            Ref("resource_group_id", "scaling_groups.id"),
            Ref("scaling_group", "scaling_groups.name", UPDATE),
        ],
        unique=["uuid"],
        indexed=["region", "resource_group_id", "scaling_group", "status"],
    )
    create(
        "sgroups_for_domains",
        uuid_id("id"),
        required("resource_group_id", UUID),
        required("domain_id", UUID),
        sa.UniqueConstraint("resource_group_id", "domain_id", name="uq_sgroup_domain"),
        refs=[
            Ref("domain_id", "domains.id", BOTH),
            Ref("resource_group_id", "scaling_groups.id", BOTH),
        ],
        indexed=["domain_id", "resource_group_id"],
    )
    create(
        "users",
        uuid_id("uuid"),
        required("username", sa.String(64)),
        required("email", sa.String(64)),
        optional("password", sa.String()),
        flag("need_password_change", False),
        required("password_changed_at", TIMESTAMP, NOW),
        optional("full_name", sa.String(64)),
        optional("description", sa.String(500)),
        required("status", sa.String(64), "before-verification"),
        optional("status_info", sa.String()),
        optional("integration_id", sa.String(512)),
        required("domain_name", sa.String(64)),
        required("domain_id", UUID),
        required("role", sa.String(64), "user"),
        optional("allowed_client_ip", postgresql.ARRAY(postgresql.CIDR())),
        optional("totp_key", sa.String(32)),
        flag("totp_activated", False),
        optional("totp_activated_at", TIMESTAMP),
        required("resource_policy", sa.String(256)),
        flag("sudo_session_enabled", False),
        optional("container_uid", sa.Integer()),
        optional("container_main_gid", sa.Integer()),
        optional("container_gids", postgresql.ARRAY(sa.Integer())),
        *stamps("created_at", "updated_at"),
        key="uuid",
        refs=[
            Ref("domain_id", "domains.id"),
            Ref("domain_name", "domains.name", UPDATE),
            Ref("resource_policy", "user_resource_policies.name", UPDATE),
        ],
        unique=["email", "username"],
        indexed=["domain_id", "domain_name", "status"],
    )
    create(
        "vfolder_invitations",
        uuid_id("id"),
        required("permission", sa.String(64), "rw"),
        required("inviter", sa.String(256)),
        required("invitee", sa.String(256)),
        required("state", sa.String(64), "pending"),
        required("vfolder", UUID),
        *stamps("created_at"),
        optional("modified_at", TIMESTAMP, NOW),
        refs=[Ref("vfolder", "vfolders.id", BOTH)],
        indexed=["invitee", "vfolder"],
    )
    create(
        "agent_resources",
        required("agent_id", sa.String(64)),
        required("slot_name", sa.String(64)),
        required("agent_uuid", UUID),
        required("capacity", AMOUNT),
        required("reserved", AMOUNT, ZERO),
        required("prereserved", AMOUNT, ZERO),
        required("used", AMOUNT, ZERO),
        *stamps("created_at", "updated_at"),
        key=("agent_id", "slot_name"),
        refs=[
            Ref("agent_id", "agents.id", BOTH),
            Ref("slot_name", "resource_slot_types.slot_name", UPDATE),
        ],
        indexed=["slot_name"],
    )
    create(
        "groups",
        uuid_id("id"),
        required("name", sa.String(64)),
        optional("description", sa.String(512)),
        flag("is_active", True, null=True),
        required("status", sa.String(64), "active"),
        optional("integration_id", sa.String(512)),
        required("domain_name", sa.String(64)),
        json_object("total_resource_slots"),
        json_object("allowed_vfolder_hosts"),
        required("dotfiles", sa.LargeBinary(65536), EMPTY_DOTFILES),
        required("resource_policy", sa.String(256)),
        required("type", sa.String(64), "general"),
        optional("creator_id", UUID),
        optional("container_registry", JSONB),
        *stamps("created_at", "updated_at"),
        sa.UniqueConstraint("name", "domain_name", name="uq_groups_name_domain_name"),
        refs=[
            Ref("creator_id", "users.uuid"),
            Ref("domain_name", "domains.name", UPDATE),
            Ref("resource_policy", "project_resource_policies.name", UPDATE),
        ],
        indexed=["domain_name", "status"],
    )
    partial_unique(
        "uq_groups_personal_creator", "groups", ["creator_id"], where="type = 'personal'"
    )
    create(
        "images",
        uuid_id("id"),
        required("name", sa.String()),
        optional("project", sa.String()),
        required("image", sa.String()),
        optional("tag", sa.Text()),
        required("registry", sa.String()),
        required("registry_id", UUID),
        required("architecture", sa.String(), "x86_64"),
        required("config_digest", sa.CHAR(72)),
        required("size_bytes", sa.BigInteger()),
        flag("is_local", False),
        required("type", image_type_enum),
        optional("accelerators", sa.String()),
        required("labels", sa.JSON(), sa.text("'{}'::json")),
        flag("customized", False),
        optional("creator_id", UUID),
        json_object("resources"),
        required("status", sa.String(64), "ALIVE"),
        required("last_used_at", TIMESTAMP, NOW),
        *stamps("created_at"),
        sa.UniqueConstraint(
            "registry", "project", "name", "tag", "architecture", name="uq_image_identifier"
        ),
        refs=[Ref("creator_id", "users.uuid"), Ref("registry_id", "container_registries.id")],
        indexed=["architecture", "creator_id", "image", "name", "registry", "registry_id"],
    )
    create(
        "keypairs",
        required("access_key", sa.String(20)),
        uuid_id("id"),
        required("secret_key", sa.Text()),
        flag("is_active", True),
        flag("is_admin", False),
        flag("is_default", False),
        optional("last_used", TIMESTAMP),
        integer("rate_limit", 10000),
        integer("num_queries", 0),
        optional("ssh_public_key", sa.Text()),
        optional("ssh_private_key", sa.Text()),
        required("user", UUID),
        required("resource_policy", sa.String(256)),
        required("dotfiles", sa.LargeBinary(65536), EMPTY_DOTFILES),
        required("bootstrap_script", sa.String(65536), ""),
        *stamps("created_at", "updated_at"),
        key="access_key",
        refs=[
            Ref("resource_policy", "keypair_resource_policies.name", UPDATE),
            Ref("user", "users.uuid", UPDATE),
        ],
        unique=["id"],
        indexed=["is_active", "is_admin", "user"],
    )
    partial_unique("uq_keypairs_user_is_default", "keypairs", ["user"], where="is_default")
    create(
        "vfolder_permissions",
        uuid_id("id"),
        required("vfolder", UUID),
        required("user", UUID),
        required("permission", sa.String(64), "rw"),
        sa.UniqueConstraint("vfolder", "user", name="uq_vfolder_permissions_vfolder_user"),
        refs=[Ref("user", "users.uuid", BOTH), Ref("vfolder", "vfolders.id", BOTH)],
        indexed=["user", "vfolder"],
    )
    create(
        "agent_installed_images",
        required("agent_id", sa.String(64)),
        required("image_id", UUID),
        *stamps("created_at"),
        key=("agent_id", "image_id"),
        refs=[Ref("agent_id", "agents.id", BOTH), Ref("image_id", "images.id", DELETE)],
        indexed=["image_id"],
    )
    create(
        "association_groups_users",
        uuid_id("id"),
        required("user_id", UUID),
        required("group_id", UUID),
        sa.UniqueConstraint("user_id", "group_id", name="uq_association_user_id_group_id"),
        refs=[Ref("group_id", "groups.id", BOTH), Ref("user_id", "users.uuid", BOTH)],
        indexed=["group_id", "user_id"],
    )
    create(
        "image_aliases",
        uuid_id("id"),
        optional("alias", sa.String()),
        required("image", UUID),
        refs=[Ref("image", "images.id", DELETE)],
        unique=["alias"],
        indexed=["image"],
    )
    create(
        "sessions",
        uuid_id("id"),
        optional("creation_id", sa.String(32)),
        optional("name", sa.String(128)),
        required("session_type", sa.String(64), "interactive"),
        integer("priority", 10),
        flag("is_preemptible", True),
        integer("job_priority", 0),
        required("cluster_mode", sa.String(16), "single-node"),
        integer("cluster_size", 1),
        json_object("options"),
        optional("agent_ids", postgresql.ARRAY(sa.String())),
        optional("designated_agent_ids", postgresql.ARRAY(sa.String())),
        optional("session_group_id", UUID),
        required("resource_group_id", UUID),
        required("scaling_group_name", sa.String(64)),
        optional("target_sgroup_names", postgresql.ARRAY(sa.String(64)), EMPTY_VARCHARS),
        required("domain_name", sa.String(64)),
        required("domain_id", UUID),
        required("group_id", UUID),
        required("user_uuid", UUID),
        optional("access_key", sa.String(20)),
        optional("images", postgresql.ARRAY(sa.String())),
        optional("image_ids", postgresql.ARRAY(UUID)),
        optional("tag", sa.String(64)),
        optional("vfolder_mounts", JSONB),
        json_object("environ", null=True),
        optional("bootstrap_script", sa.String(16384)),
        flag("use_host_network", False),
        optional("timeout", sa.BigInteger()),
        optional("batch_timeout", sa.BigInteger()),
        optional("terminated_at", TIMESTAMP),
        optional("starts_at", TIMESTAMP),
        optional("requested_starts_at", TIMESTAMP),
        required("status", sa.String(64), "PENDING"),
        optional("status_info", sa.Text()),
        optional("status_data", JSONB),
        optional("status_history", JSONB),
        optional("callback_url", sa.Text()),
        optional("startup_command", sa.Text()),
        required("result", sa.String(64), "undefined"),
        integer("num_queries", 0, sa.BigInteger(), null=True),
        optional("last_stat", JSONB),
        optional("network_type", sa.String(64)),
        optional("network_id", sa.String(128)),
        optional("replica_id", UUID),
        *stamps("created_at"),
        refs=[
            Ref("domain_id", "domains.id"),
            Ref("domain_name", "domains.name", UPDATE),
            Ref("group_id", "groups.id"),
            Ref("resource_group_id", "scaling_groups.id"),
            Ref("scaling_group_name", "scaling_groups.name", UPDATE),
        ],
        indexed=[
            "access_key",
            "created_at",
            "domain_id",
            "group_id",
            "name",
            "priority",
            "resource_group_id",
            "result",
            "scaling_group_name",
            "session_group_id",
            "session_type",
            "status",
            "terminated_at",
            "user_uuid",
        ],
    )
    op.create_index("ix_sessions_status_priority", "sessions", ["status", "priority"])
    partial_unique(
        "uq_sessions_name_user_uuid_nonterminal",
        "sessions",
        ["name", "user_uuid"],
        where="status NOT IN ('CANCELLED', 'ERROR', 'TERMINATED')",
    )
    create(
        "sgroups_for_groups",
        uuid_id("id"),
        required("resource_group_id", UUID),
        required("group", UUID),
        sa.UniqueConstraint("resource_group_id", "group", name="uq_sgroup_ugroup"),
        refs=[Ref("group", "groups.id", BOTH), Ref("resource_group_id", "scaling_groups.id", BOTH)],
        indexed=["group", "resource_group_id"],
    )
    create(
        "sgroups_for_keypairs",
        uuid_id("id"),
        required("resource_group_id", UUID),
        required("access_key", sa.String(20)),
        sa.UniqueConstraint("resource_group_id", "access_key", name="uq_sgroup_akey"),
        refs=[
            Ref("access_key", "keypairs.access_key", BOTH),
            Ref("resource_group_id", "scaling_groups.id", BOTH),
        ],
        indexed=["access_key", "resource_group_id"],
    )
    create(
        "kernels",
        uuid_id("id"),
        required("session_id", UUID),
        optional("session_creation_id", sa.String(32)),
        optional("session_name", sa.String(128)),
        required("session_type", sa.String(64), "interactive"),
        required("cluster_mode", sa.String(16), "single-node"),
        integer("cluster_size", 1),
        required("cluster_role", sa.String(16), "main"),
        required("cluster_idx", sa.Integer()),
        integer("local_rank", 0),
        required("cluster_hostname", sa.String(64)),
        optional("uid", sa.Integer()),
        optional("main_gid", sa.Integer()),
        optional("gids", postgresql.ARRAY(sa.Integer())),
        required("scaling_group", sa.String(64)),
        required("resource_group_id", UUID),
        optional("agent", sa.String(64)),
        optional("agent_addr", sa.String(128)),
        required("domain_name", sa.String(64)),
        required("group_id", UUID),
        required("user_uuid", UUID),
        optional("access_key", sa.String(20)),
        optional("image", sa.String(512)),
        optional("image_id", UUID),
        optional("architecture", sa.String(32), "x86_64"),
        optional("registry", sa.String(512)),
        optional("tag", sa.String(64)),
        optional("container_id", sa.String(64)),
        json_object("occupied_shares"),
        optional("environ", postgresql.ARRAY(sa.String())),
        optional("mounts", postgresql.ARRAY(sa.String())),
        json_object("mount_map", null=True),
        optional("vfolder_mounts", JSONB),
        json_object("attached_devices", null=True),
        json_object("resource_opts", null=True),
        optional("bootstrap_script", sa.String(16384)),
        optional("kernel_host", sa.String(128)),
        integer("repl_in_port", 0),
        integer("repl_out_port", 0),
        integer("stdin_port", 0),
        integer("stdout_port", 0),
        optional("service_ports", JSONB),
        optional("preopen_ports", postgresql.ARRAY(sa.Integer())),
        flag("use_host_network", False),
        optional("terminated_at", TIMESTAMP),
        optional("starts_at", TIMESTAMP),
        required("status", sa.String(64), "PENDING"),
        optional("status_changed", TIMESTAMP),
        optional("status_info", sa.Text()),
        optional("status_data", JSONB),
        optional("status_history", JSONB),
        optional("callback_url", sa.Text()),
        optional("startup_command", sa.Text()),
        required("result", sa.String(64), "undefined"),
        optional("internal_data", JSONB),
        optional("container_log", sa.LargeBinary()),
        integer("num_queries", 0, sa.BigInteger(), null=True),
        optional("last_stat", JSONB),
        optional("last_seen", TIMESTAMP),
        optional("last_observed_at", TIMESTAMP),
        *stamps("created_at"),
        refs=[
            Ref("agent", "agents.id"),
            Ref("domain_name", "domains.name", UPDATE),
            Ref("group_id", "groups.id"),
            Ref("image_id", "images.id"),
            Ref("resource_group_id", "scaling_groups.id"),
            Ref("scaling_group", "scaling_groups.name", UPDATE),
            Ref("session_id", "sessions.id"),
        ],
        indexed=[
            "agent",
            "cluster_role",
            "image_id",
            "resource_group_id",
            "result",
            "scaling_group",
            "session_id",
            "session_name",
            "session_type",
            "status",
            "status_changed",
            "terminated_at",
        ],
    )
    op.create_index("ix_kernels_session_id_cluster_role", "kernels", ["session_id", "cluster_role"])
    op.create_index("ix_kernels_status_cluster_role", "kernels", ["status", "cluster_role"])
    create(
        "session_dependencies",
        required("session_id", UUID),
        required("depends_on", UUID),
        key=("session_id", "depends_on"),
        refs=[Ref("depends_on", "sessions.id", BOTH), Ref("session_id", "sessions.id", BOTH)],
        indexed=["depends_on", "session_id"],
    )
    create(
        "resource_allocations",
        uuid_id("id"),
        required("kernel_id", UUID),
        required("slot_name", sa.String(64)),
        required("requested", AMOUNT),
        required("prereserved", AMOUNT, ZERO),
        required("reserved", AMOUNT, ZERO),
        optional("used", AMOUNT),
        optional("prereserved_at", TIMESTAMP),
        optional("reserved_at", TIMESTAMP),
        optional("used_at", TIMESTAMP),
        optional("free_at", TIMESTAMP),
        *stamps("created_at"),
        sa.UniqueConstraint(
            "kernel_id", "slot_name", name="uq_resource_allocations_kernel_id_slot"
        ),
        refs=[
            Ref("kernel_id", "kernels.id", BOTH),
            Ref("slot_name", "resource_slot_types.slot_name", UPDATE),
        ],
        indexed=["slot_name"],
    )


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.drop_table(table)
    bind = op.get_bind()
    for enum_type in reversed(_ENUM_TYPES):
        enum_type.drop(bind, checkfirst=False)
