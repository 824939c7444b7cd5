"""MQTT connections of the demo simulator (paho-mqtt 2.x; MQTT 5, or 3.1.1 for amqtt).

Each sensor device gets its own connection so its Last Will is real: the broker publishes
the retained ``offline`` itself when the device's connection ends. Under MQTT 5 a simulated
outage ends the connection with reason code 0x04 ("disconnect with will message"), so the
room sees exactly what it would see if the device lost power; MQTT 3.1.1 has no such code,
so there the device publishes its retained ``offline`` itself, then disconnects. The
speakers and the citizen-report bridge share one "hub" connection (see sim_speakers for
what that means for their status).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from controlroom.config import MqttConfig

log = logging.getLogger(__name__)

ONLINE = "online"
OFFLINE = "offline"
DEVICE_BUFFER = 10_000  # readings a device keeps while the broker is away (bounded, like a real logger)
HUB_SESSION_EXPIRY_S = 600
HUB_INFLIGHT = 500  # commands queued across a broker blip; older ones are stale


@dataclass(frozen=True)
class LinkSettings:
    """Where and how every simulator connection reaches the broker."""

    host: str
    port: int
    protocol: str = "v5"  # "v5" | "v311"
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    keepalive_s: int = 30

    @classmethod
    def from_config(cls, mqtt_config: MqttConfig, host: str | None = None, port: int | None = None,
                    protocol: str = "v5", username: str | None = None, password: str | None = None,
                    tls: bool | None = None) -> "LinkSettings":
        """The config's broker settings, each overridable (e.g. by a demo broker's handle)."""
        if protocol not in ("v5", "v311"):
            raise ValueError("protocol must be 'v5' or 'v311'")
        if username is None:
            username, password = mqtt_config.username, mqtt_config.password()
        return cls(host or mqtt_config.host, port or mqtt_config.port, protocol, username, password,
                   mqtt_config.tls if tls is None else tls,
                   str(mqtt_config.ca_file) if mqtt_config.ca_file else None, mqtt_config.keepalive_s)

    @property
    def v5(self) -> bool:
        return self.protocol == "v5"


def make_client(settings: LinkSettings, client_id: str) -> mqtt.Client:
    """A paho v2-callback client with the settings' protocol, credentials and TLS."""
    if settings.v5:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    else:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311,
                             clean_session=True)
    if settings.username:
        client.username_pw_set(settings.username, settings.password)
    if settings.tls:
        client.tls_set(ca_certs=settings.ca_file)
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

    def __init__(self, device_id: str, prefix: str, settings: LinkSettings, suffix: str):
        self.device_id = device_id
        self.status_topic = f"{prefix}/device/{device_id}/status"
        self._settings = settings
        self.client = make_client(settings, f"sim-{prefix}-{device_id}-{suffix}")
        self.client.max_queued_messages_set(DEVICE_BUFFER)
        self.client.will_set(self.status_topic, OFFLINE, qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.connected = threading.Event()
        self.up = False  # False while the simulator holds this device in an outage

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("simulator device %s: broker refused the connection: %s", self.device_id, reason_code)
            return
        client.publish(self.status_topic, ONLINE, qos=1, retain=True)
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()

    def connect(self) -> None:
        self.up = True
        settings = self._settings
        if settings.v5:
            self.client.connect_async(settings.host, settings.port, keepalive=settings.keepalive_s, clean_start=True)
        else:
            self.client.connect_async(settings.host, settings.port, keepalive=settings.keepalive_s)
        self.client.loop_start()

    def publish(self, topic: str, payload: dict, qos: int = 1) -> Any:
        return self.client.publish(topic, encode(payload), qos=qos)

    def drop(self) -> None:
        """Go offline: MQTT 5 makes the broker publish the Last Will (reason 0x04); under
        3.1.1 a clean disconnect suppresses the will, so the device says "offline" itself."""
        self.up = False
        self.connected.clear()
        if self._settings.v5:
            self.client.disconnect(reasoncode=ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message"))
        else:
            wait_published(self.client.publish(self.status_topic, OFFLINE, qos=1, retain=True), 0.5)
            self.client.disconnect()

    def join(self) -> None:
        """Wait for the network thread after drop()."""
        self.client.loop_stop()


class HubLink:
    """The shared connection of the speakers and the report bridge. `on_command(speaker_id,
    payload)` runs on paho's network thread for every <prefix>/speaker/<id>/cmd message."""

    def __init__(self, prefix: str, settings: LinkSettings, suffix: str,
                 on_connected: Callable[[], None], on_command: Callable[[str, bytes], None]):
        self.prefix = prefix
        self._settings = settings
        self._on_connected = on_connected
        self._on_command = on_command
        self.client = make_client(settings, f"sim-{prefix}-hub-{suffix}")
        # every speaker's status goes out at once on (re)connect and on stop: with paho's
        # default window of 20, the rest would wait for acks and be lost at disconnect
        self.client.max_inflight_messages_set(HUB_INFLIGHT)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *args: self.connected.clear()
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
        settings = self._settings
        if settings.v5:
            # A fresh session on the first connect (no stale commands from an earlier run), then
            # resumed sessions on reconnects so commands sent during a broker blip still arrive.
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = HUB_SESSION_EXPIRY_S
            self.client.connect_async(settings.host, settings.port, keepalive=settings.keepalive_s,
                                      clean_start=mqtt.MQTT_CLEAN_START_FIRST_ONLY, properties=properties)
        else:
            self.client.connect_async(settings.host, settings.port, keepalive=settings.keepalive_s)
        self.client.loop_start()

    def publish(self, topic_suffix: str, payload: dict | str, qos: int = 1, retain: bool = False) -> Any:
        return self.client.publish(f"{self.prefix}/{topic_suffix}", encode(payload), qos=qos, retain=retain)

    def close(self) -> None:
        self.connected.clear()
        self.client.disconnect()

    def join(self) -> None:
        self.client.loop_stop()
