"""Map tests: QtWebEngine must be imported, and the tile scheme registered, before pytest-qt
creates the QApplication, so both happen when this conftest is imported. Basemap tiles point
at a closed loopback port: nothing leaves the machine and the map runs as if offline."""

from __future__ import annotations

import os
import socket

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

import PyQt6.QtWebEngineWidgets  # noqa: E402,F401  (before the QApplication)

from controlroom.widgets.map_view import register_map_scheme  # noqa: E402

register_map_scheme()


def closed_loopback_port() -> int:
    """A loopback port nobody listens on: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def offline_tiles(monkeypatch):
    url = f"http://127.0.0.1:{closed_loopback_port()}/{{z}}/{{x}}/{{y}}.png"
    monkeypatch.setenv("CONTROLROOM_TILE_URL", url)
    return url


@pytest.fixture
def map_context(demo_config, offline_tiles, qapp, make_core):
    """A real core with no broker (the map needs its bus, live state and duties, not a link)."""
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext

    core = make_core(demo_config)
    bridge = CoreBridge(core.bus, core.live, interval_ms=20)
    context = AppContext(config=demo_config, core=core, bridge=bridge)
    yield context
    context.shutdown()
    bridge.close()
