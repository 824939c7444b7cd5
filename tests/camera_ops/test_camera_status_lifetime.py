"""A camera's retained status cannot outlive the console that keeps it fresh: it carries an MQTT 5
expiry, a clean stop clears it, and a reader takes an old report for no report at all."""

from __future__ import annotations

import json
import queue
import uuid
from datetime import datetime, timedelta, timezone

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from controlroom.cameras.health import StreamHealth, StreamState
from controlroom.cameras.status_mqtt import (EXPIRY_REFRESHES, CameraStatusMqttPublisher, CameraStatusReport,
                                             status_payload)

from ..conftest import wait_until


def _health(state: StreamState) -> StreamHealth:
    return StreamHealth(state=state, fps=12.5, frame_age_s=0.1, width=640, height=360, bitrate_kbps=None,
                        reconnects=0, frames=100, down_since=None, last_error="")


class _Watcher:
    """A raw MQTT 5 client that records every message (payload, expiry) on one topic."""

    def __init__(self, broker, topic: str) -> None:
        self.messages: queue.Queue = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"watch-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv5)
        self.client.on_message = lambda c, u, m: self.messages.put(
            (m.payload, getattr(m.properties, "MessageExpiryInterval", None)))
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(topic, qos=1)
        self.client.loop_start()

    def next(self, timeout: float = 30.0):
        return self.messages.get(timeout=timeout)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_status_expires_is_cleared_on_stop_and_old_reports_read_as_unknown(second_config, mqtt_broker, make_core):
    camera = second_config.cameras[0].id
    core = make_core(second_config, broker=mqtt_broker)
    assert core.feed.wait_subscribed(30)
    watcher = _Watcher(mqtt_broker, f"{second_config.topic_prefix}/camera/{camera}/status")
    try:
        publisher = CameraStatusMqttPublisher(core.feed, lambda: [(camera, _health(StreamState.LIVE))],
                                              core.feed.client_id, refresh_s=10.0)
        assert publisher.publish_once() == 1
        payload, expiry = watcher.next()
        assert json.loads(payload)["state"] == "live"
        assert expiry is not None and 0 < expiry <= EXPIRY_REFRESHES * 10  # the broker forgets it if we die

        publisher.stop()  # a clean stop: the retained copy goes
        payload, _ = watcher.next()
        assert payload == b""

        reader = core.cameras.status  # what every console reads camera health from
        arrived: list = []
        core.bus.subscribe(CameraStatusReport, arrived.append)
        old = status_payload(_health(StreamState.LIVE), "console-gone",
                             datetime.now(timezone.utc) - timedelta(minutes=10))
        fresh = status_payload(_health(StreamState.STALLED), "console-here")
        other = second_config.cameras[1].id
        core.feed.publish(f"camera/{camera}/status", old, qos=1)
        core.feed.publish(f"camera/{other}/status", fresh, qos=1)
        wait_until(lambda: {r.camera_id for r in arrived} >= {camera, other}, 30, message="the reports never arrived")
        latest = reader.latest()
        assert camera not in latest  # ten minutes old: no report, not "live"
        assert latest[other].state == "stalled"
    finally:
        watcher.close()
