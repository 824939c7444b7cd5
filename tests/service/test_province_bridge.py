"""The shipped bridge to the province (resources/mosquitto/bridge-to-province.conf), run on two
real Mosquitto processes: a commune's readings, alert and presence topics reach the province
broker under the same names, and nothing published while the province is down for 30 s is lost.

The template is rendered with its placeholders filled and only its TLS lines commented out (the
province here is plain TCP on loopback), so its topic lines and session settings are the ones
under test."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ..conftest import MosquittoProcess, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

TEMPLATE = Path(__file__).resolve().parents[2] / "resources" / "mosquitto" / "bridge-to-province.conf"
SITE = "vinhhung_t"
CUT_SECONDS = 30
CUT_MESSAGES = 300
TLS_LINE = re.compile(r"^(bridge_(cafile|capath|certfile|keyfile|tls_version|insecure|alpn)\b.*)$", re.MULTILINE)


def render_bridge(site: str, host: str, port: int) -> str:
    text = TEMPLATE.read_text(encoding="utf-8")
    text = text.replace("SITE_ID", site).replace("PROVINCE_HOST", host).replace("PROVINCE_PORT", str(port))
    return TLS_LINE.sub(r"# (loopback test, no TLS) \1", text)


class Watcher:
    """A paho client that records every message under a filter: (topic, payload, retain)."""

    def __init__(self, host: str, port: int, topic: str, *, persistent: bool = False):
        self._lock = threading.Lock()
        self.messages: list[tuple[str, bytes, bool]] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"watch-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv5)
        self.client.max_inflight_messages_set(100)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda client, userdata, flags, reason, props: client.subscribe(topic, qos=1)
        props = None
        if persistent:  # the session (its subscription and its queue) outlives a disconnect
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 3600
        self.client.reconnect_delay_set(1, 2)
        self.client.connect_async(host, port, clean_start=not persistent, properties=props)
        self.client.loop_start()

    def _on_message(self, client, userdata, message) -> None:
        with self._lock:
            self.messages.append((message.topic, message.payload, bool(message.retain)))

    def on(self, topic: str) -> list[tuple[bytes, bool]]:
        with self._lock:
            return [(payload, retain) for t, payload, retain in self.messages if t == topic]

    def last(self, topic: str) -> bytes | None:
        found = self.on(topic)
        return found[-1][0] if found else None

    def topics(self) -> set[str]:
        with self._lock:
            return {t for t, _, _ in self.messages}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def cleanup():
    """Callables run after the test, last first, whatever happened."""
    actions = []
    yield actions.append
    for action in reversed(actions):
        with contextlib.suppress(Exception):  # a failed stop must not keep the others from running
            action()


def reading(value: int) -> bytes:
    return json.dumps({"ts": int(time.time() * 1000), "value": value}).encode()


def test_bridge_carries_site_topics_up_and_loses_nothing_across_a_30_s_cut(tmp_path, cleanup):
    (tmp_path / "province").mkdir()
    (tmp_path / "commune").mkdir()
    province = MosquittoProcess(tmp_path / "province")
    commune = MosquittoProcess(tmp_path / "commune")
    assert province.port != commune.port
    bridge = render_bridge(SITE, province.host, province.port)
    assert "SITE_ID" not in bridge and "PROVINCE_" not in bridge
    commune.conf.write_text(commune.conf.read_text() + "\n" + bridge)
    cleanup(province.stop)
    cleanup(commune.stop)
    province.start()
    commune.start()

    upstairs = Watcher(province.host, province.port, f"{SITE}/#", persistent=True)  # the IOC's subscriber
    cleanup(upstairs.close)
    local = Watcher(commune.host, commune.port, f"{SITE}/#")  # what the commune's broker carries
    cleanup(local.close)
    state_topic = f"{SITE}/room/bridge/state"
    wait_until(lambda: local.last(state_topic) == b"1", 60, message="bridge notification '1' on the commune")
    wait_until(lambda: upstairs.client.is_connected() and local.client.is_connected(), 30, message="watchers connected")

    device = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"device-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5)
    device.max_inflight_messages_set(100)
    device.connect(commune.host, commune.port)
    device.loop_start()
    cleanup(device.loop_stop)
    cleanup(device.disconnect)

    # Something from the province must never come down: there is no "in" topic.
    down = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"ioc-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5)
    down.connect(province.host, province.port)
    down.loop_start()
    down.publish(f"{SITE}/room/alert/from_province", b'{"state": "active"}', qos=1, retain=True).wait_for_publish(10)
    down.disconnect()
    down.loop_stop()

    # Every topic line of the template, with the link up; plus one topic that is not bridged.
    alert_topic = f"{SITE}/room/alert/ngap_thon_2"
    retained = {
        alert_topic: b'{"state": "active", "level": 2}',
        f"{SITE}/camera/cong_chinh/status": b'{"health": "ok"}',
        f"{SITE}/room/service/status": b"online",
        f"{SITE}/room/service/health": b'{"readings_per_min": 12}',
        f"{SITE}/device/tram_1/status": b"online",
    }
    not_bridged = f"{SITE}/room/service/command"
    device.publish(not_bridged, b'{"op": "ping"}', qos=1).wait_for_publish(10)
    for topic, payload in retained.items():
        device.publish(topic, payload, qos=1, retain=True).wait_for_publish(10)
    before = {f"{SITE}/sensor/tram_{i}/reading": reading(i) for i in range(3)}
    for topic, payload in before.items():
        device.publish(topic, payload, qos=1).wait_for_publish(10)
    for topic, payload in {**retained, **before}.items():
        wait_until(lambda t=topic, want=payload: any(p == want for p, _ in upstairs.on(t)), 30,
                   message=f"{topic} at the province")
    assert not_bridged not in upstairs.topics()

    # Cut the link: the province broker goes down (SIGTERM, it saves its sessions and retained
    # messages); the devices keep publishing to the commune for 30 s.
    province.stop(signal.SIGTERM)
    wait_until(lambda: local.last(state_topic) == b"0", 30, message="bridge notification '0' on the commune")
    cut_topic = f"{SITE}/sensor/tram_{{}}/reading"
    pending = []
    started = time.monotonic()
    for n in range(CUT_MESSAGES):
        pending.append(device.publish(cut_topic.format(n % 3), reading(1000 + n), qos=1))
        if n == CUT_MESSAGES // 2:  # the alert changes while the province cannot see it
            retained[alert_topic] = b'{"state": "acknowledged", "level": 2}'
            pending.append(device.publish(alert_topic, retained[alert_topic], qos=1, retain=True))
        time.sleep(max(0.0, started + (n + 1) * CUT_SECONDS / CUT_MESSAGES - time.monotonic()))
    for info in pending:
        info.wait_for_publish(30)  # the commune broker has them all (PUBACK)
    cut_published = CUT_MESSAGES

    province.start()  # same port, same persistence directory
    wait_until(lambda: local.last(state_topic) == b"1", 120, message="bridge notification '1' after the cut")

    def cut_values() -> list[int]:
        values = []
        for i in range(3):
            for payload, _ in upstairs.on(cut_topic.format(i)):
                value = json.loads(payload)["value"]
                if value >= 1000:
                    values.append(value - 1000)
        return values

    try:
        wait_until(lambda: set(cut_values()) >= set(range(CUT_MESSAGES)), 120, message="every reading of the cut")
    finally:
        received = cut_values()
        distinct = set(received)
        print(f"\nduring the cut: published {cut_published}, received {len(received)}, distinct {len(distinct)}, "
              f"duplicates {len(received) - len(distinct)}, missing {sorted(set(range(CUT_MESSAGES)) - distinct)[:20]}")
    assert distinct == set(range(CUT_MESSAGES))

    # A fresh IOC subscriber finds the alert's latest state retained on the province broker.
    fresh = Watcher(province.host, province.port, f"{SITE}/room/alert/+")
    cleanup(fresh.close)
    wait_until(lambda: (retained[alert_topic], True) in fresh.on(alert_topic), 30,
               message="the acknowledged alert retained at the province")
    assert fresh.on(alert_topic)[-1] == (retained[alert_topic], True)
    # and the province side sees the link up too (the bridge publishes its state there as well)
    wait_until(lambda: upstairs.last(state_topic) == b"1", 30, message="bridge state '1' at the province")
    # Nothing came down: the commune never saw the province's own alert.
    assert f"{SITE}/room/alert/from_province" not in local.topics()
