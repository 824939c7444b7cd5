"""Helpers for the simulator tests: a raw MQTT listener, a tiny audio HTTP server, a
per-test topic prefix (so runs never see each other's retained messages)."""

from __future__ import annotations

import functools
import json
import threading
import uuid
import wave
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import paho.mqtt.client as mqtt
import pytest

from ..conftest import wait_until  # noqa: F401  (the simulator tests import it from here)


class Listener:
    """A plain paho subscriber that keeps every message (topic, payload bytes, retain flag)."""

    def __init__(self, host: str, port: int, pattern: str, protocol: str = "v5", username: str | None = None):
        self._lock = threading.Lock()
        self.messages: list[tuple[str, bytes, bool]] = []
        self._subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-listen-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv5 if protocol == "v5" else mqtt.MQTTv311)
        if username:
            self.client.username_pw_set(username, "secret")
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.on_connect = lambda client, *args: client.subscribe(pattern, qos=1)
        self.client.connect(host, port)
        self.client.loop_start()
        assert self._subscribed.wait(10), "listener did not subscribe"

    def _on_message(self, client, userdata, message) -> None:
        with self._lock:
            self.messages.append((message.topic, bytes(message.payload), bool(message.retain)))

    def snapshot(self, contains: str = "") -> list[tuple[str, bytes, bool]]:
        with self._lock:
            return [m for m in self.messages if contains in m[0]]

    def json(self, contains: str) -> list[tuple[str, object]]:
        return [(topic, json.loads(payload)) for topic, payload, _ in self.snapshot(contains)]

    def publish(self, topic: str, payload: dict) -> None:
        self.client.publish(topic, json.dumps(payload), qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def listeners():
    made: list[Listener] = []

    def make(host: str, port: int, pattern: str, **options) -> Listener:
        listener = Listener(host, port, pattern, **options)
        made.append(listener)
        return listener

    yield make
    for listener in made:
        listener.close()


@pytest.fixture
def sim_config(demo_config):
    """The demo commune under a topic prefix of its own."""
    prefix = f"simtest{uuid.uuid4().hex[:8]}"
    return demo_config.model_copy(update={"mqtt": demo_config.mqtt.model_copy(update={"topic_prefix": prefix})})


def write_wav(path, seconds: float, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\x00\x00" * int(seconds * rate))


@pytest.fixture
def make_wav():
    return write_wav


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass


@pytest.fixture
def audio_server(tmp_path):
    """Serves tmp_path/audio over HTTP on loopback; yields the base URL."""
    folder = tmp_path / "audio"
    folder.mkdir()
    write_wav(folder / "short.wav", 1.0)  # 1 s: 0.05 s at speaker speed 20
    write_wav(folder / "long.wav", 600.0)  # 10 min: plays until pre-empted or stopped
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="test-audio-http", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)
