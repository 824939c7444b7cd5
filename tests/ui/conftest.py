"""Fixtures for the app shell: a real core (private broker, tmp SQLite) with its Qt bridge."""

from __future__ import annotations

import uuid

import pytest

try:  # must precede the QApplication (pytest-qt's qapp): the map panel uses WebEngine
    import PyQt6.QtWebEngineWidgets  # noqa: F401
except ImportError:
    pass


@pytest.fixture
def shell_context(qapp, demo_config, mqtt_broker, data_dir, tmp_path):
    """An AppContext around a started ControlRoomCore on a private Mosquitto and a tmp SQLite
    file, themed like the real app. Stops everything afterwards (shutdown hooks, bridge, core)."""
    from controlroom.core import ControlRoomCore
    from controlroom.ui.shell.app import apply_theme
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext

    apply_theme(qapp)
    core = ControlRoomCore(
        demo_config,
        db_url=f"sqlite:///{(tmp_path / 'shell.sqlite3').as_posix()}",
        broker_host=mqtt_broker.host,
        broker_port=mqtt_broker.port,
        client_id=f"shell-test-{uuid.uuid4().hex[:8]}",
    )
    bridge = CoreBridge(core.bus)
    context = AppContext(
        config=demo_config,
        core=core,
        bridge=bridge,
        broker_description=f"{mqtt_broker.host}:{mqtt_broker.port}",
    )
    context.broker = mqtt_broker
    core.start()
    yield context
    context.shutdown()
    bridge.close()
    core.stop()
