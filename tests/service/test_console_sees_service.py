"""A console's status bar says whether its site's service is up, from the service's retained
presence (Last Will) and health: up, gone, back; a malformed health report changes nothing."""

from __future__ import annotations

import pytest

from controlroom.service.runner import ControlRoomService

try:  # must precede the QApplication (pytest-qt's qapp): the main window may embed WebEngine
    import PyQt6.QtWebEngineWidgets  # noqa: F401
except ImportError:
    pass

pytestmark = pytest.mark.timeout(180)


def _service(config, broker, tmp_path, data_dir, name: str) -> ControlRoomService:
    service = ControlRoomService(config, db_url=f"sqlite:///{(tmp_path / f'{name}.sqlite3').as_posix()}",
                                 feed_options={"host": broker.host, "port": broker.port}, data_dir=data_dir / name,
                                 client_id=f"service-{name}", monitor_cameras=False, health_interval_s=0.5)
    service.start()
    return service


def test_the_status_bar_follows_the_service_up_down_and_back(qtbot, qapp, second_config, mqtt_broker, make_core,
                                                             tmp_path, data_dir, raw_client):
    from controlroom.ui.shell.app import apply_theme
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext
    from controlroom.ui.shell.main_window import MainWindow
    from controlroom.ui.shell.panels import PANELS

    apply_theme(qapp)
    console = make_core(second_config, broker=mqtt_broker, start=False)
    bridge = CoreBridge(console.bus, console.live)
    console.start()
    context = AppContext(config=second_config, core=console, bridge=bridge,
                         broker_description=f"{mqtt_broker.host}:{mqtt_broker.port}")
    window = MainWindow(context, panels=[p for p in PANELS if p.id == "readings"])
    qtbot.addWidget(window)
    window.show()
    label = window.status_bar.service_label
    service = None
    try:
        qtbot.waitUntil(lambda: console.feed.connected, timeout=30_000)
        assert label.text().startswith("Dịch vụ: không có")  # no service announced for this commune yet

        service = _service(second_config, mqtt_broker, tmp_path, data_dir, "first")
        qtbot.waitUntil(lambda: label.text().startswith("Dịch vụ: chạy từ"), timeout=30_000)
        assert label.property("level") == "ok"
        assert str(service.health.report()["pid"]) in label.toolTip()

        client = raw_client(mqtt_broker.host, mqtt_broker.port, second_config.topic_prefix)
        client.client.publish(f"{second_config.topic_prefix}/room/service/health", b"{not json", qos=1).wait_for_publish(10)
        qtbot.waitUntil(lambda: console.service_watch.rejected == 1, timeout=30_000)
        window.status_bar.refresh()
        assert label.text().startswith("Dịch vụ: chạy từ") and console.service_watch.status.health["state"] == "up"

        service.stop()
        qtbot.waitUntil(lambda: label.text().startswith("Dịch vụ: NGỪNG"), timeout=30_000)
        assert label.property("level") == "error"

        service = _service(second_config, mqtt_broker, tmp_path, data_dir, "again")
        qtbot.waitUntil(lambda: label.text().startswith("Dịch vụ: chạy từ"), timeout=30_000)
    finally:
        if service is not None:
            service.stop()
        window.close()
        context.shutdown()
        bridge.close()
