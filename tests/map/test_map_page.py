"""The map in the real QtWebEngine (offscreen), with the tile server unreachable."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtTest import QTest

from controlroom.domain import DeviceStatus, Reading
from controlroom.map.tile_cache import TileCache

from .tiles_server import png_bytes

WAIT_MS = 60_000  # WebEngine start-up on a loaded 2-core machine


def js(qtbot, panel, script):
    """Evaluate `script` in the page and return its JSON-decoded value."""
    box = {}
    panel.view.run_js(f"JSON.stringify({script})", lambda value: box.setdefault("v", value))
    qtbot.waitUntil(lambda: "v" in box, timeout=WAIT_MS)
    return json.loads(box["v"]) if box["v"] is not None else None


def js_until(qtbot, panel, script, predicate):
    qtbot.waitUntil(lambda: predicate(js(qtbot, panel, script)), timeout=WAIT_MS)


@pytest.fixture
def map_panel(qtbot, map_context):
    from controlroom.ui.map.panel import MapPanel

    panel = MapPanel(map_context)
    qtbot.addWidget(panel)
    panel.resize(1400, 900)
    panel.show()
    qtbot.waitUntil(lambda: panel.view is not None and panel.view.is_ready, timeout=WAIT_MS)
    expected = len(map_context.config.cameras) + len(map_context.config.sensors) + len(map_context.config.speakers)
    js_until(qtbot, panel, "crLive.count()", lambda n: n == expected)
    yield panel
    panel.shutdown()


def test_page_loads_offline_with_every_configured_marker(qtbot, map_panel, demo_config):
    ids = set(js(qtbot, map_panel, "crLive.ids()"))
    assert ids == (
        {f"camera/{c.id}" for c in demo_config.cameras}
        | {f"sensor/{s.id}" for s in demo_config.sensors}
        | {f"speaker/{s.id}" for s in demo_config.speakers}
    )
    assert js(qtbot, map_panel, "document.querySelectorAll('.cr-marker[data-id]').length") == len(ids)
    # Leaflet came from local files, the outlines and the village names are drawn
    assert js(qtbot, map_panel, "[...document.scripts].filter(s => /^https?:/.test(s.src)).length") == 0
    assert js(qtbot, map_panel, "typeof L.version") == "string"
    assert js(qtbot, map_panel, "document.querySelectorAll('path.leaflet-interactive').length") >= len(demo_config.villages)
    labels = js(qtbot, map_panel, "[...document.querySelectorAll('.cr-village-label')].map(e => e.textContent)")
    assert sorted(labels) == sorted(v.name for v in demo_config.villages)


def test_no_tiles_anywhere_shows_the_basemap_offline(qtbot, map_panel):
    qtbot.waitUntil(lambda: map_panel.basemap_status() == "offline", timeout=WAIT_MS)
    assert map_panel.status_label.text() == "Bản đồ nền ngoại tuyến"
    js_until(qtbot, map_panel, "crLive.stats().tileErrors", lambda n: n > 0)


def test_core_state_change_updates_the_marker_without_reloading(qtbot, map_panel, map_context):
    js(qtbot, map_panel, "(window.__sameLoad = true)")
    now = datetime.now(timezone.utc)
    map_context.core.bus.publish(DeviceStatus("cam01", False, now))
    js_until(qtbot, map_panel, "crLive.info('camera/cam01').domState", lambda s: s == "offline")
    map_context.core.bus.publish(DeviceStatus("cam01", True, now))
    map_context.core.bus.publish(Reading("wl_phu_oc", "level", now, 3.2))
    js_until(qtbot, map_panel, "crLive.info('camera/cam01').domState", lambda s: s == "live")
    js_until(qtbot, map_panel, "crLive.info('sensor/wl_phu_oc')", lambda i: i["domState"] == "alarm_2" and any("3,2 m" in line for line in i["tip"]))
    assert js(qtbot, map_panel, "window.__sameLoad === true") is True


def test_a_click_on_a_camera_in_the_page_reaches_the_app(qtbot, map_panel):
    # a camera whose marker is on top at its own centre (markers in a village can overlap)
    camera = js(
        qtbot,
        map_panel,
        "crLive.ids().filter(id => id.startsWith('camera/')).find(id => { const p = crLive.screenPoint(id);"
        " const e = p && document.elementFromPoint(p[0], p[1]); const m = e && e.closest('.cr-marker');"
        " return m && m.getAttribute('data-id') === id; })",
    )
    point = js(qtbot, map_panel, f"crLive.screenPoint('{camera}')")
    target = map_panel.view.view.focusProxy()
    with qtbot.waitSignal(map_panel.cameraRequested, timeout=WAIT_MS) as blocker:
        QTest.mouseClick(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(round(point[0]), round(point[1])))
    assert blocker.args == [camera.partition("/")[2]]


def test_clicks_on_sensor_speaker_and_village_reach_their_signals(qtbot, map_panel, demo_config):
    with qtbot.waitSignal(map_panel.sensorRequested, timeout=WAIT_MS) as sensor:
        js(qtbot, map_panel, "document.querySelector('.cr-marker[data-id=\"sensor/aq_office\"]').click() || 1")
    assert sensor.args == ["aq_office"]
    speaker = demo_config.speakers[0].id
    with qtbot.waitSignal(map_panel.speakerSelected, timeout=WAIT_MS) as chosen:
        js(qtbot, map_panel, f"crLive.click('speaker/{speaker}') || 1")
    assert chosen.args == [speaker]
    js_until(qtbot, map_panel, f"crLive.info('speaker/{speaker}').selected", lambda s: s is True)
    village = demo_config.villages[2]
    with qtbot.waitSignal(map_panel.villageSpeakersSelected, timeout=WAIT_MS) as speakers:
        js(qtbot, map_panel, "(function(){var hit=null; crInit.villages.eachLayer(function(l){"
           f"if (l.feature.properties.id === '{village.id}') hit = l;}}); hit.fire('click'); return 1;}})()")
    assert speakers.args == [[s.id for s in demo_config.speakers if s.village == village.id]]


def test_an_alert_of_the_core_is_drawn_and_selecting_it_pans_the_map(qtbot, map_panel, map_context, demo_config):
    sensor = demo_config.sensor("wl_phuoc_yen")
    core = map_context.core
    core.bus.publish(Reading(sensor.id, "level", datetime.now(timezone.utc), sensor.alarm_levels.level_3 + 0.3))
    qtbot.waitUntil(lambda: any(a.source.startswith(f"sensor/{sensor.id}/") for a in core.alerts.snapshot().alerts),
                    timeout=WAIT_MS)
    alert = next(a for a in core.alerts.snapshot().alerts if a.source.startswith(f"sensor/{sensor.id}/"))
    js_until(qtbot, map_panel, f"crLive.ids().includes('alert/{alert.id}')", lambda found: found is True)
    assert map_context.navigator.focus_alert(alert.id)
    js_until(qtbot, map_panel, "crLive.center()", lambda c: abs(c[0] - sensor.lat) < 1e-3 and abs(c[1] - sensor.lon) < 1e-3)
    assert js(qtbot, map_panel, "document.querySelector('.cr-alerts.cr-pulse-3') !== null") is True


def test_cached_tiles_are_shown_when_the_server_is_unreachable(qtbot, map_context, data_dir, demo_config):
    from controlroom.map.tile_cache import commune_bounds, tiles_in_bounds
    from controlroom.ui.map.panel import MapPanel

    cache = TileCache(data_dir / "map" / "tiles.mbtiles")
    for z in range(14, 18):
        for tile in tiles_in_bounds(commune_bounds(demo_config), [z]):
            cache.put(*tile, png_bytes((170, 210, 170)))
    cache.close()
    panel = MapPanel(map_context)
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    qtbot.waitUntil(lambda: panel.view is not None and panel.view.is_ready, timeout=WAIT_MS)
    js_until(qtbot, panel, "crLive.stats().tilesLoaded", lambda n: n > 0)
    # "cached" once a tile outside the cache was missed, "stored" while every tile came from it
    qtbot.waitUntil(lambda: panel.basemap_status() in ("cached", "stored"), timeout=WAIT_MS)
    panel.shutdown()


def test_a_device_status_over_mqtt_reaches_the_marker(qtbot, map_panel, map_context, mqtt_broker, demo_config):
    """The whole path: broker -> MqttFeed -> bus -> Qt bridge -> map model -> page."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from controlroom.feeds.mqtt_feed import MqttFeed

    feed = MqttFeed(demo_config, map_context.core.bus, host=mqtt_broker.host, port=mqtt_broker.port, client_id="map-test")
    feed.start()
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="map-test-pub")
    publisher.connect(mqtt_broker.host, mqtt_broker.port)
    publisher.loop_start()
    try:
        speaker = demo_config.speakers[3].id
        publisher.publish(f"{demo_config.topic_prefix}/device/cam07/status", "offline", qos=1, retain=True).wait_for_publish(30)
        publisher.publish(
            f"{demo_config.topic_prefix}/speaker/{speaker}/status", json.dumps({"state": "fault", "volume": 50, "job": None}), qos=1, retain=True
        ).wait_for_publish(30)
        js_until(qtbot, map_panel, "crLive.info('camera/cam07').domState", lambda s: s == "offline")
        js_until(qtbot, map_panel, f"crLive.info('speaker/{speaker}').domState", lambda s: s == "fault")
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        feed.stop()


def test_map_clicks_reach_the_panels_that_show_them(qtbot, map_context, demo_config):
    from controlroom.ui.map.panel import MapPanel

    calls = []
    navigator = map_context.navigator
    navigator.provide("sensor", lambda sensor_id, metric=None: calls.append(("sensor", sensor_id)))
    navigator.provide("speaker", lambda speaker_id: calls.append(("speaker", speaker_id)))
    navigator.provide("village", lambda village_id: calls.append(("village", village_id)))
    panel = MapPanel(map_context)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.view is not None and panel.view.is_ready, timeout=WAIT_MS)
    speaker = demo_config.speakers[5].id
    js(qtbot, panel, f"crLive.click('sensor/wl_la_van') || crLive.click('speaker/{speaker}') || 1")
    js(qtbot, panel, "crInit.villages.getLayers()[1].fire('click') && 1")
    qtbot.waitUntil(lambda: len(calls) == 3, timeout=WAIT_MS)
    assert calls == [("sensor", "wl_la_van"), ("speaker", speaker), ("village", demo_config.villages[1].id)]
    panel.shutdown()


def test_presentation_hides_the_map_controls_and_fits_the_commune(qtbot, map_panel):
    controls = "[...document.querySelectorAll('.leaflet-control-zoom, .leaflet-control-layers')]" \
               ".map(e => getComputedStyle(e).display)"
    assert "none" not in js(qtbot, map_panel, controls)
    start = js(qtbot, map_panel, "crLive.center()")
    map_panel.set_presenting(True)
    js_until(qtbot, map_panel, controls, lambda shown: shown and set(shown) == {"none"})
    assert not map_panel.status_label.isVisible()  # the basemap line is operator information
    assert map_panel.view.view.zoomFactor() > 1.0  # drawn larger for viewers metres away
    js_until(qtbot, map_panel, "crLive.center()", lambda c: c[2] != start[2] or c[:2] != start[:2])

    map_panel.set_presenting(False)
    js_until(qtbot, map_panel, controls, lambda shown: "none" not in shown)
    assert map_panel.status_label.isVisible()


def test_the_communes_own_layers_are_drawn_with_no_basemap_and_a_bad_one_is_named(qtbot, offline_tiles, make_core, tmp_path):
    """The second commune's lagoon and road from its GeoJSON files, offline; a layer whose file
    is missing is said under the map, the others drawn."""
    import shutil
    from pathlib import Path

    from controlroom.config import load_config
    from controlroom.ui.map.panel import MapPanel
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext

    sites = Path(__file__).resolve().parent.parent / "sites"
    shutil.copytree(sites / "lagoon-layers", tmp_path / "lagoon-layers")
    text = (sites / "lagoon_commune.toml").read_text(encoding="utf-8")
    head, sep, tail = text.partition("[[villages]]")
    missing = '[[map.layers]]\nid = "lop_thieu"\nname = "Kênh (thiếu tệp)"\nkind = "water"\nfile = "lagoon-layers/kenh.geojson"\n\n'
    (tmp_path / "commune.toml").write_text(head + missing + sep + tail, encoding="utf-8")
    config = load_config(tmp_path / "commune.toml")
    core = make_core(config)
    bridge = CoreBridge(core.bus, core.live, interval_ms=20)
    context = AppContext(config=config, core=core, bridge=bridge)
    panel = MapPanel(context)
    qtbot.addWidget(panel)
    panel.resize(1200, 800)
    panel.show()
    try:
        qtbot.waitUntil(lambda: panel.view is not None and panel.view.is_ready, timeout=WAIT_MS)
        overlays = js(qtbot, panel, "[...document.querySelectorAll('.leaflet-control-layers-overlays label')]"
                                    ".map(e => e.textContent.trim())")
        assert "Đầm (thử)" in overlays and "Đường liên xã (thử)" in overlays and "Kênh (thiếu tệp)" not in overlays
        # village outlines + the lagoon (an area) + the road (a line), each an SVG path
        paths = js(qtbot, panel, "[...document.querySelectorAll('path')].map(p => p.getAttribute('stroke'))")
        assert "#1565c0" in paths and "#aa5500" in paths  # the water colour, the road's own colour
        qtbot.waitUntil(lambda: panel.basemap_status() == "offline", timeout=WAIT_MS)  # drawn with no basemap
        assert panel.layers_label.isVisible() and "Kênh (thiếu tệp)" in panel.layers_label.text()
        assert "không có tệp" in panel.layers_label.text()
    finally:
        panel.shutdown()
        context.shutdown()
        bridge.close()


def test_a_markers_tooltip_is_built_when_it_opens_and_follows_the_data(qtbot, map_panel, map_context):
    """Tooltips are made when they open (not on every reading: that left the collector a
    detached element per update), and an open one follows the newest reading."""
    now = datetime.now(timezone.utc)
    map_context.core.bus.publish(Reading("wl_phu_oc", "level", now, 2.1))
    js_until(qtbot, map_panel, "crLive.info('sensor/wl_phu_oc')", lambda i: any("2,1 m" in line for line in i["tip"]))
    assert js(qtbot, map_panel, "document.querySelectorAll('.leaflet-tooltip').length") == 0  # none built yet
    js(qtbot, map_panel, "document.querySelector('.cr-marker[data-id=\"sensor/wl_phu_oc\"]')"
                         ".dispatchEvent(new MouseEvent('mouseover', {bubbles: true})) && 1")
    tip = "(document.querySelector('.leaflet-tooltip') || {}).textContent || ''"
    js_until(qtbot, map_panel, tip, lambda text: "2,1 m" in text)
    map_context.core.bus.publish(Reading("wl_phu_oc", "level", now, 2.4))
    js_until(qtbot, map_panel, tip, lambda text: "2,4 m" in text and "2,1 m" not in text)
