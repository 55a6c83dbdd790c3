"""Initial schema: tenancy, policies, scaling groups, agents, sessions, images, vfolders.

Revision ID: 6a1f0c2d9e47
Revises: (none)
Create Date: 2026-11-25 08:00:35.178483
"""

from collections.abc import Sequence

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

# In creation (foreign-key dependency) order.
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


def upgrade() -> None:
    bind = op.get_bind()
    for enum_type in _ENUM_TYPES:
        enum_type.create(bind, checkfirst=False)

    op.create_table(
        "container_registries",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("url", sa.String(length=512), nullable=False),
        sa.Column("registry_name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=64), server_default="docker", nullable=False),
        sa.Column("project", sa.String(length=255), nullable=True),
        sa.Column("username", sa.String(length=255), nullable=True),
        sa.Column("password", sa.String(), nullable=True),
        sa.Column("ssl_verify", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("is_global", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_container_registries")),
    )
    op.create_index(
        op.f("ix_container_registries_is_global"),
        "container_registries",
        ["is_global"],
        unique=False,
    )
    op.create_index(
        op.f("ix_container_registries_project"), "container_registries", ["project"], unique=False
    )
    op.create_index(
        op.f("ix_container_registries_registry_name"),
        "container_registries",
        ["registry_name"],
        unique=False,
    )
    op.create_index(
        op.f("ix_container_registries_ssl_verify"),
        "container_registries",
        ["ssl_verify"],
        unique=False,
    )
    op.create_index(
        op.f("ix_container_registries_type"), "container_registries", ["type"], unique=False
    )
    op.create_index(
        op.f("ix_container_registries_url"), "container_registries", ["url"], unique=False
    )
    op.create_table(
        "domains",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("description", sa.String(length=512), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("status", sa.String(length=64), server_default="active", nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "total_resource_slots",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "allowed_vfolder_hosts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "allowed_docker_registries",
            postgresql.ARRAY(sa.String()),
            server_default=sa.text("'{}'::varchar[]"),
            nullable=False,
        ),
        sa.Column("integration_id", sa.String(length=512), nullable=True),
        sa.Column(
            "dotfiles",
            sa.LargeBinary(length=65536),
            server_default=sa.text("'\\x90'::bytea"),
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_domains")),
        sa.UniqueConstraint("id", name=op.f("uq_domains_id")),
    )
    op.create_index(op.f("ix_domains_status"), "domains", ["status"], unique=False)
    op.create_index(
        "uq_domains_is_default",
        "domains",
        ["is_default"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )
    op.create_table(
        "keypair_resource_policies",
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("uuid", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "default_for_unspecified",
            default_for_unspecified_enum,
            server_default="LIMITED",
            nullable=False,
        ),
        sa.Column(
            "total_resource_slots",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "max_session_lifetime", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("max_concurrent_sessions", sa.Integer(), nullable=False),
        sa.Column("max_pending_session_count", sa.Integer(), nullable=True),
        sa.Column(
            "max_pending_session_resource_slots",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
        ),
        sa.Column("max_priority", sa.Integer(), nullable=True),
        sa.Column(
            "max_concurrent_sftp_sessions",
            sa.Integer(),
            server_default=sa.text("1"),
            nullable=False,
        ),
        sa.Column("max_containers_per_session", sa.Integer(), nullable=False),
        sa.Column("idle_timeout", sa.BigInteger(), nullable=False),
        sa.Column(
            "allowed_vfolder_hosts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_keypair_resource_policies")),
        sa.UniqueConstraint("uuid", name=op.f("uq_keypair_resource_policies_uuid")),
    )
    op.create_index(
        "uq_keypair_resource_policies_is_default",
        "keypair_resource_policies",
        ["is_default"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )
    op.create_table(
        "project_resource_policies",
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("uuid", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.Column("max_vfolder_count", sa.Integer(), nullable=False),
        sa.Column("max_quota_scope_size", sa.BigInteger(), nullable=False),
        sa.Column("max_network_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_project_resource_policies")),
        sa.UniqueConstraint("uuid", name=op.f("uq_project_resource_policies_uuid")),
    )
    op.create_table(
        "resource_presets",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("resource_slots", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("shared_memory", sa.BigInteger(), nullable=True),
        sa.Column("scaling_group_name", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_presets")),
    )
    op.create_index(
        "uq_resource_presets_name_global",
        "resource_presets",
        ["name"],
        unique=True,
        postgresql_where=sa.text("scaling_group_name IS NULL"),
    )
    op.create_index(
        "uq_resource_presets_name_scaling_group_name",
        "resource_presets",
        ["name", "scaling_group_name"],
        unique=True,
        postgresql_where=sa.text("scaling_group_name IS NOT NULL"),
    )
    op.create_table(
        "resource_slot_types",
        sa.Column("slot_name", sa.String(length=64), nullable=False),
        sa.Column("uuid", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("slot_type", sa.String(length=16), nullable=False),
        sa.Column("required", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("display_name", sa.String(length=128), server_default="", nullable=False),
        sa.Column("description", sa.String(length=256), server_default="", nullable=False),
        sa.Column("display_unit", sa.String(length=32), server_default="", nullable=False),
        sa.Column("display_icon", sa.String(length=64), server_default="", nullable=False),
        sa.Column(
            "number_format",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text('\'{"binary": false, "round_length": 0}\'::jsonb'),
            nullable=False,
        ),
        sa.Column("rank", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.PrimaryKeyConstraint("slot_name", name=op.f("pk_resource_slot_types")),
        sa.UniqueConstraint("uuid", name=op.f("uq_resource_slot_types_uuid")),
    )
    op.create_table(
        "scaling_groups",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("description", sa.String(length=512), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("is_public", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("wsproxy_addr", sa.String(length=1024), nullable=True),
        sa.Column("wsproxy_api_token", sa.String(length=128), nullable=True),
        sa.Column("driver", sa.String(length=64), nullable=False),
        sa.Column(
            "driver_opts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("scheduler", sa.String(length=64), nullable=False),
        sa.Column(
            "use_host_network", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "scheduler_opts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("fair_share_spec", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "default_deployment_options",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "default_session_options",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scaling_groups")),
        sa.UniqueConstraint("id", name=op.f("uq_scaling_groups_id")),
    )
    op.create_index(
        op.f("ix_scaling_groups_is_active"), "scaling_groups", ["is_active"], unique=False
    )
    op.create_index(
        op.f("ix_scaling_groups_is_public"), "scaling_groups", ["is_public"], unique=False
    )
    op.create_index(
        "uq_scaling_groups_is_default",
        "scaling_groups",
        ["is_default"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )
    op.create_table(
        "user_resource_policies",
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("uuid", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.Column("max_vfolder_count", sa.Integer(), nullable=False),
        sa.Column("max_quota_scope_size", sa.BigInteger(), nullable=False),
        sa.Column("max_session_count_per_model_session", sa.Integer(), nullable=False),
        sa.Column(
            "max_customized_image_count", sa.Integer(), server_default=sa.text("3"), nullable=False
        ),
        sa.Column("max_concurrent_logins", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_user_resource_policies")),
        sa.UniqueConstraint("uuid", name=op.f("uq_user_resource_policies_uuid")),
    )
    op.create_table(
        "vfolders",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("host", sa.String(length=128), nullable=False),
        sa.Column("domain_name", sa.String(length=64), nullable=False),
        sa.Column("quota_scope_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("usage_mode", sa.String(length=64), server_default="general", nullable=False),
        sa.Column(
            "default_mount_permission", sa.String(length=64), server_default="rw", nullable=False
        ),
        sa.Column("max_files", sa.Integer(), server_default=sa.text("1000"), nullable=True),
        sa.Column("max_size", sa.Integer(), nullable=True),
        sa.Column("num_files", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("cur_size", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("last_used", sa.DateTime(timezone=True), nullable=True),
        sa.Column("creator", sa.String(length=128), nullable=True),
        sa.Column("creator_id", sa.UUID(), nullable=True),
        sa.Column("unmanaged_path", sa.String(length=512), nullable=True),
        sa.Column("ownership_type", sa.String(length=64), server_default="user", nullable=False),
        sa.Column("user", sa.UUID(), nullable=True),
        sa.Column("group", sa.UUID(), nullable=True),
        sa.Column("cloneable", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("status", sa.String(length=64), server_default="ready", nullable=False),
        sa.Column("status_history", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("status_changed", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vfolders")),
    )
    op.create_index(op.f("ix_vfolders_domain_name"), "vfolders", ["domain_name"], unique=False)
    op.create_index(op.f("ix_vfolders_group"), "vfolders", ["group"], unique=False)
    op.create_index(op.f("ix_vfolders_host"), "vfolders", ["host"], unique=False)
    op.create_index(op.f("ix_vfolders_name"), "vfolders", ["name"], unique=False)
    op.create_index(
        op.f("ix_vfolders_ownership_type"), "vfolders", ["ownership_type"], unique=False
    )
    op.create_index(op.f("ix_vfolders_status"), "vfolders", ["status"], unique=False)
    op.create_index(
        op.f("ix_vfolders_status_changed"), "vfolders", ["status_changed"], unique=False
    )
    op.create_index(op.f("ix_vfolders_usage_mode"), "vfolders", ["usage_mode"], unique=False)
    op.create_index(op.f("ix_vfolders_user"), "vfolders", ["user"], unique=False)
    op.create_index(
        "uq_vfolders_group_name",
        "vfolders",
        ["group", "name"],
        unique=True,
        postgresql_where=sa.text("status NOT IN ('delete-complete', 'delete-error')"),
    )
    op.create_table(
        "agents",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("uuid", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("status", agent_status_enum, server_default="ALIVE", nullable=False),
        sa.Column("status_changed", sa.DateTime(timezone=True), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("scaling_group", sa.String(length=64), server_default="default", nullable=False),
        sa.Column("resource_group_id", sa.UUID(), nullable=False),
        sa.Column("schedulable", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("addr", sa.String(length=128), nullable=False),
        sa.Column("public_host", sa.String(length=256), nullable=True),
        sa.Column("public_key", sa.String(length=40), nullable=True),
        sa.Column(
            "first_contact",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=True,
        ),
        sa.Column("lost_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("architecture", sa.String(length=32), nullable=False),
        sa.Column(
            "compute_plugins",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "auto_terminate_abusing_kernel",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["resource_group_id"],
            ["scaling_groups.id"],
            name=op.f("fk_agents_resource_group_id_scaling_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["scaling_group"],
            ["scaling_groups.name"],
            name=op.f("fk_agents_scaling_group_scaling_groups"),
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
        sa.UniqueConstraint("uuid", name=op.f("uq_agents_uuid")),
    )
    op.create_index(op.f("ix_agents_region"), "agents", ["region"], unique=False)
    op.create_index(
        op.f("ix_agents_resource_group_id"), "agents", ["resource_group_id"], unique=False
    )
    op.create_index(op.f("ix_agents_scaling_group"), "agents", ["scaling_group"], unique=False)
    op.create_index(op.f("ix_agents_status"), "agents", ["status"], unique=False)
    op.create_table(
        "sgroups_for_domains",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("resource_group_id", sa.UUID(), nullable=False),
        sa.Column("domain_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["domain_id"],
            ["domains.id"],
            name=op.f("fk_sgroups_for_domains_domain_id_domains"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_group_id"],
            ["scaling_groups.id"],
            name=op.f("fk_sgroups_for_domains_resource_group_id_scaling_groups"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sgroups_for_domains")),
        sa.UniqueConstraint("resource_group_id", "domain_id", name="uq_sgroup_domain"),
    )
    op.create_index(
        op.f("ix_sgroups_for_domains_domain_id"), "sgroups_for_domains", ["domain_id"], unique=False
    )
    op.create_index(
        op.f("ix_sgroups_for_domains_resource_group_id"),
        "sgroups_for_domains",
        ["resource_group_id"],
        unique=False,
    )
    op.create_table(
        "users",
        sa.Column("uuid", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=64), nullable=False),
        sa.Column("password", sa.String(), nullable=True),
        sa.Column(
            "need_password_change", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "password_changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("full_name", sa.String(length=64), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column(
            "status", sa.String(length=64), server_default="before-verification", nullable=False
        ),
        sa.Column("status_info", sa.String(), nullable=True),
        sa.Column("integration_id", sa.String(length=512), nullable=True),
        sa.Column("domain_name", sa.String(length=64), nullable=False),
        sa.Column("domain_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.String(length=64), server_default="user", nullable=False),
        sa.Column("allowed_client_ip", postgresql.ARRAY(postgresql.CIDR()), nullable=True),
        sa.Column("totp_key", sa.String(length=32), nullable=True),
        sa.Column("totp_activated", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("totp_activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resource_policy", sa.String(length=256), nullable=False),
        sa.Column(
            "sudo_session_enabled", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("container_uid", sa.Integer(), nullable=True),
        sa.Column("container_main_gid", sa.Integer(), nullable=True),
        sa.Column("container_gids", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domains.id"], name=op.f("fk_users_domain_id_domains")
        ),
        sa.ForeignKeyConstraint(
            ["domain_name"],
            ["domains.name"],
            name=op.f("fk_users_domain_name_domains"),
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_policy"],
            ["user_resource_policies.name"],
            name=op.f("fk_users_resource_policy_user_resource_policies"),
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_domain_id"), "users", ["domain_id"], unique=False)
    op.create_index(op.f("ix_users_domain_name"), "users", ["domain_name"], unique=False)
    op.create_index(op.f("ix_users_status"), "users", ["status"], unique=False)
    op.create_table(
        "vfolder_invitations",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("permission", sa.String(length=64), server_default="rw", nullable=False),
        sa.Column("inviter", sa.String(length=256), nullable=False),
        sa.Column("invitee", sa.String(length=256), nullable=False),
        sa.Column("state", sa.String(length=64), server_default="pending", nullable=False),
        sa.Column("vfolder", sa.UUID(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.Column(
            "modified_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["vfolder"],
            ["vfolders.id"],
            name=op.f("fk_vfolder_invitations_vfolder_vfolders"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vfolder_invitations")),
    )
    op.create_index(
        op.f("ix_vfolder_invitations_invitee"), "vfolder_invitations", ["invitee"], unique=False
    )
    op.create_index(
        op.f("ix_vfolder_invitations_vfolder"), "vfolder_invitations", ["vfolder"], unique=False
    )
    op.create_table(
        "agent_resources",
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("slot_name", sa.String(length=64), nullable=False),
        sa.Column("agent_uuid", sa.UUID(), nullable=False),
        sa.Column("capacity", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column(
            "reserved",
            sa.Numeric(precision=24, scale=6),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "prereserved",
            sa.Numeric(precision=24, scale=6),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "used", sa.Numeric(precision=24, scale=6), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_agent_resources_agent_id_agents"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["slot_name"],
            ["resource_slot_types.slot_name"],
            name=op.f("fk_agent_resources_slot_name_resource_slot_types"),
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agent_id", "slot_name", name=op.f("pk_agent_resources")),
    )
    op.create_index(
        op.f("ix_agent_resources_slot_name"), "agent_resources", ["slot_name"], unique=False
    )
    op.create_table(
        "groups",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=512), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("status", sa.String(length=64), server_default="active", nullable=False),
        sa.Column("integration_id", sa.String(length=512), nullable=True),
        sa.Column("domain_name", sa.String(length=64), nullable=False),
        sa.Column(
            "total_resource_slots",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "allowed_vfolder_hosts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "dotfiles",
            sa.LargeBinary(length=65536),
            server_default=sa.text("'\\x90'::bytea"),
            nullable=False,
        ),
        sa.Column("resource_policy", sa.String(length=256), nullable=False),
        sa.Column("type", sa.String(length=64), server_default="general", nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=True),
        sa.Column("container_registry", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["users.uuid"], name=op.f("fk_groups_creator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["domain_name"],
            ["domains.name"],
            name=op.f("fk_groups_domain_name_domains"),
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_policy"],
            ["project_resource_policies.name"],
            name=op.f("fk_groups_resource_policy_project_resource_policies"),
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("name", "domain_name", name="uq_groups_name_domain_name"),
    )
    op.create_index(op.f("ix_groups_domain_name"), "groups", ["domain_name"], unique=False)
    op.create_index(op.f("ix_groups_status"), "groups", ["status"], unique=False)
    op.create_index(
        "uq_groups_personal_creator",
        "groups",
        ["creator_id"],
        unique=True,
        postgresql_where=sa.text("type = 'personal'"),
    )
    op.create_table(
        "images",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=True),
        sa.Column("image", sa.String(), nullable=False),
        sa.Column("tag", sa.Text(), nullable=True),
        sa.Column("registry", sa.String(), nullable=False),
        sa.Column("registry_id", sa.UUID(), nullable=False),
        sa.Column("architecture", sa.String(), server_default="x86_64", nullable=False),
        sa.Column("config_digest", sa.CHAR(length=72), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("is_local", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("type", image_type_enum, nullable=False),
        sa.Column("accelerators", sa.String(), nullable=True),
        sa.Column("labels", sa.JSON(), server_default=sa.text("'{}'::json"), nullable=False),
        sa.Column("customized", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("creator_id", sa.UUID(), nullable=True),
        sa.Column(
            "resources",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=64), server_default="ALIVE", nullable=False),
        sa.Column(
            "last_used_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["users.uuid"], name=op.f("fk_images_creator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["registry_id"],
            ["container_registries.id"],
            name=op.f("fk_images_registry_id_container_registries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_images")),
        sa.UniqueConstraint(
            "registry", "project", "name", "tag", "architecture", name="uq_image_identifier"
        ),
    )
    op.create_index(op.f("ix_images_architecture"), "images", ["architecture"], unique=False)
    op.create_index(op.f("ix_images_creator_id"), "images", ["creator_id"], unique=False)
    op.create_index(op.f("ix_images_image"), "images", ["image"], unique=False)
    op.create_index(op.f("ix_images_name"), "images", ["name"], unique=False)
    op.create_index(op.f("ix_images_registry"), "images", ["registry"], unique=False)
    op.create_index(op.f("ix_images_registry_id"), "images", ["registry_id"], unique=False)
    op.create_table(
        "keypairs",
        sa.Column("access_key", sa.String(length=20), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("secret_key", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("last_used", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rate_limit", sa.Integer(), server_default=sa.text("10000"), nullable=False),
        sa.Column("num_queries", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("ssh_public_key", sa.Text(), nullable=True),
        sa.Column("ssh_private_key", sa.Text(), nullable=True),
        sa.Column("user", sa.UUID(), nullable=False),
        sa.Column("resource_policy", sa.String(length=256), nullable=False),
        sa.Column(
            "dotfiles",
            sa.LargeBinary(length=65536),
            server_default=sa.text("'\\x90'::bytea"),
            nullable=False,
        ),
        sa.Column("bootstrap_script", sa.String(length=65536), server_default="", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["resource_policy"],
            ["keypair_resource_policies.name"],
            name=op.f("fk_keypairs_resource_policy_keypair_resource_policies"),
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user"], ["users.uuid"], name=op.f("fk_keypairs_user_users"), onupdate="CASCADE"
        ),
        sa.PrimaryKeyConstraint("access_key", name=op.f("pk_keypairs")),
        sa.UniqueConstraint("id", name=op.f("uq_keypairs_id")),
    )
    op.create_index(op.f("ix_keypairs_is_active"), "keypairs", ["is_active"], unique=False)
    op.create_index(op.f("ix_keypairs_is_admin"), "keypairs", ["is_admin"], unique=False)
    op.create_index(op.f("ix_keypairs_user"), "keypairs", ["user"], unique=False)
    op.create_index(
        "uq_keypairs_user_is_default",
        "keypairs",
        ["user"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )
    op.create_table(
        "vfolder_permissions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("vfolder", sa.UUID(), nullable=False),
        sa.Column("user", sa.UUID(), nullable=False),
        sa.Column("permission", sa.String(length=64), server_default="rw", nullable=False),
        sa.ForeignKeyConstraint(
            ["user"],
            ["users.uuid"],
            name=op.f("fk_vfolder_permissions_user_users"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vfolder"],
            ["vfolders.id"],
            name=op.f("fk_vfolder_permissions_vfolder_vfolders"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vfolder_permissions")),
        sa.UniqueConstraint("vfolder", "user", name="uq_vfolder_permissions_vfolder_user"),
    )
    op.create_index(
        op.f("ix_vfolder_permissions_user"), "vfolder_permissions", ["user"], unique=False
    )
    op.create_index(
        op.f("ix_vfolder_permissions_vfolder"), "vfolder_permissions", ["vfolder"], unique=False
    )
    op.create_table(
        "agent_installed_images",
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("image_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_agent_installed_images_agent_id_agents"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["image_id"],
            ["images.id"],
            name=op.f("fk_agent_installed_images_image_id_images"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agent_id", "image_id", name=op.f("pk_agent_installed_images")),
    )
    op.create_index(
        op.f("ix_agent_installed_images_image_id"),
        "agent_installed_images",
        ["image_id"],
        unique=False,
    )
    op.create_table(
        "association_groups_users",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("group_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_association_groups_users_group_id_groups"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.uuid"],
            name=op.f("fk_association_groups_users_user_id_users"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_association_groups_users")),
        sa.UniqueConstraint("user_id", "group_id", name="uq_association_user_id_group_id"),
    )
    op.create_index(
        op.f("ix_association_groups_users_group_id"),
        "association_groups_users",
        ["group_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_association_groups_users_user_id"),
        "association_groups_users",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "image_aliases",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("alias", sa.String(), nullable=True),
        sa.Column("image", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["image"], ["images.id"], name=op.f("fk_image_aliases_image_images"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_image_aliases")),
        sa.UniqueConstraint("alias", name=op.f("uq_image_aliases_alias")),
    )
    op.create_index(op.f("ix_image_aliases_image"), "image_aliases", ["image"], unique=False)
    op.create_table(
        "sessions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("creation_id", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column(
            "session_type", sa.String(length=64), server_default="interactive", nullable=False
        ),
        sa.Column("priority", sa.Integer(), server_default=sa.text("10"), nullable=False),
        sa.Column("is_preemptible", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("job_priority", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "cluster_mode", sa.String(length=16), server_default="single-node", nullable=False
        ),
        sa.Column("cluster_size", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "options",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("agent_ids", postgresql.ARRAY(sa.String()), nullable=True),
        sa.Column("designated_agent_ids", postgresql.ARRAY(sa.String()), nullable=True),
        sa.Column("session_group_id", sa.UUID(), nullable=True),
        sa.Column("resource_group_id", sa.UUID(), nullable=False),
        sa.Column("scaling_group_name", sa.String(length=64), nullable=False),
        sa.Column(
            "target_sgroup_names",
            postgresql.ARRAY(sa.String(length=64)),
            server_default=sa.text("'{}'::varchar[]"),
            nullable=True,
        ),
        sa.Column("domain_name", sa.String(length=64), nullable=False),
        sa.Column("domain_id", sa.UUID(), nullable=False),
        sa.Column("group_id", sa.UUID(), nullable=False),
        sa.Column("user_uuid", sa.UUID(), nullable=False),
        sa.Column("access_key", sa.String(length=20), nullable=True),
        sa.Column("images", postgresql.ARRAY(sa.String()), nullable=True),
        sa.Column("image_ids", postgresql.ARRAY(sa.UUID()), nullable=True),
        sa.Column("tag", sa.String(length=64), nullable=True),
        sa.Column("vfolder_mounts", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "environ",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("bootstrap_script", sa.String(length=16384), nullable=True),
        sa.Column(
            "use_host_network", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("timeout", sa.BigInteger(), nullable=True),
        sa.Column("batch_timeout", sa.BigInteger(), nullable=True),
        sa.Column("terminated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=64), server_default="PENDING", nullable=False),
        sa.Column("status_info", sa.Text(), nullable=True),
        sa.Column("status_data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("status_history", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("callback_url", sa.Text(), nullable=True),
        sa.Column("startup_command", sa.Text(), nullable=True),
        sa.Column("result", sa.String(length=64), server_default="undefined", nullable=False),
        sa.Column("num_queries", sa.BigInteger(), server_default=sa.text("0"), nullable=True),
        sa.Column("last_stat", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("network_type", sa.String(length=64), nullable=True),
        sa.Column("network_id", sa.String(length=128), nullable=True),
        sa.Column("replica_id", sa.UUID(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domains.id"], name=op.f("fk_sessions_domain_id_domains")
        ),
        sa.ForeignKeyConstraint(
            ["domain_name"],
            ["domains.name"],
            name=op.f("fk_sessions_domain_name_domains"),
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_sessions_group_id_groups")
        ),
        sa.ForeignKeyConstraint(
            ["resource_group_id"],
            ["scaling_groups.id"],
            name=op.f("fk_sessions_resource_group_id_scaling_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["scaling_group_name"],
            ["scaling_groups.name"],
            name=op.f("fk_sessions_scaling_group_name_scaling_groups"),
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    op.create_index(op.f("ix_sessions_access_key"), "sessions", ["access_key"], unique=False)
    op.create_index("ix_sessions_created_at", "sessions", ["created_at"], unique=False)
    op.create_index(op.f("ix_sessions_domain_id"), "sessions", ["domain_id"], unique=False)
    op.create_index(op.f("ix_sessions_group_id"), "sessions", ["group_id"], unique=False)
    op.create_index(op.f("ix_sessions_name"), "sessions", ["name"], unique=False)
    op.create_index(op.f("ix_sessions_priority"), "sessions", ["priority"], unique=False)
    op.create_index(
        op.f("ix_sessions_resource_group_id"), "sessions", ["resource_group_id"], unique=False
    )
    op.create_index(op.f("ix_sessions_result"), "sessions", ["result"], unique=False)
    op.create_index(
        op.f("ix_sessions_scaling_group_name"), "sessions", ["scaling_group_name"], unique=False
    )
    op.create_index(
        op.f("ix_sessions_session_group_id"), "sessions", ["session_group_id"], unique=False
    )
    op.create_index(op.f("ix_sessions_session_type"), "sessions", ["session_type"], unique=False)
    op.create_index(op.f("ix_sessions_status"), "sessions", ["status"], unique=False)
    op.create_index("ix_sessions_status_priority", "sessions", ["status", "priority"], unique=False)
    op.create_index(op.f("ix_sessions_terminated_at"), "sessions", ["terminated_at"], unique=False)
    op.create_index(op.f("ix_sessions_user_uuid"), "sessions", ["user_uuid"], unique=False)
    op.create_index(
        "uq_sessions_name_user_uuid_nonterminal",
        "sessions",
        ["name", "user_uuid"],
        unique=True,
        postgresql_where=sa.text("status NOT IN ('CANCELLED', 'ERROR', 'TERMINATED')"),
    )
    op.create_table(
        "sgroups_for_groups",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("resource_group_id", sa.UUID(), nullable=False),
        sa.Column("group", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group"],
            ["groups.id"],
            name=op.f("fk_sgroups_for_groups_group_groups"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_group_id"],
            ["scaling_groups.id"],
            name=op.f("fk_sgroups_for_groups_resource_group_id_scaling_groups"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sgroups_for_groups")),
        sa.UniqueConstraint("resource_group_id", "group", name="uq_sgroup_ugroup"),
    )
    op.create_index(
        op.f("ix_sgroups_for_groups_group"), "sgroups_for_groups", ["group"], unique=False
    )
    op.create_index(
        op.f("ix_sgroups_for_groups_resource_group_id"),
        "sgroups_for_groups",
        ["resource_group_id"],
        unique=False,
    )
    op.create_table(
        "sgroups_for_keypairs",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("resource_group_id", sa.UUID(), nullable=False),
        sa.Column("access_key", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["access_key"],
            ["keypairs.access_key"],
            name=op.f("fk_sgroups_for_keypairs_access_key_keypairs"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_group_id"],
            ["scaling_groups.id"],
            name=op.f("fk_sgroups_for_keypairs_resource_group_id_scaling_groups"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sgroups_for_keypairs")),
        sa.UniqueConstraint("resource_group_id", "access_key", name="uq_sgroup_akey"),
    )
    op.create_index(
        op.f("ix_sgroups_for_keypairs_access_key"),
        "sgroups_for_keypairs",
        ["access_key"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sgroups_for_keypairs_resource_group_id"),
        "sgroups_for_keypairs",
        ["resource_group_id"],
        unique=False,
    )
    op.create_table(
        "kernels",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("session_creation_id", sa.String(length=32), nullable=True),
        sa.Column("session_name", sa.String(length=128), nullable=True),
        sa.Column(
            "session_type", sa.String(length=64), server_default="interactive", nullable=False
        ),
        sa.Column(
            "cluster_mode", sa.String(length=16), server_default="single-node", nullable=False
        ),
        sa.Column("cluster_size", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("cluster_role", sa.String(length=16), server_default="main", nullable=False),
        sa.Column("cluster_idx", sa.Integer(), nullable=False),
        sa.Column("local_rank", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("cluster_hostname", sa.String(length=64), nullable=False),
        sa.Column("uid", sa.Integer(), nullable=True),
        sa.Column("main_gid", sa.Integer(), nullable=True),
        sa.Column("gids", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.Column("scaling_group", sa.String(length=64), nullable=False),
        sa.Column("resource_group_id", sa.UUID(), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=True),
        sa.Column("agent_addr", sa.String(length=128), nullable=True),
        sa.Column("domain_name", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.UUID(), nullable=False),
        sa.Column("user_uuid", sa.UUID(), nullable=False),
        sa.Column("access_key", sa.String(length=20), nullable=True),
        sa.Column("image", sa.String(length=512), nullable=True),
        sa.Column("image_id", sa.UUID(), nullable=True),
        sa.Column("architecture", sa.String(length=32), server_default="x86_64", nullable=True),
        sa.Column("registry", sa.String(length=512), nullable=True),
        sa.Column("tag", sa.String(length=64), nullable=True),
        sa.Column("container_id", sa.String(length=64), nullable=True),
        sa.Column(
            "occupied_shares",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("environ", postgresql.ARRAY(sa.String()), nullable=True),
        sa.Column("mounts", postgresql.ARRAY(sa.String()), nullable=True),
        sa.Column(
            "mount_map",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("vfolder_mounts", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "attached_devices",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column(
            "resource_opts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("bootstrap_script", sa.String(length=16384), nullable=True),
        sa.Column("kernel_host", sa.String(length=128), nullable=True),
        sa.Column("repl_in_port", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("repl_out_port", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("stdin_port", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("stdout_port", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("service_ports", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("preopen_ports", postgresql.ARRAY(sa.Integer()), nullable=True),
        sa.Column(
            "use_host_network", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("terminated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=64), server_default="PENDING", nullable=False),
        sa.Column("status_changed", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_info", sa.Text(), nullable=True),
        sa.Column("status_data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("status_history", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("callback_url", sa.Text(), nullable=True),
        sa.Column("startup_command", sa.Text(), nullable=True),
        sa.Column("result", sa.String(length=64), server_default="undefined", nullable=False),
        sa.Column("internal_data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("container_log", sa.LargeBinary(), nullable=True),
        sa.Column("num_queries", sa.BigInteger(), server_default=sa.text("0"), nullable=True),
        sa.Column("last_stat", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_observed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.ForeignKeyConstraint(["agent"], ["agents.id"], name=op.f("fk_kernels_agent_agents")),
        sa.ForeignKeyConstraint(
            ["domain_name"],
            ["domains.name"],
            name=op.f("fk_kernels_domain_name_domains"),
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_kernels_group_id_groups")
        ),
        sa.ForeignKeyConstraint(
            ["image_id"], ["images.id"], name=op.f("fk_kernels_image_id_images")
        ),
        sa.ForeignKeyConstraint(
            ["resource_group_id"],
            ["scaling_groups.id"],
            name=op.f("fk_kernels_resource_group_id_scaling_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["scaling_group"],
            ["scaling_groups.name"],
            name=op.f("fk_kernels_scaling_group_scaling_groups"),
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_kernels_session_id_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kernels")),
    )
    op.create_index(op.f("ix_kernels_agent"), "kernels", ["agent"], unique=False)
    op.create_index(op.f("ix_kernels_cluster_role"), "kernels", ["cluster_role"], unique=False)
    op.create_index(op.f("ix_kernels_image_id"), "kernels", ["image_id"], unique=False)
    op.create_index(
        op.f("ix_kernels_resource_group_id"), "kernels", ["resource_group_id"], unique=False
    )
    op.create_index(op.f("ix_kernels_result"), "kernels", ["result"], unique=False)
    op.create_index(op.f("ix_kernels_scaling_group"), "kernels", ["scaling_group"], unique=False)
    op.create_index(op.f("ix_kernels_session_id"), "kernels", ["session_id"], unique=False)
    op.create_index(
        "ix_kernels_session_id_cluster_role",
        "kernels",
        ["session_id", "cluster_role"],
        unique=False,
    )
    op.create_index(op.f("ix_kernels_session_name"), "kernels", ["session_name"], unique=False)
    op.create_index(op.f("ix_kernels_session_type"), "kernels", ["session_type"], unique=False)
    op.create_index(op.f("ix_kernels_status"), "kernels", ["status"], unique=False)
    op.create_index(op.f("ix_kernels_status_changed"), "kernels", ["status_changed"], unique=False)
    op.create_index(
        "ix_kernels_status_cluster_role", "kernels", ["status", "cluster_role"], unique=False
    )
    op.create_index(op.f("ix_kernels_terminated_at"), "kernels", ["terminated_at"], unique=False)
    op.create_table(
        "session_dependencies",
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("depends_on", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["depends_on"],
            ["sessions.id"],
            name=op.f("fk_session_dependencies_depends_on_sessions"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_session_dependencies_session_id_sessions"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "depends_on", name=op.f("pk_session_dependencies")),
    )
    op.create_index(
        op.f("ix_session_dependencies_depends_on"),
        "session_dependencies",
        ["depends_on"],
        unique=False,
    )
    op.create_index(
        op.f("ix_session_dependencies_session_id"),
        "session_dependencies",
        ["session_id"],
        unique=False,
    )
    op.create_table(
        "resource_allocations",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("kernel_id", sa.UUID(), nullable=False),
        sa.Column("slot_name", sa.String(length=64), nullable=False),
        sa.Column("requested", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column(
            "prereserved",
            sa.Numeric(precision=24, scale=6),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "reserved",
            sa.Numeric(precision=24, scale=6),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("used", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("prereserved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("free_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["kernel_id"],
            ["kernels.id"],
            name=op.f("fk_resource_allocations_kernel_id_kernels"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["slot_name"],
            ["resource_slot_types.slot_name"],
            name=op.f("fk_resource_allocations_slot_name_resource_slot_types"),
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_allocations")),
        sa.UniqueConstraint(
            "kernel_id", "slot_name", name="uq_resource_allocations_kernel_id_slot"
        ),
    )
    op.create_index(
        op.f("ix_resource_allocations_slot_name"),
        "resource_allocations",
        ["slot_name"],
        unique=False,
    )


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.drop_table(table)
    bind = op.get_bind()
    for enum_type in reversed(_ENUM_TYPES):
        enum_type.drop(bind, checkfirst=False)
