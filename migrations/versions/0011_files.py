"""files of requests: evidence, results for the requester, internal documents (§12.3)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 08:30:00

The content is sealed in the file store (PIRIGHTS_FILES_URL); the row holds what can be
shown without it, and the name encrypted.
"""

import sqlalchemy as sa
from alembic import op

TS = sa.DateTime(timezone=True)

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the files table."""
    op.create_table(
        "files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=12), nullable=False),
        sa.Column("added_by", sa.String(length=80), nullable=False),
        sa.Column("name", sa.LargeBinary(), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("blob", sa.String(length=40), nullable=True),
        sa.Column("key_id", sa.String(length=8), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("erased_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_files_request_id_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
        sa.UniqueConstraint("blob", name=op.f("uq_files_blob")),
    )
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.create_index("ix_files_request", ["request_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_files_key_id"), ["key_id"], unique=False)


def downgrade() -> None:
    """Drop the files table (and with it every file's row; the store is left as it is)."""
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_files_key_id"))
        batch_op.drop_index("ix_files_request")
    op.drop_table("files")
