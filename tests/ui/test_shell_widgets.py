"""The bridge and the shell's own widgets, without a broker: events from worker threads
reach the GUI thread in batches; old values are shown as stale, never as current."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from PyQt6.QtCore import QThread

from controlroom.bus import EventBus
from controlroom.domain import ConnectionState, DeviceStatus, Reading, SpeakerStatus
from controlroom.ui.shell.bridge import CoreBridge
from controlroom.widgets.device_list import DeviceList
from controlroom.widgets.readings_table import LIVE, NO_DATA, STALE, ReadingsModel, format_value

UTC = timezone.utc


def test_bridge_delivers_events_from_a_worker_thread_on_the_gui_thread_in_batches(qtbot):
    bus = EventBus()
    bridge = CoreBridge(bus)
    batches: list[tuple[int, bool]] = []
    statuses: list[tuple[object, bool]] = []
    gui_thread = QThread.currentThread()
    bridge.readings.connect(lambda batch: batches.append((len(batch), QThread.currentThread() is gui_thread)))
    bridge.connection_state.connect(lambda state: statuses.append((state, QThread.currentThread() is gui_thread)))
    now = datetime.now(UTC)

    def worker() -> None:
        for i in range(5000):
            bus.publish(Reading("aq_office", "pm25", now + timedelta(milliseconds=i), float(i)))
        bus.publish(ConnectionState("broker", True, "ok"))

    thread = threading.Thread(target=worker, name="test-publisher")
    thread.start()
    thread.join(timeout=30)
    qtbot.waitUntil(lambda: sum(n for n, _ in batches) == 5000 and len(statuses) == 1, timeout=20_000)
    assert all(on_gui for _, on_gui in batches) and all(on_gui for _, on_gui in statuses)
    assert len(batches) < 5000  # batched, not one signal per reading
    assert statuses[0][0] == ConnectionState("broker", True, "ok")
    bridge.close()
    bus.publish(Reading("aq_office", "pm25", now, 1.0))
    assert bridge.backlog() == 0  # detached: nothing queues up after close


def test_readings_model_marks_values_stale_after_three_intervals(demo_config):
    clock = {"now": datetime(2026, 11, 25, 3, 0, tzinfo=UTC)}
    model = ReadingsModel(demo_config, clock=lambda: clock["now"])
    address = "sensor/aq_office/pm25"
    row = model.row_of(address)
    assert model.index(row, 4).data(256) == NO_DATA  # Qt.UserRole
    model.apply_readings([Reading("aq_office", "pm25", clock["now"], 41.2)])
    assert model.index(row, 4).data(256) == LIVE
    assert model.index(row, 3).data() == "10:00:00"  # Asia/Ho_Chi_Minh, UTC+7
    clock["now"] += timedelta(seconds=3 * 60 + 1)  # interval_s = 60 in the demo
    model.reage()
    assert model.index(row, 4).data(256) == STALE
    assert model.index(row, 2).data() == "41.2 µg/m³"  # still shown, but marked
    model.apply_readings([Reading("aq_office", "pm25", clock["now"] - timedelta(hours=1), 99.0)])
    assert model.index(row, 2).data() == "41.2 µg/m³"  # an older reading never replaces a newer one
    assert model.counts()[STALE] == 1


def test_value_format_keeps_readable_precision():
    assert format_value(2.374, "m") == "2.37 m"
    assert format_value(41.24, "µg/m³") == "41.2 µg/m³"
    assert format_value(1204.4, "µg/m³") == "1204 µg/m³"
    assert format_value(7.12, "pH") == "7.12"


def test_device_list_shows_state_and_keeps_the_since_time_of_the_change(qtbot, demo_config):
    devices = DeviceList(demo_config)
    qtbot.addWidget(devices)
    t0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    assert devices.state_of("aq_office") == "unknown"
    devices.apply_device_status(DeviceStatus("aq_office", False, t0))
    devices.apply_device_status(DeviceStatus("aq_office", False, t0 + timedelta(minutes=5)))
    assert devices.state_of("aq_office") == "offline"
    item = devices._items[("sensor", "aq_office")]
    assert item.text(2).endswith("08:00:00")  # since the first "offline", not the repeat
    speaker = demo_config.speakers[0].id
    devices.apply_speaker_status(SpeakerStatus(speaker, "fault", 50, None, t0))
    assert devices.state_of(speaker) == "fault"
    devices.apply_device_status(DeviceStatus("cam01", True, t0))
    assert devices.state_of("cam01") == "online"  # a camera status adds a camera row
