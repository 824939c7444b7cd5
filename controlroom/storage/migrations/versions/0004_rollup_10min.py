"""Ten-minute rollups, filled from the minute rollups already stored.

Multi-day graph windows read these instead of thousands of minute buckets per series.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rollup_10min",
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("sensor_id", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("bucket_ms", sa.BigInteger(), nullable=False),
        sa.Column("min", sa.Float(), nullable=False),
        sa.Column("max", sa.Float(), nullable=False),
        sa.Column("sum", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "sensor_id", "metric", "bucket_ms", name=op.f("pk_rollup_10min")),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO rollup_10min (site_id, sensor_id, metric, bucket_ms, min, max, sum, count) "
        "SELECT site_id, sensor_id, metric, bucket_ms - bucket_ms % 600000, MIN(min), MAX(max), SUM(sum), SUM(count) "
        "FROM rollup_minute GROUP BY site_id, sensor_id, metric, bucket_ms - bucket_ms % 600000"
    )


def downgrade() -> None:
    op.drop_table("rollup_10min")
