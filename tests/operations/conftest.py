"""Operations fixtures: a real SQLite database with the storage writer, a real core, and a
main window built from small stand-in panels with the same public methods as the real ones
(flood mode and the screen manager must not start cameras or WebEngine)."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from controlroom.cameras.views import WallView
from controlroom.ui.shell.panels import Panel

from controlroom.bus import EventBus
from controlroom.config import DatabaseConfig
from controlroom.storage.db import create_engine_for, migrate
from controlroom.storage.writer import StorageWriter


@pytest.fixture
def engine(tmp_path):
    engine = create_engine_for(f"sqlite:///{(tmp_path / 'ops.sqlite3').as_posix()}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def writer(engine, demo_config):
    writer = StorageWriter(engine, EventBus(), demo_config.site.id, DatabaseConfig())
    writer.start()
    yield writer
    writer.stop()


@pytest.fixture
def ops_context(qapp, demo_config, mqtt_broker, make_core):
    """An AppContext around a started ControlRoomCore (private Mosquitto, tmp SQLite)."""
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext

    core = make_core(demo_config, broker=mqtt_broker)
    bridge = CoreBridge(core.bus, core.live)
    context = AppContext(config=demo_config, core=core, bridge=bridge)
    yield context
    context.shutdown()
    bridge.close()


@pytest.fixture
def make_window(qtbot, ops_context, tmp_path):
    """Build a MainWindow of stand-in panels with its own settings file."""
    from PyQt6.QtCore import QSettings

    from controlroom.ui.shell.main_window import MainWindow

    def make(extra_panels: tuple[Panel, ...] = ()):
        settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
        window = MainWindow(ops_context, panels=[*stub_panels(), *extra_panels], settings=settings)
        qtbot.addWidget(window)
        return window

    return make



class WallPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.view = WallView("mine", "2x2", ["cam01", "cam02", None, None])
        self.readers_started = 1  # stands for the running streams: never rebuilt by modes
        row = QHBoxLayout()
        row.addWidget(QLabel("Layout"))
        self.layout_box = QComboBox()
        row.addWidget(self.layout_box)
        row.addWidget(QPushButton("Snapshot"))
        outer = QVBoxLayout(self)
        outer.addLayout(row)
        outer.addWidget(QLabel("tiles"), 1)

    @property
    def operator_view(self):
        return self.view

    def apply_view(self, view):
        self.view = view


class GraphPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.sensor_box = QComboBox(self)
        for item in ("flood", "wl_bo", "aq_office"):
            self.sensor_box.addItem(item, item)
        self.sensor_box.setCurrentIndex(2)
        self.showing = "aq_office"

    def show_flood_picture(self):
        self.sensor_box.setCurrentIndex(0)
        self.showing = "flood"

    def show_sensor(self, sensor_id, metric=None):
        self.showing = sensor_id


class AlertsPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.kind_filter = QComboBox(self)
        self.kind_filter.addItem("all", None)
        for kind in ("threshold", "alarm_level", "camera_offline"):
            self.kind_filter.addItem(kind, kind)


class BroadcastStub(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._preset_zone = None

    def preset_zone(self, zone_id):
        self._preset_zone = zone_id


class MapStub(QWidget):
    mapReady = pyqtSignal()

    class _View:
        is_ready = True

        def __init__(self):
            self.focused = []

        def focus(self, lat, lon, marker_id=None, zoom=16):
            self.focused.append((lat, lon, zoom))

    def __init__(self, parent=None):
        super().__init__(parent)
        self.view = self._View()


def stub_panels() -> list[Panel]:
    return [
        Panel("camera_wall", "Camera wall", lambda c, p: WallPanel(p), "center"),
        Panel("graphs", "Sensor graphs", lambda c, p: GraphPanel(p), "center"),
        Panel("map", "Commune map", lambda c, p: MapStub(p), "left"),
        Panel("alerts", "Alert queue", lambda c, p: AlertsPanel(p), "right"),
        Panel("broadcast", "Loudspeaker broadcast", lambda c, p: BroadcastStub(p), "right"),
    ]
