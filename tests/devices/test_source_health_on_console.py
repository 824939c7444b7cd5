"""A console attached to its service shows the vendors' sources from the service's health:
how many, which are silent, and per source when it was last heard and what was dropped and why,
in Vietnamese."""

from __future__ import annotations

import json

import pytest

from controlroom.service.runner import ControlRoomService

from ..conftest import free_port
from ..mqtt.conftest import Publisher
from .conftest import vendor_config

try:  # must precede the QApplication (pytest-qt's qapp): the main window may embed WebEngine
    import PyQt6.QtWebEngineWidgets  # noqa: F401
except ImportError:
    pass

pytestmark = pytest.mark.timeout(180)


def test_the_status_bar_names_each_source_its_last_message_and_its_drops(qtbot, qapp, mqtt_broker, make_core,
                                                                          tmp_path, data_dir):
    from controlroom.ui.shell.app import apply_theme
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext
    from controlroom.ui.shell.main_window import MainWindow
    from controlroom.ui.shell.panels import PANELS

    config = vendor_config(tmp_path)
    config = config.model_copy(update={"devices": config.devices.model_copy(update={"http_port": free_port()})})
    service = ControlRoomService(config, db_url=f"sqlite:///{(tmp_path / 'service.sqlite3').as_posix()}",
                                 feed_options={"host": mqtt_broker.host, "port": mqtt_broker.port},
                                 data_dir=data_dir / "service", client_id="service-vendors", monitor_cameras=False,
                                 health_interval_s=0.5)
    service.start()
    publisher = Publisher(mqtt_broker.host, mqtt_broker.port)
    try:
        apply_theme(qapp)
        console = make_core(config, broker=mqtt_broker, start=False, attached=True)
        bridge = CoreBridge(console.bus, console.live)
        console.start()
        assert console.devices.mappers == [], "an attached console maps nothing itself"
        context = AppContext(config=config, core=console, bridge=bridge,
                             broker_description=f"{mqtt_broker.host}:{mqtt_broker.port}")
        window = MainWindow(context, panels=[p for p in PANELS if p.id == "readings"])
        qtbot.addWidget(window)
        window.show()
        label = window.status_bar.sources_label
        qtbot.waitUntil(lambda: label.isVisible() and "7 nguồn" in label.text(), timeout=30_000)
        assert "7 im lặng" in label.text()  # nothing heard from any of them yet

        publisher.publish("tele/TH16/SENSOR", json.dumps(
            {"Time": "2026-12-05T08:00:00", "AM2301": {"Temperature": 24.1, "Humidity": 80}, "TempUnit": "C"}))
        publisher.publish("tele/tasmota_000000/SENSOR", json.dumps({"Time": "2026-12-05T08:00:00", "AM2301": {"Temperature": 20}}))
        qtbot.waitUntil(lambda: "6 im lặng" in label.text(), timeout=30_000)
        qtbot.waitUntil(lambda: "thiết bị chưa được gán" in label.toolTip(), timeout=30_000)
        tooltip = label.toolTip()
        tasmota = next(line for line in tooltip.splitlines() if line.startswith("Tasmota ở chợ"))
        assert "tele/+/SENSOR" in tasmota and "tin cuối" in tasmota and "giây trước" in tasmota and "2 số liệu" in tasmota
        assert "lỗi gần nhất: thiết bị chưa được gán cho cảm biến nào trong cấu hình: device: 'tasmota_000000'" in tooltip  # the last problem names the source and field
        assert label.property("level") == "warn"
    finally:
        publisher.stop()
        service.stop()
