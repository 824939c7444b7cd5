"""With the broker down, a local threshold alarm still reaches everything that acts on it: the
wall pops the camera, PTZ moves to the alarm preset, the map draws the alert (one alert path,
the core's bus; no MQTT echo needed). A second commune's config, real ONVIF peer, real map."""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone

os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

import PyQt6.QtWebEngineWidgets  # noqa: E402,F401  (before the QApplication)
import pytest  # noqa: E402

from controlroom.cameras.onvif_client import OnvifCamera  # noqa: E402
from controlroom.config import OnvifCameraConfig  # noqa: E402
from controlroom.domain import Reading  # noqa: E402
from controlroom.widgets.map_view import register_map_scheme  # noqa: E402

register_map_scheme()

PRESET = "ven dam"
WAIT_MS = 60_000


def _alarmed_config(second_config, peer, stream: str, monkeypatch):
    """Every camera on the peer's stream (nothing dials out); the dam camera has PTZ with an
    alarm preset for the lagoon gauge."""
    monkeypatch.setenv("CONTROLROOM_CAMERA_SOURCE", "config")
    monkeypatch.setenv("CR_TEST_CAM_PASSWORD", peer.password)
    onvif = OnvifCameraConfig(host=peer.host, port=peer.onvif_port, user=peer.user, password_env="CR_TEST_CAM_PASSWORD",
                              home_after_s=0, alarm_presets={"sensor/dam_cau_hai": PRESET})
    cameras = [c.model_copy(update={"main_url": stream, "sub_url": stream,
                                    **({"ptz": True, "onvif": onvif} if c.id == "vh_cau_dam" else {})})
               for c in second_config.cameras]
    return second_config.model_copy(update={"cameras": cameras})


def _js(qtbot, panel, script):
    import json

    box = {}
    panel.view.run_js(f"JSON.stringify({script})", lambda value: box.setdefault("v", value))
    qtbot.waitUntil(lambda: "v" in box, timeout=WAIT_MS)
    return json.loads(box["v"]) if box["v"] is not None else None


@pytest.mark.timeout(300)
def test_a_local_alarm_with_the_broker_down_pops_the_camera_moves_ptz_and_marks_the_map(
        qtbot, peer, second_config, mqtt_broker, make_core, monkeypatch):
    from controlroom.ui.cameras.wall_panel import create_camera_wall_panel
    from controlroom.ui.map.panel import MapPanel
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext

    client = OnvifCamera(peer.host, peer.onvif_port, peer.user, peer.password)
    profiles = client.profiles()
    profile = profiles[0].token
    client.goto_home(profile)
    client.continuous_move(profile, 0.7, 0.0)
    time.sleep(1.0)
    client.stop(profile)
    at_preset = client.status(profile).pan
    client.set_preset(profile, PRESET)
    client.goto_home(profile)
    qtbot.waitUntil(lambda: abs(client.status(profile).pan) < 0.01, timeout=30_000)
    assert abs(at_preset) > 0.05

    config = _alarmed_config(second_config, peer, profiles[-1].stream_uri, monkeypatch)
    core = make_core(config, broker=mqtt_broker)
    bridge = CoreBridge(core.bus, core.live, interval_ms=20)
    context = AppContext(config=config, core=core, bridge=bridge)
    wall = create_camera_wall_panel(context, None)
    map_panel = MapPanel(context)
    for widget in (wall, map_panel):
        qtbot.addWidget(widget)
        widget.resize(1200, 800)
        widget.show()
    try:
        qtbot.waitUntil(lambda: core.feed.connected, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: map_panel.view is not None and map_panel.view.is_ready, timeout=WAIT_MS)
        mqtt_broker.stop()  # the broker goes down
        qtbot.waitUntil(lambda: not core.feed.connected, timeout=WAIT_MS)

        station = config.sensor("dam_cau_hai")
        core.bus.publish(Reading(station.id, "level", datetime.now(timezone.utc), station.alarm_levels.level_3 + 0.2))

        qtbot.waitUntil(lambda: any(a.source == f"sensor/{station.id}/level" and a.active
                                    for a in core.alerts.snapshot().alerts), timeout=WAIT_MS)
        alert = next(a for a in core.alerts.snapshot().alerts if a.source == f"sensor/{station.id}/level")
        qtbot.waitUntil(lambda: bool(wall.tiles[0].alarm_text), timeout=WAIT_MS)
        assert wall.camera_in(0).id == "vh_cau_dam"  # the camera at the gauge, in the alarm view's big cell
        qtbot.waitUntil(lambda: abs(client.status(profile).pan - at_preset) < 0.02, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: _js(qtbot, map_panel, f"crLive.ids().includes('alert/{alert.id}')") is True,
                        timeout=WAIT_MS)
        # the lagoon gauge past the commune's own mark III (its marks are not the state's alarm levels)
        qtbot.waitUntil(lambda: _js(qtbot, map_panel, f"crLive.info('sensor/{station.id}').domState") == "mark_3",
                        timeout=WAIT_MS)
    finally:
        context.shutdown()
        map_panel.shutdown()
        bridge.close()
        client.close()
