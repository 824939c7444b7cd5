"""Camera fixtures: a real GStreamer RTSP server on a free loopback port.

The server runs under Debian's /usr/bin/python3 (PyGObject + GstRtspServer from apt), as a
subprocess of tests/camera/rtsp_server.py, so a test can kill it (SIGKILL, like a camera losing
power) and start it again on the same port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

import controlroom.cameras.video_backends  # noqa: F401  sets OPENCV_FFMPEG_* before anything imports cv2

SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
SYSTEM_PYTHON = "/usr/bin/python3"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


class RtspServer:
    """`url(i)` is mount i; `kill()` / `start()` / `restart()` keep the same port."""

    def __init__(self, mounts: int = 2, width: int = 640, height: int = 360, fps: int = 15, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.args = [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", str(self.port), "--mounts", str(mounts),
                     "--width", str(width), "--height", str(height), "--fps", str(fps)]
        self.proc: subprocess.Popen | None = None

    def url(self, mount: int = 0, credentials: str = "") -> str:
        auth = f"{credentials}@" if credentials else ""
        return f"rtsp://{auth}127.0.0.1:{self.port}/cam{mount}"

    def start(self, timeout: float = 20.0) -> None:
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"RTSP server exited: {self.proc.stderr.read()}")
            if _port_open(self.port):
                return
            time.sleep(0.1)
        self.kill()
        raise TimeoutError(f"RTSP server not listening on {self.port}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        if self.proc is not None:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream:
                    stream.close()
        self.proc = None

    def restart(self) -> None:
        self.kill()
        deadline = time.monotonic() + 10
        while _port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.start()


def gst_rtsp_available() -> str | None:
    """None when the GStreamer RTSP server can run; else what is missing."""
    if not os.path.exists(SYSTEM_PYTHON):
        return "Debian's /usr/bin/python3 is missing"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import gi; gi.require_version('GstRtspServer', '1.0'); "
                            "from gi.repository import Gst, GstRtspServer; Gst.init(None); "
                            "assert Gst.ElementFactory.find('x264enc'), 'x264enc'"], capture_output=True, text=True)
    return None if probe.returncode == 0 else probe.stderr.strip().splitlines()[-1]


@pytest.fixture
def rtsp_server():
    """A running RTSP server with 2 mounts (/cam0, /cam1), 640x360 H.264 at 15 fps."""
    missing = gst_rtsp_available()
    if missing:
        pytest.fail("GStreamer RTSP server unavailable (apt: python3-gi gir1.2-gst-rtsp-server-1.0 "
                    f"gstreamer1.0-plugins-ugly): {missing}")
    server = RtspServer(mounts=2)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def dead_rtsp_port():
    """A loopback port that accepts TCP connections and never answers (a hung camera)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield listener.getsockname()[1]
    listener.close()


@pytest.fixture
def camera_config(demo_config):
    """The demo commune's config with its first cameras re-pointed by the test."""
    def make(urls: dict[str, str]):
        cameras = [c.model_copy(update={"sub_url": urls.get(c.id, c.sub_url), "main_url": urls.get(c.id, c.main_url)})
                   for c in demo_config.cameras if c.id in urls]
        return demo_config.model_copy(update={"cameras": cameras})
    return make


