"""`controlroom --screenshot` runs the real console script offscreen and writes a PNG."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from controlroom.config import demo_config_path

pytestmark = pytest.mark.timeout(180)


def _command() -> list[str]:
    return [str(Path(sys.executable).with_name("controlroom"))]


def _around_traceback(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if "WARN:" not in line]
    start = next((i for i, line in enumerate(lines) if "Traceback" in line), 0)
    return "\n".join(lines[max(0, start - 5):start + 25])


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _site_on(broker, tmp_path: Path) -> Path:
    """The demo commune pointed at a private broker with a client id of its own."""
    text = demo_config_path().read_text(encoding="utf-8")
    text = text.replace('[mqtt]\nhost = "127.0.0.1"\nport = 1883', f'[mqtt]\nhost = "{broker.host}"\nport = {broker.port}\nclient_id = "shot-{uuid.uuid4().hex[:8]}"', 1)
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _retain_reading(broker) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    client.connect(broker.host, broker.port)
    client.loop_start()
    payload = json.dumps({"ts": datetime.now(timezone.utc).isoformat(), "value": 1.25})
    client.publish("quangtho/sensor/wl_phu_oc/reading", payload, qos=1, retain=True).wait_for_publish(timeout=10)
    client.loop_stop()
    client.disconnect()


def test_screenshot_option_writes_a_png_of_the_main_window_and_exits_0(tmp_path, mqtt_broker):
    site = _site_on(mqtt_broker, tmp_path)
    _retain_reading(mqtt_broker)
    shot = tmp_path / "shots" / "window.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONTROLROOM_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run(
        _command() + ["--config", str(site), "--db", f"sqlite:///{tmp_path / 'shot.sqlite3'}", "--screenshot", str(shot), "--screenshot-delay", "1"],
        capture_output=True, text=True, timeout=150, env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, _around_traceback(result.stderr)
    width, height = _png_size(shot)
    assert width >= 640 and height >= 480


def test_demo_screenshot_runs_broker_simulator_and_core_end_to_end(tmp_path):
    shot = tmp_path / "demo.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONTROLROOM_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run(
        _command() + ["--demo", "--screenshot", str(shot), "--screenshot-delay", "2"],
        capture_output=True, text=True, timeout=150, env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, _around_traceback(result.stderr)
    assert _png_size(shot)[0] >= 640
    log_text = (tmp_path / "data" / "demo" / "controlroom.log").read_text(encoding="utf-8")  # the demo's own folder
    assert "the bundled demo runs its own broker" in log_text
    assert (tmp_path / "data" / "demo" / "controlroom.sqlite3").exists()  # demo accounts and alerts live there,
    assert not (tmp_path / "data" / "controlroom.sqlite3").exists()  # not in the database a real console uses
    assert "screenshot saved" in log_text
    assert "simulator stopped" in log_text
