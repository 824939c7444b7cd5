"""Flood duty: warning bulletins (repeat bookkeeping) and the quick damage report.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 22:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flood_bulletins",
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("sensor_id", sa.String(length=64), nullable=True),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("villages", JSON, nullable=False),
        sa.Column("risk_level", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("interval_s", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("repeats_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_due_at", sa.BigInteger(), nullable=True),
        sa.Column("ended_at", sa.BigInteger(), nullable=True),
        sa.Column("ended_by", sa.String(length=64), nullable=True),
        sa.Column("superseded_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("site_id", "id", name=op.f("pk_flood_bulletins")),
        comment="flood warning bulletins; repeats are claimed by compare-and-set on repeats_done",
    )
    op.create_table(
        "damage_events",
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("hazard", sa.Text(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("ended_at", sa.BigInteger(), nullable=True),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "id", name=op.f("pk_damage_events")),
    )
    op.create_table(
        "damage_entries",
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("village", sa.String(length=64), nullable=False),
        sa.Column("indicator", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "event_id", "village", "indicator", name=op.f("pk_damage_entries")),
        comment="cumulative damage figures per village and indicator over one disaster event",
    )


def downgrade() -> None:
    op.drop_table("damage_entries")
    op.drop_table("damage_events")
    op.drop_table("flood_bulletins")
