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


MAX_UNACKED = 30_000  # paho numbers QoS-1 messages with 16 bits: past 65 535 unacknowledged it refuses some


def publish_all(client, messages, messages_per_s: float = 0.0) -> None:
    """Publish `(topic, payload)` pairs QoS 1 as fast as the broker acknowledges (or paced to
    `messages_per_s`), then wait until every one is acknowledged. At most MAX_UNACKED wait for
    their acknowledgement: paho refuses a message whose number is still in use (a flood of
    more than 65 535 from one client lost the rest), so the publisher waits for them."""
    from paho.mqtt.client import MQTT_ERR_SUCCESS

    start = time.monotonic()
    last = None
    for k, (topic, payload) in enumerate(messages):
        if k % 20 == 0:
            if messages_per_s:
                ahead = start + k / messages_per_s - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            while len(client._out_messages) >= MAX_UNACKED:  # noqa: SLF001 - paho has no public count
                time.sleep(0.002)
        last = client.publish(topic, payload, qos=1)
        if last.rc != MQTT_ERR_SUCCESS:
            raise RuntimeError(f"paho refused message {k}: {last.rc}")
    while len(client._out_messages) > 0:  # noqa: SLF001 - paho has no public "all acked"
        time.sleep(0.01)
    if last is not None:
        last.wait_for_publish(60)
