"""The bridge and the shell's own widgets, without a broker: events from worker threads reach
the GUI thread once per tick, per changed address; old values are shown as stale, never as current."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from PyQt6.QtCore import QThread

from controlroom import i18n
from controlroom.bus import EventBus
from controlroom.domain import ConnectionState, DeviceStatus, Reading, SpeakerStatus
from controlroom.i18n import format_number
from controlroom.live_state import LiveState
from controlroom.ui.shell.bridge import CoreBridge
from controlroom.widgets.device_list import DeviceList
from controlroom.widgets.readings_table import LIVE, NO_DATA, STALE, ReadingsModel, format_value

UTC = timezone.utc


def test_bridge_hands_the_gui_the_latest_value_per_changed_address_not_every_reading(qtbot):
    bus = EventBus()
    live = LiveState(bus)
    bridge = CoreBridge(bus, live)
    ticks: list[tuple[dict, bool]] = []
    statuses: list[tuple[object, bool]] = []
    bound: list[float] = []
    gui_thread = QThread.currentThread()
    bridge.readings_changed.connect(lambda latest: ticks.append((dict(latest), QThread.currentThread() is gui_thread)))
    bridge.connection_state.connect(lambda state: statuses.append((state, QThread.currentThread() is gui_thread)))
    bridge.bind("sensor/aq_office/pm25", lambda reading: bound.append(reading.value))
    now = datetime.now(UTC)

    def worker() -> None:
        for i in range(5000):
            bus.publish_batch([Reading("aq_office", "pm25", now + timedelta(milliseconds=i), float(i)),
                               Reading("aq_office", "pm10", now + timedelta(milliseconds=i), float(i))])
        bus.publish(ConnectionState("broker", True, "ok"))

    thread = threading.Thread(target=worker, name="test-publisher")
    thread.start()
    thread.join(timeout=30)
    qtbot.waitUntil(lambda: bool(bound) and bound[-1] == 4999.0 and len(statuses) == 1, timeout=20_000)
    assert all(on_gui for _, on_gui in ticks) and all(on_gui for _, on_gui in statuses)
    delivered = sum(len(latest) for latest, _ in ticks)
    assert delivered <= 2 * len(ticks) < 5000  # one value per changed address per tick, not one per reading
    assert len(bound) == len([1 for latest, _ in ticks if "sensor/aq_office/pm25" in latest])
    assert statuses[0][0] == ConnectionState("broker", True, "ok")
    bridge.close()
    bus.publish(ConnectionState("broker", False, "gone"))
    assert bridge.backlog() == 0  # detached: nothing queues up after close


def test_a_watched_series_gets_every_point_or_is_told_of_the_gap(qtbot):
    from controlroom.live_state import SERIES_POINTS

    bus = EventBus()
    bridge = CoreBridge(bus, LiveState(bus), interval_ms=60_000)  # drained by hand below
    got: list[tuple[int, bool]] = []
    unbind = bridge.bind_series("sensor/aq_office/pm10", lambda points, gap: got.append((len(points), gap)))
    t0 = datetime.now(UTC)
    within = SERIES_POINTS // 2
    bus.publish_batch([Reading("aq_office", "pm10", t0 + timedelta(seconds=i), 1.0) for i in range(within)])
    bus.publish_batch([Reading("aq_office", "pm25", t0 + timedelta(seconds=i), 1.0) for i in range(within)])  # not watched
    bridge.drain()
    assert got == [(within, False)]
    bus.publish_batch([Reading("aq_office", "pm10", t0 + timedelta(hours=1, seconds=i), 1.0)
                       for i in range(SERIES_POINTS + 10)])
    bridge.drain()
    assert got[-1] == (SERIES_POINTS, True)  # the newest points, and word that older ones were cut
    unbind()
    bus.publish(Reading("aq_office", "pm10", t0 + timedelta(hours=2), 1.0))
    bridge.drain()
    assert len(got) == 2
    bridge.close()


def test_bridge_keeps_only_the_latest_status_per_device_between_ticks(qtbot):
    bus = EventBus()
    bridge = CoreBridge(bus, LiveState(bus), interval_ms=60_000)  # drained by hand below
    seen: list[DeviceStatus] = []
    bridge.device_status.connect(seen.append)
    t0 = datetime.now(UTC)
    for i in range(1000):
        bus.publish(DeviceStatus("aq_office", i % 2 == 0, t0 + timedelta(seconds=i)))
    bus.publish(DeviceStatus("wl_phu_oc", True, t0))
    assert bridge.backlog() == 2
    bridge.drain()
    assert [(s.device_id, s.online) for s in seen] == [("aq_office", False), ("wl_phu_oc", True)]
    bridge.close()


def test_readings_model_marks_values_stale_after_three_intervals(demo_config):
    clock = {"now": datetime(2026, 11, 25, 3, 0, tzinfo=UTC)}
    bus = EventBus()
    live = LiveState(bus)
    model = ReadingsModel(demo_config, live, clock=lambda: clock["now"])
    address = "sensor/aq_office/pm25"
    row = model.row_of(address)
    assert model.index(row, 4).data(256) == NO_DATA  # Qt.UserRole

    def arrive(reading: Reading) -> None:
        bus.publish(reading)
        model.apply_changed({reading.address: reading})

    arrive(Reading("aq_office", "pm25", clock["now"], 41.2))
    assert model.index(row, 4).data(256) == LIVE
    assert model.index(row, 3).data() == "10:00:00"  # Asia/Ho_Chi_Minh, UTC+7
    clock["now"] += timedelta(seconds=3 * 60 + 1)  # interval_s = 60 in the demo
    model.reage()
    assert model.index(row, 4).data(256) == STALE
    assert model.index(row, 2).data() == "41,2 µg/m³"  # still shown, but marked
    arrive(Reading("aq_office", "pm25", clock["now"] - timedelta(hours=1), 99.0))
    assert model.index(row, 2).data() == "41,2 µg/m³"  # an older reading never replaces a newer one
    assert model.counts()[STALE] == 1


def test_value_format_keeps_readable_precision_in_the_languages_style():
    assert format_value(2.374, "m") == "2,37 m"  # Vietnamese, the default: decimal comma
    assert format_value(41.24, "µg/m³") == "41,2 µg/m³"
    assert format_value(1204.4, "µg/m³") == "1204 µg/m³"
    assert format_value(7.12, "pH") == "7,12"
    i18n.set_language("en")  # as the English number fields write it, not "0,81" beside "0.81"
    try:
        assert format_value(2.374, "m") == "2.37 m"
        assert format_number(-0.004) == "0.00"
    finally:
        i18n.set_language("vi")
    assert format_number(-0.004, 1) == "0,0"


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


def test_another_console_is_listed_by_its_pc_not_its_client_id(qtbot, second_config):
    """A console's presence comes as a device status named by its MQTT client id; the list
    shows it under Consoles with the PC's name ("controlroom-<site>-<host>" meant nothing)."""
    devices = DeviceList(second_config)
    qtbot.addWidget(devices)
    t0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    other = f"controlroom-{second_config.site.id}-may-tram-2"
    devices.apply_device_status(DeviceStatus(other, True, t0))
    devices.apply_device_status(DeviceStatus("tram_la", True, t0))  # a device nobody configured
    item = devices._items[("console", other)]
    assert item.text(0) == "Máy trạm trên máy may-tram-2" and item.parent().text(0) == "Máy trạm"
    assert ("other", "tram_la") in devices._items


def test_the_web_engine_gets_gc_for_the_map_page_and_keeps_other_flags():
    """The map page collects its garbage every minute with gc(), exposed by this flag; flags
    already set (a site's own --js-flags among them) are kept."""
    from controlroom.ui.shell.app import chromium_flags

    assert chromium_flags("", as_root=False) == "--js-flags=--expose-gc"
    assert chromium_flags("--disable-gpu", as_root=True) == "--disable-gpu --js-flags=--expose-gc --no-sandbox"
    assert chromium_flags("--js-flags=--max-old-space-size=256", as_root=False) == \
        "--js-flags=--expose-gc,--max-old-space-size=256"
    once = chromium_flags("", as_root=True)
    assert chromium_flags(once, as_root=True) == once  # started twice, flags not doubled
