"""Camera-operations fixtures: a SQLite database with its one writer, an audit log, and a real
ONVIF camera (ipycam, tests/camera_ops/onvif_peer.py) as a subprocess bound to 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from controlroom.access.audit import AuditLog
from controlroom.bus import EventBus
from controlroom.config import DatabaseConfig
from controlroom.storage.db import create_engine_for, migrate
from controlroom.storage.writer import StorageWriter

SITE = "quangtho"
PEER_SCRIPT = Path(__file__).with_name("onvif_peer.py")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class OnvifPeer:
    def __init__(self, workdir: Path, host: str = "127.0.0.1", user: str = "admin", password: str = "mật khẩu 1",
                 extra: list[str] | None = None, prefix: list[str] | None = None,
                 onvif_port: int | None = None, rtsp_port: int | None = None) -> None:
        self.host, self.user, self.password = host, user, password
        self.onvif_port = onvif_port or free_port()
        self.rtsp_port = rtsp_port or free_port()
        command = (prefix or []) + [sys.executable, str(PEER_SCRIPT), host, str(self.onvif_port), str(self.rtsp_port),
                                    "--user", user, "--password", password] + (extra or [])
        self.stderr_path = workdir / f"peer-{self.onvif_port}.stderr"
        with open(self.stderr_path, "w") as stderr:
            self.process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.PIPE, stderr=stderr, text=True)
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.strip() in ("READY", "FAILED") or not line:
                break
        if line.strip() != "READY":
            self.stop()
            tail = self.stderr_path.read_text(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError(f"ONVIF peer did not start ({line.strip() or 'no output'}): {' | '.join(tail)}"
                               " (the README's test command installs its peer: pip install --no-deps ipycam==1.3.0)")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout:
            self.process.stdout.close()


@pytest.fixture
def make_peer(tmp_path):
    """Start more peers (own options); all stopped at the end of the test."""
    peers = []

    def make(**kwargs):
        peers.append(OnvifPeer(tmp_path, **kwargs))
        return peers[-1]

    yield make
    for peer in peers:
        peer.stop()


@pytest.fixture(scope="module")
def peer(tmp_path_factory):
    peer = OnvifPeer(tmp_path_factory.mktemp("peer"))
    yield peer
    peer.stop()


@pytest.fixture
def engine(tmp_path):
    engine = create_engine_for(f"sqlite:///{(tmp_path / 'db.sqlite3').as_posix()}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def writer(engine):
    writer = StorageWriter(engine, EventBus(), SITE, DatabaseConfig())
    writer.start()
    yield writer
    writer.stop()


@pytest.fixture
def audit(writer):
    return AuditLog(writer, SITE)
