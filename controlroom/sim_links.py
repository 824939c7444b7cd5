"""MQTT connections of the demo simulator (paho-mqtt 2.x, MQTT 5).

Each sensor device gets its own connection so its Last Will is real: the broker publishes
the retained ``offline`` itself when the device's connection ends. A simulated outage ends
the connection with reason code 0x04 ("disconnect with will message"), so the room sees
exactly what it would see if the device lost power. The speakers and the citizen-report
bridge share one "hub" connection (see sim_speakers for what that means for their status).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any, Callable

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from controlroom.config import MqttConfig

log = logging.getLogger(__name__)

ONLINE = "online"
OFFLINE = "offline"


def make_client(mqtt_config: MqttConfig, client_id: str) -> mqtt.Client:
    """A paho v2-callback MQTT 5 client with the config's credentials and TLS."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    if mqtt_config.username:
        client.username_pw_set(mqtt_config.username, mqtt_config.password())
    if mqtt_config.tls:
        client.tls_set(ca_certs=str(mqtt_config.ca_file) if mqtt_config.ca_file else None)
    client.reconnect_delay_set(min_delay=0.5, max_delay=5)
    return client


def client_suffix() -> str:
    """Unique per run: two simulators (or a test and a demo) never kick each other off."""
    return uuid.uuid4().hex[:8]


def encode(payload: dict | str) -> bytes:
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def wait_published(info: Any, timeout: float) -> None:
    """Wait for a QoS-1 publish to be acknowledged, if it was sent at all."""
    if info is None:
        return
    try:
        info.wait_for_publish(timeout)
    except (RuntimeError, ValueError) as exc:  # not connected: nothing to wait for
        log.debug("simulator: final publish not sent: %s", exc)


class DeviceLink:
    """One simulated device's own connection: retained "online" on every connect, Last Will
    "offline" (retained) on <prefix>/device/<id>/status."""

    def __init__(self, device_id: str, prefix: str, host: str, port: int, mqtt_config: MqttConfig, suffix: str):
        self.device_id = device_id
        self.status_topic = f"{prefix}/device/{device_id}/status"
        self._host, self._port, self._keepalive = host, port, mqtt_config.keepalive_s
        self.client = make_client(mqtt_config, f"sim-{prefix}-{device_id}-{suffix}")
        self.client.will_set(self.status_topic, OFFLINE, qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.connected = threading.Event()
        self.up = False  # False while the simulator holds this device in an outage

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("simulator device %s: broker refused the connection: %s", self.device_id, reason_code)
            return
        client.publish(self.status_topic, ONLINE, qos=1, retain=True)
        self.connected.set()

    def connect(self) -> None:
        self.up = True
        self.client.connect_async(self._host, self._port, keepalive=self._keepalive, clean_start=True)
        self.client.loop_start()

    def publish(self, topic: str, payload: dict, qos: int = 1) -> Any:
        return self.client.publish(topic, encode(payload), qos=qos)

    def drop(self) -> None:
        """Begin a disconnect that makes the broker publish the Last Will (reason 0x04)."""
        self.up = False
        self.connected.clear()
        self.client.disconnect(reasoncode=ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message"))

    def join(self) -> None:
        """Wait for the network thread after drop()."""
        self.client.loop_stop()


class HubLink:
    """The shared connection of the speakers and the report bridge. `on_command(speaker_id,
    payload)` runs on paho's network thread for every <prefix>/speaker/<id>/cmd message."""

    def __init__(self, prefix: str, host: str, port: int, mqtt_config: MqttConfig, suffix: str,
                 on_connected: Callable[[], None], on_command: Callable[[str, bytes], None]):
        self.prefix = prefix
        self._host, self._port, self._keepalive = host, port, mqtt_config.keepalive_s
        self._session_expiry = min(mqtt_config.session_expiry_s, 600)
        self._on_connected = on_connected
        self._on_command = on_command
        self.client = make_client(mqtt_config, f"sim-{prefix}-hub-{suffix}")
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.connected = threading.Event()
        self.handler_errors = 0

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("simulator hub: broker refused the connection: %s", reason_code)
            return
        client.subscribe(f"{self.prefix}/speaker/+/cmd", qos=1)
        self._on_connected()
        self.connected.set()

    def _on_message(self, client, userdata, message) -> None:
        parts = message.topic.split("/")
        if len(parts) < 4 or parts[-1] != "cmd" or parts[-3] != "speaker":
            return
        try:
            self._on_command(parts[-2], message.payload)
        except Exception:  # a simulator bug must not kill paho's network thread; count and log it
            self.handler_errors += 1
            log.exception("simulator: speaker command on %s failed", message.topic)

    def connect(self) -> None:
        # A fresh session on the first connect (no stale commands from an earlier run), then
        # resumed sessions on reconnects so commands sent during a broker blip still arrive.
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self._session_expiry
        self.client.connect_async(self._host, self._port, keepalive=self._keepalive,
                                  clean_start=mqtt.MQTT_CLEAN_START_FIRST_ONLY, properties=properties)
        self.client.loop_start()

    def publish(self, topic_suffix: str, payload: dict | str, qos: int = 1, retain: bool = False) -> Any:
        return self.client.publish(f"{self.prefix}/{topic_suffix}", encode(payload), qos=qos, retain=retain)

    def close(self) -> None:
        self.connected.clear()
        self.client.disconnect()

    def join(self) -> None:
        self.client.loop_stop()
