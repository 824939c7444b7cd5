"""The MQTT feed against real brokers: delivery, persistent sessions, broker restarts."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from controlroom.feeds.broker import ensure_broker
from controlroom.bus import EventBus
from controlroom.domain import ConnectionState, DeviceStatus, Reading, Rejected
from controlroom.feeds.mqtt_feed import MqttFeed

from .conftest import Collector, unique_client_id, wait_until

PREFIX = "quangtho"


def reading_payload(ts: datetime, **values: float) -> bytes:
    return json.dumps({"ts": ts.isoformat(), "values": values}).encode()


@pytest.fixture
def feeds():
    """Feeds made by a test, stopped at the end even if it fails."""
    made: list[MqttFeed] = []
    yield made
    for feed in made:
        feed.stop()


def start_feed(feeds, config, bus, host, port, client_id, **kwargs) -> MqttFeed:
    feed = MqttFeed(config, bus, host=host, port=port, client_id=client_id, **kwargs)
    feeds.append(feed)
    feed.start()
    assert feed.wait_subscribed(60), "feed never subscribed"
    return feed


def test_published_reading_arrives_on_the_bus_as_utc_reading(mqtt_broker, demo_config, publisher_factory, feeds):
    bus = EventBus()
    readings = Collector(bus, Reading)
    links = Collector(bus, ConnectionState)
    feed = start_feed(feeds, demo_config, bus, mqtt_broker.host, mqtt_broker.port, unique_client_id("feed"))
    publisher = publisher_factory(mqtt_broker.host, mqtt_broker.port)

    publisher.publish(f"{PREFIX}/sensor/aq_office/reading", b'{"ts": "2026-11-25T08:00:00+07:00", "values": {"pm25": 41.2, "pm10": 63}}')
    publisher.publish(f"{PREFIX}/sensor/wl_phu_oc/reading", b'{"ts": 1764032400000, "value": 2.37}')
    wait_until(lambda: len(readings.snapshot()) == 3, message="3 readings")

    got = {(r.sensor_id, r.metric): r for r in readings.snapshot()}
    assert got["aq_office", "pm25"].value == 41.2
    assert got["aq_office", "pm10"].ts == datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)
    assert got["wl_phu_oc", "level"].ts.tzinfo is not None
    assert links.snapshot()[0].connected and feed.connected
    assert feed.stats.readings == 3


def test_bad_payload_is_counted_and_the_feed_keeps_working(mqtt_broker, demo_config, publisher_factory, feeds):
    bus = EventBus()
    readings = Collector(bus, Reading)
    rejected = Collector(bus, Rejected)
    feed = start_feed(feeds, demo_config, bus, mqtt_broker.host, mqtt_broker.port, unique_client_id("feed"))
    publisher = publisher_factory(mqtt_broker.host, mqtt_broker.port)

    for bad in (b"{not json", b"\xff\xfe", b'{"value": NaN}', b"x" * (1024 * 1024)):
        publisher.publish(f"{PREFIX}/sensor/wl_phu_oc/reading", bad)
    publisher.publish(f"{PREFIX}/sensor/nowhere/reading", b'{"value": 1}')
    publisher.publish(f"{PREFIX}/sensor/wl_phu_oc/reading", b'{"value": 1.5}')
    wait_until(lambda: len(readings.snapshot()) == 1, message="the good reading after the bad ones")

    assert sorted(r.reason for r in rejected.snapshot()) == sorted(
        ["bad_json", "not_utf8", "not_finite", "too_large", "unknown_sensor"]
    )
    assert feed.stats.rejects["too_large"] == 1 and feed.connected


def test_a_burst_of_bad_payloads_is_logged_once(mqtt_broker, demo_config, publisher_factory, feeds, caplog):
    bus = EventBus()
    readings = Collector(bus, Reading)
    feed = start_feed(feeds, demo_config, bus, mqtt_broker.host, mqtt_broker.port, unique_client_id("feed"))
    publisher = publisher_factory(mqtt_broker.host, mqtt_broker.port)
    with caplog.at_level("WARNING", logger="controlroom.feeds.mqtt_feed"):
        for _ in range(50):
            publisher.publish(f"{PREFIX}/sensor/wl_phu_oc/reading", b"{broken")
        publisher.publish(f"{PREFIX}/sensor/wl_phu_oc/reading", b'{"value": 2}')
        wait_until(lambda: len(readings.snapshot()) == 1, message="the good reading after the burst")
    dropped = [r for r in caplog.records if "dropped MQTT message" in r.getMessage()]
    assert len(dropped) == 1 and feed.stats.rejects == {"bad_json": 50}


def test_feed_without_a_broker_reports_it_and_stops_cleanly(demo_config):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    bus = EventBus()
    links = Collector(bus, ConnectionState)
    feed = MqttFeed(demo_config, bus, host="127.0.0.1", port=port, client_id=unique_client_id("lonely"))
    feed.start()
    wait_until(lambda: links.snapshot(), message="a link state")
    feed.stop()
    state = links.snapshot()[0]
    assert not state.connected and str(port) in state.detail
    assert not feed.connected
    assert not [t for t in threading.enumerate() if t.name.startswith("paho-mqtt-client-lonely")]


def test_extra_subscription_and_publish_under_the_site_prefix(mqtt_broker, demo_config, publisher_factory, feeds):
    bus = EventBus()
    got: list[tuple[str, bytes]] = []
    feed = MqttFeed(demo_config, bus, host=mqtt_broker.host, port=mqtt_broker.port, client_id=unique_client_id("feed"))
    feeds.append(feed)
    feed.subscribe_extra("speaker/+/cmd", lambda topic, payload: got.append((topic, payload)))
    feed.start()
    assert feed.wait_subscribed(60)
    feed.publish("speaker/spk1/cmd", {"job": "j1", "action": "play", "source": "file:///tmp/a.wav", "priority": 2})
    wait_until(lambda: got, message="our own command back through the extra subscription")
    topic, payload = got[0]
    assert topic == f"{PREFIX}/speaker/spk1/cmd" and json.loads(payload)["job"] == "j1"


def test_qos0_flood_is_read_completely_by_the_buffered_client(mqtt_broker, demo_config, publisher_factory, feeds):
    bus = EventBus()
    readings = Collector(bus, Reading)
    feed = start_feed(feeds, demo_config, bus, mqtt_broker.host, mqtt_broker.port, unique_client_id("feed"))
    publisher = publisher_factory(mqtt_broker.host, mqtt_broker.port)
    base = datetime.now(timezone.utc) - timedelta(hours=3)
    for i in range(3000):  # QoS 0 has no in-flight window: the reader must still service the link
        publisher.publish(f"{PREFIX}/sensor/wl_phu_oc/reading", reading_payload(base + timedelta(milliseconds=i), level=1.0), qos=0)
    wait_until(lambda: len(readings.snapshot()) == 3000, message="3000 QoS-0 readings")
    assert feed.connected and feed.stats.duplicates == 0


def test_redelivered_reading_is_dropped_once_seen(mqtt_broker, demo_config, publisher_factory, feeds):
    bus = EventBus()
    readings = Collector(bus, Reading)
    feed = start_feed(feeds, demo_config, bus, mqtt_broker.host, mqtt_broker.port, unique_client_id("feed"))
    publisher = publisher_factory(mqtt_broker.host, mqtt_broker.port)
    topic = f"{PREFIX}/sensor/aq_office/reading"
    publisher.publish(topic, b'{"ts": 1764032400000, "values": {"pm25": 10, "pm10": 20}}')
    publisher.publish(topic, b'{"ts": 1764032400000, "values": {"pm25": 10, "pm10": 20}}')  # same again
    publisher.publish(topic, b'{"ts": 1764032400000, "values": {"o3": 5}}')  # same time, new metric
    publisher.publish(topic, b'{"ts": 1764032401000, "values": {"pm25": 11}}')
    wait_until(lambda: any(r.value == 11.0 for r in readings.snapshot()), message="the last message")  # in order
    assert sorted((r.metric, r.value) for r in readings.snapshot()) == [("o3", 5.0), ("pm10", 20.0), ("pm25", 10.0), ("pm25", 11.0)]
    assert feed.stats.duplicates == 2


def test_device_status_and_own_last_will(mqtt_broker, demo_config, publisher_factory, feeds):
    bus = EventBus()
    statuses = Collector(bus, DeviceStatus)
    watcher_id = unique_client_id("watcher")
    start_feed(feeds, demo_config, bus, mqtt_broker.host, mqtt_broker.port, watcher_id)
    other = start_feed(feeds, demo_config, EventBus(), mqtt_broker.host, mqtt_broker.port, "console-b")

    wait_until(lambda: any(s.device_id == "console-b" and s.online for s in statuses.snapshot()), message="console-b online")
    other.stop()
    wait_until(lambda: any(s.device_id == "console-b" and not s.online for s in statuses.snapshot()), message="console-b offline")


def test_reading_published_while_the_console_was_away_arrives_after_restart(persistent_broker, demo_config, publisher_factory, feeds):
    client_id = unique_client_id("console")
    first = start_feed(feeds, demo_config, EventBus(), persistent_broker.host, persistent_broker.port, client_id)
    first.stop()  # the session (and its QoS-1 subscriptions) stays on the broker

    publisher = publisher_factory(persistent_broker.host, persistent_broker.port)
    base = datetime.now(timezone.utc) - timedelta(hours=1)
    infos = [
        publisher.publish(f"{PREFIX}/sensor/wl_phu_oc/reading", reading_payload(base + timedelta(seconds=i), level=1.0 + i / 100))
        for i in range(50)
    ]
    for info in infos:
        info.wait_for_publish(30)

    bus = EventBus()
    readings = Collector(bus, Reading)
    start_feed(feeds, demo_config, bus, persistent_broker.host, persistent_broker.port, client_id)
    wait_until(lambda: len(readings.snapshot()) == 50, message="50 queued readings")
    assert {r.ts for r in readings.snapshot()} == {base + timedelta(seconds=i) for i in range(50)}


@pytest.mark.slow
def test_broker_restart_mid_stream_loses_no_qos1_reading(persistent_broker, demo_config, publisher_factory, feeds):
    total = 2000
    bus = EventBus()
    readings = Collector(bus, Reading)
    links = Collector(bus, ConnectionState)
    feed = start_feed(feeds, demo_config, bus, persistent_broker.host, persistent_broker.port, unique_client_id("console"))
    publisher = publisher_factory(persistent_broker.host, persistent_broker.port)
    base = datetime.now(timezone.utc) - timedelta(hours=2)

    def publish_all() -> None:
        for i in range(total):
            publisher.publish(f"{PREFIX}/sensor/aq_office/reading", reading_payload(base + timedelta(milliseconds=i), pm25=float(i % 500)))
            if i % 50 == 49:
                time.sleep(0.02)  # a steady stream, not one burst

    sender = threading.Thread(target=publish_all, name="test-publisher")
    sender.start()
    wait_until(lambda: len(readings.snapshot()) >= 300, message="stream under way")
    persistent_broker.stop()  # SIGTERM: Mosquitto saves sessions and queues
    wait_until(lambda: not feed.connected, message="feed noticed the broker went away")
    persistent_broker.start()
    sender.join(120)

    def unique() -> int:
        return len({r.ts for r in readings.snapshot()})

    wait_until(lambda: unique() == total, timeout=180, message=f"{total} unique readings")
    assert feed.connected
    assert [s.connected for s in links.snapshot()].count(True) >= 2  # reconnected by itself


def test_embedded_broker_fallback_carries_a_reading(demo_config, tmp_path, monkeypatch, publisher_factory, feeds):
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))  # no mosquitto binary to fall back on
    nowhere = demo_config.model_copy(update={"mqtt": demo_config.mqtt.model_copy(update={"port": 1})})
    handle = ensure_broker(nowhere, demo=True, workdir=tmp_path)
    try:
        assert handle.kind == "embedded" and handle.host == "127.0.0.1" and handle.protocol == "v311"
        bus = EventBus()
        readings = Collector(bus, Reading)
        options = handle.feed_options()
        start_feed(feeds, demo_config, bus, options.pop("host"), options.pop("port"), unique_client_id("console"), **options)
        publisher = publisher_factory(handle.host, handle.port, protocol="v311", username="device")
        publisher.publish(f"{PREFIX}/sensor/wl_phu_oc/reading", b'{"value": 3.1}')
        wait_until(lambda: len(readings.snapshot()) == 1, message="reading through the embedded broker")
        assert readings.snapshot()[0].value == 3.1
    finally:
        for feed in feeds:
            feed.stop()
        feeds.clear()
        handle.stop()


def test_private_mosquitto_fallback_uses_the_shipped_config(demo_config, tmp_path, publisher_factory, feeds):
    nowhere = demo_config.model_copy(update={"mqtt": demo_config.mqtt.model_copy(update={"port": 1})})
    handle = ensure_broker(nowhere, demo=True, workdir=tmp_path)
    try:
        assert handle.kind == "mosquitto" and handle.host == "127.0.0.1"
        conf = (tmp_path / "mosquitto" / "mosquitto.conf").read_text()
        assert "max_queued_messages 0" in conf and "persistence true" in conf
        bus = EventBus()
        readings = Collector(bus, Reading)
        start_feed(feeds, demo_config, bus, handle.host, handle.port, unique_client_id("console"))
        publisher_factory(handle.host, handle.port).publish(f"{PREFIX}/sensor/wl_phu_oc/reading", b'{"value": 0.5}')
        wait_until(lambda: len(readings.snapshot()) == 1, message="reading through private mosquitto")
    finally:
        for feed in feeds:
            feed.stop()
        feeds.clear()
        handle.stop()


def test_configured_broker_is_used_when_it_answers(mqtt_broker, demo_config, tmp_path):
    here = demo_config.model_copy(update={"mqtt": demo_config.mqtt.model_copy(update={"port": mqtt_broker.port})})
    handle = ensure_broker(here, demo=True, workdir=tmp_path)
    assert (handle.kind, handle.port) == ("configured", mqtt_broker.port)
    handle.stop()  # leaves the configured broker alone
    assert mqtt_broker.proc.poll() is None


def test_the_bundled_demo_never_uses_a_broker_that_answers_on_its_port(mqtt_broker, demo_config, tmp_path):
    here = demo_config.model_copy(update={"mqtt": demo_config.mqtt.model_copy(update={"port": mqtt_broker.port})})
    handle = ensure_broker(here, demo=True, workdir=tmp_path, private=True)
    try:
        assert handle.kind != "configured" and handle.port != mqtt_broker.port  # a real broker stays untouched
    finally:
        handle.stop()


def test_missing_tls_ca_file_is_reported_not_raised(demo_config, tmp_path):
    mqtt_settings = demo_config.mqtt.model_copy(update={"tls": True, "ca_file": tmp_path / "missing-ca.pem"})
    config = demo_config.model_copy(update={"mqtt": mqtt_settings})
    bus = EventBus()
    links = Collector(bus, ConnectionState)
    feed = MqttFeed(config, bus, client_id=unique_client_id("tls"))
    feed.start()
    feed.stop()
    assert [(s.connected, "missing-ca.pem" in s.detail) for s in links.snapshot()] == [(False, True)]
