"""A raw MQTT client for the service's tests: what a console (or an intruder) sends."""

from __future__ import annotations

import json
import queue
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from controlroom.service.commands import COMMAND_TOPIC, REPLY_PREFIX, request_body


class RawClient:
    """Publishes commands and reads the answers and retained topics of one site."""

    def __init__(self, host: str, port: int, prefix: str) -> None:
        self.prefix = prefix
        self.reply_to = f"{REPLY_PREFIX}raw-{uuid.uuid4().hex[:8]}"
        self.messages: queue.Queue = queue.Queue()
        self.retained: dict[str, bytes] = {}
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"raw-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv5)
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        self.client.subscribe([(f"{prefix}/{self.reply_to}", 1), (f"{prefix}/room/#", 1)])
        self.client.loop_start()

    def _on_message(self, client, userdata, message) -> None:
        self.retained[message.topic] = message.payload
        if message.topic == f"{self.prefix}/{self.reply_to}":
            self.messages.put(json.loads(message.payload))

    def send(self, op: str, args: dict | None = None, session: str | None = None, *, sent_at_ms: int | None = None,
             raw: bytes | None = None) -> str:
        request_id = uuid.uuid4().hex[:12]
        body = raw if raw is not None else request_body(op, args, session, self.reply_to, request_id)
        if sent_at_ms is not None:
            data = json.loads(body)
            data["sent_at"] = sent_at_ms
            body = json.dumps(data).encode()
        self.client.publish(f"{self.prefix}/{COMMAND_TOPIC}", body, qos=1).wait_for_publish(10)
        return request_id

    def ask(self, op: str, args: dict | None = None, session: str | None = None, timeout: float = 30.0, **kw) -> dict:
        """Send and wait for the answer to this request (earlier answers are skipped)."""
        request_id = self.send(op, args, session, **kw)
        while True:
            answer = self.messages.get(timeout=timeout)
            if answer.get("id") == request_id:
                return answer

    def topic(self, suffix: str) -> bytes | None:
        return self.retained.get(f"{self.prefix}/{suffix}")

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def raw_client():
    clients = []

    def make(host: str, port: int, prefix: str) -> RawClient:
        clients.append(RawClient(host, port, prefix))
        return clients[-1]

    yield make
    for client in clients:
        client.close()
