"""The service tests' started service."""

from __future__ import annotations

import pytest

from controlroom.service.runner import ControlRoomService


@pytest.fixture
def service(second_config, mqtt_broker, tmp_path, data_dir):
    """The second commune's service on a private broker and an SQLite file, started (so the
    database is migrated and accounts can go in), stopped after the test."""
    started = ControlRoomService(second_config, db_url=f"sqlite:///{(tmp_path / 'service.sqlite3').as_posix()}",
                                 feed_options={"host": mqtt_broker.host, "port": mqtt_broker.port},
                                 data_dir=data_dir, monitor_cameras=False)
    started.start()
    yield started
    started.stop()
