"""Vendors' payloads, as their own documentation shows them, through the built-in device
profiles on the real broker (and the HTTP receiver) into the room's readings; malformed variants
are rejected with their reason, named by source, and lose nothing good beside them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from controlroom.bus import EventBus
from controlroom.devices.service import DeviceSources
from controlroom.domain import Reading, Rejected
from controlroom.feeds.mqtt_feed import MqttFeed

from ..conftest import free_port, wait_until
from ..mqtt.conftest import Collector, Publisher
from .conftest import corpus, payload_bytes, vendor_config

MQTT_FORMATS = ["chirpstack_v4", "tts_v3", "tasmota", "zigbee2mqtt", "esphome"]
SOURCE_OF = {"chirpstack_v4": "lora_chirpstack", "tts_v3": "lora_tts", "tasmota": "tasmota_cho",
             "zigbee2mqtt": "zigbee_cho", "esphome": "esphome_cho", "sensor_community": "sc_cho"}


def expected(case: dict) -> set[tuple]:
    return {(s, m, round(v, 6), ts) for s, m, v, ts in case.get("readings", [])}


def got(readings: list[Reading], stamped: bool) -> set[tuple]:
    """(sensor, metric, value, ts or None when the device sent no time)."""
    return {(r.sensor_id, r.metric, round(r.value, 6), r.ts.isoformat() if stamped else None) for r in readings}


@pytest.fixture
def rig(tmp_path, mqtt_broker):
    config = vendor_config(tmp_path)
    config = config.model_copy(update={"devices": config.devices.model_copy(update={"http_port": free_port()})})
    bus = EventBus()
    readings, rejects = Collector(bus, Reading), Collector(bus, Rejected)
    feed = MqttFeed(config, bus, host=mqtt_broker.host, port=mqtt_broker.port, client_id="vendor-feed")
    sources = DeviceSources(config, feed, bus.publish_batch)
    sources.start()
    feed.start()
    assert feed.wait_subscribed(60)
    publisher = Publisher(mqtt_broker.host, mqtt_broker.port)
    yield config, sources, publisher, readings, rejects
    publisher.stop()
    feed.stop()
    sources.stop()


@pytest.mark.parametrize("name", MQTT_FORMATS)
def test_each_documented_payload_maps_to_its_readings_on_the_broker(rig, name):
    config, sources, publisher, readings, rejects = rig
    cases = corpus(name)
    assert len([c for c in cases if "rejects" not in c]) >= 3, "at least three good payloads per format"
    for number, case in enumerate(cases):
        before_readings, before_rejects = len(readings.snapshot()), len(rejects.snapshot())
        publisher.publish(case["topic"], payload_bytes(case))
        # the contract's own reading after it: once it is on the bus, so is everything before it
        marker = 5.0 + number / 1000
        publisher.publish(f"{config.topic_prefix}/sensor/ao_tom_1/reading", json.dumps({"value": marker}))
        wait_until(lambda: any(r.sensor_id == "ao_tom_1" and r.value == marker for r in readings.snapshot()[before_readings:]),
                   message=f"{name} case {number} followed by its marker")
        new = [r for r in readings.snapshot()[before_readings:] if r.sensor_id != "ao_tom_1"]
        stamped = any(ts is not None for *_, ts in case.get("readings", []))
        assert got(new, stamped) == expected(case), case["note"]
        reasons = sorted(r.reason for r in rejects.snapshot()[before_rejects:])
        assert reasons == sorted(case.get("rejects", [])), case["note"]
        for reject in rejects.snapshot()[before_rejects:]:
            assert reject.detail.startswith(SOURCE_OF[name] + ":"), "a reject names its source"
    stats = {s.source_id: s for s in sources.stats()}[SOURCE_OF[name]]
    assert stats.received + stats.skipped == len(cases)
    assert sum(stats.dropped.values()) == sum(len(c.get("rejects", [])) for c in cases)
    assert stats.readings == sum(len(c.get("readings", [])) for c in cases)
    assert stats.last_seen is not None


def test_sensor_community_posts_map_to_readings_through_the_http_receiver(rig):
    config, sources, _publisher, readings, rejects = rig
    port = sources.http.port
    for case in corpus("sensor_community"):
        before = len(readings.snapshot())
        request = urllib.request.Request(f"http://127.0.0.1:{port}{case['path']}", data=json.dumps(case["payload"]).encode(),
                                         headers={"Content-Type": "application/json", **case.get("headers", {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:  # 422: nothing kept, the reasons in the body
            answer = json.loads(error.read())
            assert error.code == 422
        assert answer["readings"] == len(case.get("readings", [])), case["note"]
        assert [d.split(":")[0] for d in answer["dropped"]] == case.get("rejects", []), case["note"]
        assert got(readings.snapshot()[before:], False) == expected(case), case["note"]
    # not JSON, and a path no source has: said, and counted
    for path, body, code in (("/sensor-community", b"{not json", 400), ("/nobody", b"{}", 404)):
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body)
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(request, timeout=10)
        assert error.value.code == code
    stats = {s.source_id: s for s in sources.stats()}["sc_cho"]
    assert stats.dropped["bad_json"] == 1 and stats.dropped["wrong_type"] == 1


def test_a_source_naming_an_unknown_sensor_or_metric_is_a_config_error(tmp_path):
    from controlroom.config import ConfigError

    config = vendor_config(tmp_path)
    text = (tmp_path / "vendor_commune.toml").read_text(encoding="utf-8")
    from controlroom.config import load_config

    broken = text.replace('"dev1" = "mn_cong_go_trung"', '"dev1" = "no_such_gauge"').replace(
        '"water_level_m" = "level"', '"water_level_m" = "no_such_metric"')
    (tmp_path / "broken.toml").write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path / "broken.toml")
    assert "sources[1].devices.dev1" in str(error.value) and "no_such_gauge" in str(error.value)
    assert "sources[1].fields.water_level_m" in str(error.value) and "no_such_metric" in str(error.value)
    (tmp_path / "broken.toml").write_text(text.replace('profile = "tasmota"', 'profile = "tasmota"\nvalues = "payload.[oops"'),
                                          encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path / "broken.toml")
    assert "sources[2].values" in str(error.value) and "JMESPath" in str(error.value)
    assert config.sources  # the good file loads


def test_a_custom_profile_under_the_site_prefix_maps_beside_the_contract(tmp_path, mqtt_broker):
    config = vendor_config(tmp_path, extra='''
[[sources]]
id = "cong_ty_x"
name = "Thiết bị hãng X"
topic = "vinhhung_t/vendor_x/+/data"
device = "topic[2]"
values = "payload.d"
timestamp = "payload.t"
timestamp_format = "epoch_s"
devices = { "X-0042" = "mn_cong_go_trung" }
fields = { "lvl_mm" = "level" }
scale = { "lvl_mm" = 0.001 }
''')
    config = config.model_copy(update={"sources": [s for s in config.sources if s.id == "cong_ty_x"]})
    bus = EventBus()
    readings, rejects = Collector(bus, Reading), Collector(bus, Rejected)
    feed = MqttFeed(config, bus, host=mqtt_broker.host, port=mqtt_broker.port, client_id="custom-feed")
    sources = DeviceSources(config, feed, bus.publish_batch)
    sources.start()
    feed.start()
    publisher = Publisher(mqtt_broker.host, mqtt_broker.port)
    try:
        assert feed.wait_subscribed(60)
        publisher.publish("vinhhung_t/vendor_x/X-0042/data", json.dumps({"t": 1764900000, "d": {"lvl_mm": 812}}))
        publisher.publish("vinhhung_t/sensor/ao_tom_1/reading", json.dumps({"value": 6.5}))
        wait_until(lambda: len(readings.snapshot()) == 2, message="the vendor's and the contract's reading")
        got = {(r.sensor_id, r.metric, round(r.value, 3)) for r in readings.snapshot()}
        assert got == {("mn_cong_go_trung", "level", 0.812), ("ao_tom_1", "do", 6.5)}
        assert not rejects.snapshot()
    finally:
        publisher.stop()
        feed.stop()
        sources.stop()
