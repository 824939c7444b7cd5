"""Shared fixtures: real brokers and databases, never stand-ins.

Area-specific fixtures live in a conftest.py inside that area's test folder.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
import json
import queue
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
# the map panel fetches basemap tiles: in tests only from a closed loopback port (nothing leaves)
os.environ.setdefault("CONTROLROOM_TILE_URL", "http://127.0.0.1:9/{z}/{x}/{y}.png")
os.environ.setdefault("CONTROLROOM_CAMERA_SOURCE", "synthetic")  # the wall never dials the example cameras' IPs

SYSTEM_BROKER = ("127.0.0.1", 1883)
POSTGRES_URL = os.environ.get("CONTROLROOM_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port}")


class MosquittoProcess:
    """A private Mosquitto on a free loopback port, with persistence and no queue limit,
    so tests can stop, kill and restart it without touching the system broker."""

    def __init__(self, workdir: Path):
        self.host = "127.0.0.1"
        self.port = free_port()
        self.workdir = workdir
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            f"user {getpass.getuser()}\n"  # as root, Mosquitto would drop to a user who cannot write here
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {workdir}/\n"
            "autosave_interval 1\n"
            "max_queued_messages 0\n"
            "max_inflight_messages 0\n"
            "log_dest none\n"
        )
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.host, self.port)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def mqtt_broker(tmp_path):
    """Own Mosquitto (persistence on, queues unlimited) for fault and no-loss tests."""
    if shutil.which("mosquitto") is None:
        pytest.fail("mosquitto is not installed; .ci/run installs it")
    broker = MosquittoProcess(tmp_path)
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def system_broker():
    """The machine's Mosquitto at 127.0.0.1:1883."""
    wait_for_port(*SYSTEM_BROKER, timeout=5)
    return SYSTEM_BROKER


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """Keep the app's user data dir inside the test's tmp dir."""
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("CONTROLROOM_DATA_DIR", str(path))
    return path


@pytest.fixture
def demo_config():
    from controlroom.config import demo_config_path, load_config

    return load_config(demo_config_path())


SITES = Path(__file__).with_name("sites")


@pytest.fixture
def second_config():
    """A second commune whose ids share nothing with the demo's (tests/sites/lagoon_commune.toml)."""
    from controlroom.config import load_config

    return load_config(SITES / "lagoon_commune.toml")


def closed_port() -> int:
    """A loopback port nobody listens on: a feed pointed there runs broker-less."""
    return free_port()


@pytest.fixture
def make_core(tmp_path, data_dir):
    """Build and start real ControlRoomCores (tmp SQLite, data dir in tmp); all stopped after.

    `broker` is anything with .host/.port (a MosquittoProcess) or None for a broker-less core
    (its feed keeps retrying a closed loopback port). Cameras are not opened unless asked."""
    from controlroom.core import ControlRoomCore

    cores = []

    def make(config, *, broker=None, db_url: str | None = None, client_id: str | None = None,
             monitor_cameras: bool = False, start: bool = True, **options):
        n = len(cores)
        host, port = (broker.host, broker.port) if broker is not None else ("127.0.0.1", closed_port())
        core = ControlRoomCore(config, db_url=db_url or f"sqlite:///{(tmp_path / f'core{n}.sqlite3').as_posix()}",
                               broker_host=host, broker_port=port, client_id=client_id or f"test-{uuid.uuid4().hex[:8]}",
                               data_dir=data_dir / f"core{n}", monitor_cameras=monitor_cameras, **options)
        cores.append(core)
        if start:
            core.start()
        return core

    yield make
    for core in reversed(cores):
        core.stop()


def wait_until(condition, timeout: float = 30.0, interval: float = 0.02, message: str = "condition"):
    """Poll `condition()` until it is truthy and return that value; fail after `timeout` seconds
    (generous by default: the machines are shared and slow)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message}")
        time.sleep(interval)


class RawClient:
    """A raw MQTT client: what a device, a console or an intruder sends, and the answers and
    retained topics of one site it reads back."""

    def __init__(self, host: str, port: int, prefix: str) -> None:
        self.prefix = prefix
        self.reply_to = f"room/service/reply/raw-{uuid.uuid4().hex[:8]}"
        self.messages: queue.Queue = queue.Queue()
        self.retained: dict[str, bytes] = {}
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"raw-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv5)
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        self.client.subscribe(f"{prefix}/room/#", qos=1)  # the replies too: a second, overlapping subscription
        # would have the broker deliver each reply twice
        self.client.loop_start()

    def _on_message(self, client, userdata, message) -> None:
        self.retained[message.topic] = message.payload
        if message.topic == f"{self.prefix}/{self.reply_to}":
            self.messages.put(json.loads(message.payload))

    def send(self, op: str, args: dict | None = None, session: str | None = None, *, sent_at_ms: int | None = None,
             raw: bytes | None = None) -> str:
        from controlroom.service.commands import COMMAND_TOPIC, request_body

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
