"""Initial schema: sensor data, rollups, devices, alerts, broadcasts, operators, audit.

Times are BIGINT epoch milliseconds UTC (see controlroom.storage.models). Written out in
full rather than via metadata.create_all, so later changes to models.py never alter what
this revision did.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 21:50:35.565190
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alerts',
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=128), server_default='', nullable=False),
    sa.Column('rule', sa.String(length=128), server_default='', nullable=False),
    sa.Column('severity', sa.Integer(), server_default='0', nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('title', sa.Text(), server_default='', nullable=False),
    sa.Column('message', sa.Text(), server_default='', nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('raised_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.Column('acknowledged_by', sa.String(length=64), nullable=True),
    sa.Column('acknowledged_at', sa.BigInteger(), nullable=True),
    sa.Column('cleared_at', sa.BigInteger(), nullable=True),
    sa.Column('detail', JSON, nullable=True),
    sa.PrimaryKeyConstraint('site_id', 'id', name=op.f('pk_alerts'))
    )
    op.create_index(op.f('ix_alerts_site_id_state_raised_at'), 'alerts', ['site_id', 'state', 'raised_at'], unique=False)

    op.create_table('audit_log',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.BigInteger(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=128), server_default='', nullable=False),
    sa.Column('detail', JSON, nullable=True),
    sa.Column('prev_hash', sa.String(length=128), server_default='', nullable=False),
    sa.Column('hash', sa.String(length=128), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_log'))
    )
    op.create_index(op.f('ix_audit_log_site_id_seq'), 'audit_log', ['site_id', 'seq'], unique=False)
    op.create_index(op.f('ix_audit_log_site_id_ts'), 'audit_log', ['site_id', 'ts'], unique=False)

    op.create_table('broadcasts',
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('operator', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('title', sa.Text(), server_default='', nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('priority', sa.Integer(), server_default='0', nullable=False),
    sa.Column('targets', JSON, nullable=True),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('finished_at', sa.BigInteger(), nullable=True),
    sa.Column('detail', JSON, nullable=True),
    sa.PrimaryKeyConstraint('site_id', 'id', name=op.f('pk_broadcasts'))
    )
    op.create_index(op.f('ix_broadcasts_site_id_created_at'), 'broadcasts', ['site_id', 'created_at'], unique=False)

    op.create_table('device_status_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.BigInteger(), nullable=False),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_status_history'))
    )
    op.create_index(op.f('ix_device_status_history_site_id_device_id_ts'), 'device_status_history', ['site_id', 'device_id', 'ts'], unique=False)

    op.create_table('devices',
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('site_id', 'device_id', name=op.f('pk_devices'))
    )
    op.create_table('operators',
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('salt', sa.Text(), server_default='', nullable=False),
    sa.Column('params', JSON, nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('site_id', 'username', name=op.f('pk_operators'))
    )
    op.create_table('readings',
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('sensor_id', sa.String(length=64), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('ts_ms', sa.BigInteger(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('site_id', 'sensor_id', 'metric', 'ts_ms', name=op.f('pk_readings')),
    sqlite_with_rowid=False
    )
    op.create_table('rollup_hour',
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('sensor_id', sa.String(length=64), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('bucket_ms', sa.BigInteger(), nullable=False),
    sa.Column('min', sa.Float(), nullable=False),
    sa.Column('max', sa.Float(), nullable=False),
    sa.Column('sum', sa.Float(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('site_id', 'sensor_id', 'metric', 'bucket_ms', name=op.f('pk_rollup_hour')),
    sqlite_with_rowid=False
    )
    op.create_table('rollup_minute',
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('sensor_id', sa.String(length=64), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('bucket_ms', sa.BigInteger(), nullable=False),
    sa.Column('min', sa.Float(), nullable=False),
    sa.Column('max', sa.Float(), nullable=False),
    sa.Column('sum', sa.Float(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('site_id', 'sensor_id', 'metric', 'bucket_ms', name=op.f('pk_rollup_minute')),
    sqlite_with_rowid=False
    )
    op.create_table('series',
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('sensor_id', sa.String(length=64), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('first_ms', sa.BigInteger(), nullable=False),
    sa.Column('last_ms', sa.BigInteger(), nullable=False),
    sa.Column('last_value', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('site_id', 'sensor_id', 'metric', name=op.f('pk_series')),
    comment='one row per sensor metric: its latest value and the series list for retention'
    )
    op.create_table('shift_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.BigInteger(), nullable=False),
    sa.Column('operator', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('detail', JSON, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_log'))
    )
    op.create_index(op.f('ix_shift_log_site_id_ts'), 'shift_log', ['site_id', 'ts'], unique=False)

    op.create_table('snapshots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('camera_id', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.BigInteger(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('operator', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snapshots'))
    )
    op.create_index(op.f('ix_snapshots_site_id_camera_id_ts'), 'snapshots', ['site_id', 'camera_id', 'ts'], unique=False)

    op.create_table('alert_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('alert_id', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.BigInteger(), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=True),
    sa.Column('to_state', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('comment', sa.Text(), server_default='', nullable=False),
    sa.Column('detail', JSON, nullable=True),
    sa.ForeignKeyConstraint(['site_id', 'alert_id'], ['alerts.site_id', 'alerts.id'], name=op.f('fk_alert_events_site_id_alerts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_events'))
    )
    op.create_index(op.f('ix_alert_events_site_id_alert_id_ts'), 'alert_events', ['site_id', 'alert_id', 'ts'], unique=False)

    op.create_table('broadcast_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('broadcast_id', sa.String(length=64), nullable=False),
    sa.Column('speaker_id', sa.String(length=64), nullable=False),
    sa.Column('result', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['site_id', 'broadcast_id'], ['broadcasts.site_id', 'broadcasts.id'], name=op.f('fk_broadcast_deliveries_site_id_broadcasts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcast_deliveries')),
    sa.UniqueConstraint('site_id', 'broadcast_id', 'speaker_id', name=op.f('uq_broadcast_deliveries_site_id_broadcast_id_speaker_id'))
    )


def downgrade() -> None:
    op.drop_table('broadcast_deliveries')
    op.drop_index(op.f('ix_alert_events_site_id_alert_id_ts'), table_name='alert_events')
    op.drop_table('alert_events')
    op.drop_index(op.f('ix_snapshots_site_id_camera_id_ts'), table_name='snapshots')
    op.drop_table('snapshots')
    op.drop_index(op.f('ix_shift_log_site_id_ts'), table_name='shift_log')
    op.drop_table('shift_log')
    op.drop_table('series')
    op.drop_table('rollup_minute')
    op.drop_table('rollup_hour')
    op.drop_table('readings')
    op.drop_table('operators')
    op.drop_table('devices')
    op.drop_index(op.f('ix_device_status_history_site_id_device_id_ts'), table_name='device_status_history')
    op.drop_table('device_status_history')
    op.drop_index(op.f('ix_broadcasts_site_id_created_at'), table_name='broadcasts')
    op.drop_table('broadcasts')
    op.drop_index(op.f('ix_audit_log_site_id_ts'), table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_site_id_seq'), table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_index(op.f('ix_alerts_site_id_state_raised_at'), table_name='alerts')
    op.drop_table('alerts')
