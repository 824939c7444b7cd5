"""Helpers for the MQTT tests: an event collector on the bus and a plain paho publisher."""

from __future__ import annotations

import getpass
import os
import threading
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ..conftest import wait_until


class Collector:
    """Thread-safe list of events of some types published on a bus."""

    def __init__(self, bus, *types):
        self._lock = threading.Lock()
        self.events = []
        for event_type in types:
            bus.subscribe(event_type, self._append)

    def _append(self, event) -> None:
        with self._lock:
            self.events.append(event)

    def snapshot(self) -> list:
        with self._lock:
            return list(self.events)


class Publisher:
    """A device-like publisher: its own paho client with a persistent MQTT 5 session, so
    QoS-1 messages in flight across a broker restart are re-sent after reconnecting."""

    def __init__(self, host: str, port: int, protocol: str = "v5", username: str | None = None):
        client_id = f"test-pub-{uuid.uuid4().hex[:8]}"
        if protocol == "v5":
            self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
            self.client.max_inflight_messages_set(100)
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 3600
            self.client.connect_async(host, port, clean_start=False, properties=props)
        else:
            self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311, clean_session=False)
            self.client.max_inflight_messages_set(100)
            if username:
                self.client.username_pw_set(username, "x")
            self.client.connect_async(host, port)
        self.client.reconnect_delay_set(1, 2)
        self.client.loop_start()
        wait_until(self.client.is_connected, 30, message="publisher connected")

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False):
        return self.client.publish(topic, payload, qos=qos, retain=retain)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def persistent_broker(mqtt_broker):
    """`mqtt_broker` whose persistence really works when the tests run as root.

    Started as root, Mosquitto drops to the "mosquitto" user, which cannot write the test's
    tmp dir: "Error saving in-memory database" in its log, and every session is lost on a
    restart. A `user <current user>` line keeps it running as us."""
    user_line = f"user {getpass.getuser()}"
    conf = mqtt_broker.conf.read_text()
    if os.name == "posix" and user_line not in conf:
        mqtt_broker.conf.write_text(conf + user_line + "\n")
        mqtt_broker.restart()
    return mqtt_broker


@pytest.fixture
def publisher_factory():
    made: list[Publisher] = []

    def make(host: str, port: int, **kwargs) -> Publisher:
        publisher = Publisher(host, port, **kwargs)
        made.append(publisher)
        return publisher

    yield make
    for publisher in made:
        publisher.stop()


def unique_client_id(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"
