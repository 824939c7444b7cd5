"""The daily broadcast programme, editable by operators (seeded from the site config).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 22:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "broadcast_programme",
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("time", sa.String(length=5), nullable=False),
        sa.Column("weekdays", JSON, nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("file", sa.Text(), nullable=True),
        sa.Column("priority", sa.String(length=16), server_default="routine", nullable=False),
        sa.Column("volume", sa.Integer(), server_default="70", nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "id", name=op.f("pk_broadcast_programme")),
        comment="the daily broadcast programme; seeded from the site config, edited by operators",
    )


def downgrade() -> None:
    op.drop_table("broadcast_programme")
