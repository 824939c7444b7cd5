"""A private Mosquitto for one benchmark run: free port, no queue limit, gone when the run ends.

Mosquitto's default `max_queued_messages 1000` silently drops QoS-1 messages for a slow
subscriber (PLATFORM.md), which would read as loss in a benchmark; 0 lifts the limit.
"""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_broker(workdir: Path, extra_conf: str = "") -> tuple[subprocess.Popen, int]:
    """Start mosquitto on 127.0.0.1 and wait until it answers (a fixed sleep is too short when loaded)."""
    port = free_port()
    conf = workdir / "mosquitto.conf"
    user = f"user {getpass.getuser()}\n" if os.name == "posix" else ""  # as root, mosquitto would drop to "mosquitto"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n{user}max_queued_messages 0\nlog_dest none\n{extra_conf}")
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("mosquitto did not start")
