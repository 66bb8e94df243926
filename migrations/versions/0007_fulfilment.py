"""fulfilment: data systems, their tasks per request, and service tokens tied to a system

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 05:02:33
"""

import sqlalchemy as sa
from alembic import op

TS = sa.DateTime(timezone=True)


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "systems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("webhook_url", sa.String(length=2048), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("handles", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("deactivated_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_systems")),
        sa.UniqueConstraint("name", name=op.f("uq_systems_name")),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.String(length=12), nullable=True),
        sa.Column("detail", sa.LargeBinary(), nullable=True),
        sa.Column("answered_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_tasks_outbox_id_outbox")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_tasks_request_id_requests")
        ),
        sa.ForeignKeyConstraint(
            ["system_id"], ["systems.id"], name=op.f("fk_tasks_system_id_systems")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_request", ["request_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_system_id"), ["system_id"], unique=False)

    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("system_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_staff_system_id_systems"), "systems", ["system_id"], ["id"]
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_staff_system_id_systems"), type_="foreignkey")
        batch_op.drop_column("system_id")

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_system_id"))
        batch_op.drop_index("ix_tasks_request")

    op.drop_table("tasks")
    op.drop_table("systems")
