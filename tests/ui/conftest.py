"""Fixtures for the app shell: a real core (private broker, tmp SQLite) with its Qt bridge."""

from __future__ import annotations

import pytest

try:  # must precede the QApplication (pytest-qt's qapp): the map panel uses WebEngine
    import PyQt6.QtWebEngineWidgets  # noqa: F401
except ImportError:
    pass


@pytest.fixture
def shell_context(qapp, demo_config, mqtt_broker, make_core):
    """An AppContext around a started ControlRoomCore on a private Mosquitto and a tmp SQLite
    file, themed like the real app. Stops everything afterwards (shutdown hooks, bridge, core)."""
    from controlroom.ui.shell.app import apply_theme
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext

    apply_theme(qapp)
    core = make_core(demo_config, broker=mqtt_broker, start=False)
    bridge = CoreBridge(core.bus, core.live)
    core.start()
    context = AppContext(config=demo_config, core=core, bridge=bridge,
                         broker_description=f"{mqtt_broker.host}:{mqtt_broker.port}")
    context.broker = mqtt_broker
    yield context
    context.shutdown()
    bridge.close()
