"""The app shell against real parts: private Mosquitto, tmp SQLite, offscreen Qt."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion

from controlroom.ui.shell.panels import PANELS, Panel

pytestmark = pytest.mark.timeout(120)

SHELL_PANELS = [p for p in PANELS if p.id in ("readings", "devices")]


def publish(host: str, port: int, topic: str, payload, retain: bool = False) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    client.connect(host, port)
    client.loop_start()
    data = payload if isinstance(payload, str) else json.dumps(payload)
    client.publish(topic, data, qos=1, retain=retain).wait_for_publish(timeout=10)
    client.loop_stop()
    client.disconnect()


@pytest.fixture
def window(qtbot, shell_context):
    from controlroom.ui.shell.main_window import MainWindow

    win = MainWindow(shell_context, panels=SHELL_PANELS)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    return win


def _row_text(table, address: str) -> tuple[str, str, str]:
    model = table.model()
    row = model.row_of(address)
    return tuple(model.index(row, column).data() for column in (2, 3, 4))


def test_published_reading_shows_in_readings_table_and_database(qtbot, window, shell_context):
    broker = shell_context.broker
    table = window.panel_widgets["readings"]
    qtbot.waitUntil(lambda: shell_context.core.feed.connected, timeout=20_000)
    ts = datetime.now(timezone.utc).replace(microsecond=0)
    publish(broker.host, broker.port, "quangtho/sensor/aq_office/reading", {"ts": ts.isoformat(), "values": {"pm25": 41.2}})

    qtbot.waitUntil(lambda: _row_text(table, "sensor/aq_office/pm25")[0] == "41,2 µg/m³", timeout=20_000)
    value, time_text, state = _row_text(table, "sensor/aq_office/pm25")
    assert time_text == ts.astimezone(shell_context.config.site.tz).strftime("%H:%M:%S")
    assert state.endswith("đang cập nhật")
    assert _row_text(table, "sensor/aq_office/pm10")[0] == "—"  # never reported: no number shown

    assert shell_context.core.storage.flush(timeout=20)
    with shell_context.core.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT sensor_id, metric, value FROM readings")).all()
    assert ("aq_office", "pm25", 41.2) in [tuple(r) for r in rows]


def test_status_bar_shows_broker_connected_and_counts_dropped_payloads(qtbot, window, shell_context):
    broker = shell_context.broker
    bar = window.status_bar
    qtbot.waitUntil(lambda: bar.broker_label.property("level") == "ok", timeout=20_000)
    assert "đã kết nối" in bar.broker_label.text()
    assert f"{broker.host}:{broker.port}" in bar.broker_label.toolTip()  # where: on demand, the bar is full
    assert bar.database_label.property("level") == "ok"

    publish(broker.host, broker.port, "quangtho/sensor/aq_office/reading", "not json at all")
    qtbot.waitUntil(lambda: sum(bar.stats.dropped.values()) >= 1, timeout=20_000)
    assert bar.dropped_label.text() == f"Bị loại: {sum(bar.stats.dropped.values())}"
    assert "Bản tin bị loại theo lý do" in bar.dropped_label.toolTip()


def test_device_status_shows_in_device_list(qtbot, window, shell_context):
    broker = shell_context.broker
    devices = window.panel_widgets["devices"]
    speaker = shell_context.config.speakers[0].id
    publish(broker.host, broker.port, "quangtho/device/aq_office/status", "offline", retain=True)
    publish(broker.host, broker.port, f"quangtho/speaker/{speaker}/status", {"state": "playing", "volume": 70, "job": None}, retain=True)
    qtbot.waitUntil(lambda: devices.state_of("aq_office") == "offline", timeout=20_000)
    qtbot.waitUntil(lambda: devices.state_of(speaker) == "playing", timeout=20_000)
    qtbot.waitUntil(lambda: window.status_bar.stats.devices_offline >= 1, timeout=20_000)


def test_window_geometry_and_dock_state_survive_close_and_reopen(qtbot, shell_context, data_dir):
    from controlroom.ui.shell.main_window import MainWindow

    first = MainWindow(shell_context, panels=SHELL_PANELS)
    qtbot.addWidget(first)
    first.show()
    first.setGeometry(40, 50, 700, 500)  # inside the offscreen screen (800x600): restore clamps to it
    qtbot.waitUntil(lambda: first.width() == 700)
    first.docks["devices"].hide()
    first.docks["readings"].setFloating(True)
    first.close()
    assert (data_dir / "window.ini").exists()

    second = MainWindow(shell_context, panels=SHELL_PANELS)
    qtbot.addWidget(second)
    assert second.restored
    second.show()
    qtbot.waitUntil(lambda: second.isVisible())
    assert (second.width(), second.height()) == (700, 500)
    assert abs(second.x() - 40) <= 4 and abs(second.y() - 50) <= 4  # frame margins of the platform
    assert second.docks["devices"].isHidden()
    assert second.docks["readings"].isFloating()
    assert second.docks["devices"].toggleViewAction() in second.view_menu.actions()
    second.show_all_panels()
    assert not second.docks["devices"].isHidden()


def test_broken_panel_shows_a_message_instead_of_stopping_the_window(qtbot, shell_context):
    from controlroom.ui.shell.main_window import MainWindow

    def broken(context, parent):
        raise RuntimeError("camera backend missing")

    win = MainWindow(shell_context, panels=SHELL_PANELS + [Panel("broken", "Latest readings", broken, "left")])
    qtbot.addWidget(win)
    label = win.panel_widgets["broken"]
    assert "camera backend missing" in label.text()
    assert "Khung này không khởi động được" in label.text()


def test_status_bar_says_reconnecting_while_the_broker_is_down(qtbot, window, shell_context):
    broker = shell_context.broker
    bar = window.status_bar
    qtbot.waitUntil(lambda: bar.broker_label.property("level") == "ok", timeout=20_000)
    broker.stop()
    qtbot.waitUntil(lambda: bar.broker_label.property("level") == "error", timeout=30_000)
    assert "đang kết nối lại" in bar.broker_label.text()
    broker.start()
    qtbot.waitUntil(lambda: bar.broker_label.property("level") == "ok", timeout=60_000)


def test_reset_layout_brings_back_closed_and_floating_panels(qtbot, window):
    window.docks["devices"].close()
    window.docks["readings"].setFloating(True)
    window.reset_layout()
    assert not window.docks["devices"].isHidden()
    assert not window.docks["readings"].isFloating()


def test_the_status_bar_says_when_the_simulator_drives_the_readings(qtbot, shell_context):
    from controlroom.ui.shell.main_window import MainWindow

    plain = MainWindow(shell_context, panels=SHELL_PANELS)
    qtbot.addWidget(plain)
    plain.show()
    assert not plain.status_bar.simulation_label.isVisible()  # a real commune: no marker
    plain.close()

    shell_context.simulation_speed = 60.0
    demo = MainWindow(shell_context, panels=SHELL_PANELS)
    qtbot.addWidget(demo)
    demo.show()
    label = demo.status_bar.simulation_label
    assert label.isVisible() and label.text() == "MÔ PHỎNG ×60" and label.property("level") == "warn"
