"""BufferedClient's PUBLISH fast path hands on_message what paho's own handler would."""

from __future__ import annotations

import struct

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from controlroom.feeds.buffered_client import PAHO_INTERNALS_OK, BufferedClient

pytestmark = pytest.mark.skipif(not PAHO_INTERNALS_OK, reason="paho internals moved: stock client in use")


def _publish_packet(topic: bytes, payload: bytes, qos: int, mid: int, v5: bool, properties: bytes = b"\x00") -> tuple[int, bytes]:
    header = 0x30 | (qos << 1) | 0x01  # retained
    body = struct.pack("!H", len(topic)) + topic
    if qos:
        body += struct.pack("!H", mid)
    if v5:
        body += properties
    return header, body + payload


def _received(client_class, protocol, header: int, packet: bytes) -> mqtt.MQTTMessage:
    client = client_class(CallbackAPIVersion.VERSION2, client_id="fast-path-test", protocol=protocol)
    got = []
    client.on_message = lambda c, u, message: got.append(message)
    client._in_packet = {"command": header, "packet": packet}  # noqa: SLF001 - the handler's input
    client._handle_publish()  # noqa: SLF001
    assert len(got) == 1
    return got[0]


@pytest.mark.parametrize("protocol", [mqtt.MQTTv5, mqtt.MQTTv311])
@pytest.mark.parametrize("qos", [0, 1])
@pytest.mark.parametrize(
    "properties", [b"\x00", b"\x02\x01\x01"], ids=["no-properties", "payload-format-indicator"]
)
def test_fast_path_message_matches_paho(protocol, qos, properties):
    v5 = protocol == mqtt.MQTTv5
    header, packet = _publish_packet(b"quangtho/sensor/s1/reading", b'{"value": 1.5}', qos, 4242, v5, properties)
    ours = _received(BufferedClient, protocol, header, packet)
    stock = _received(mqtt.Client, protocol, header, packet)
    for attribute in ("topic", "payload", "qos", "retain", "mid", "dup"):
        assert getattr(ours, attribute) == getattr(stock, attribute), attribute
    if v5:
        assert str(ours.properties) == str(stock.properties)
        assert ours.properties.isEmpty() == stock.properties.isEmpty()
    else:
        assert ours.properties is None and stock.properties is None
