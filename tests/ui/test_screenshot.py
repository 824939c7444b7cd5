"""`controlroom --screenshot` runs the real console script offscreen and writes a PNG."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from controlroom.config import demo_config_path, load_config

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


LOCK_SCREEN = (0x0b, 0x12, 0x20)  # the lock cover's background (ui/access/lock_cover.py)


def _lock_screen_share(path: Path) -> float:
    """The share of the picture (a 40 x 40 grid of points) painted in the lock screen's colour."""
    from PyQt6.QtGui import QImage

    image = QImage(str(path))
    assert not image.isNull(), f"cannot read {path}"
    points = [(image.width() * (i + 0.5) / 40, image.height() * (j + 0.5) / 40) for i in range(40) for j in range(40)]
    hits = sum(image.pixelColor(int(x), int(y)).getRgb()[:3] == LOCK_SCREEN for x, y in points)
    return hits / len(points)


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


def test_screenshot_of_a_real_console_shows_its_lock_screen_and_exits_0(tmp_path, mqtt_broker):
    """Only the demo is pictured as it runs: a real console's `--screenshot` must not show (and
    save) its cameras and alerts to someone who never signed in."""
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
    assert _lock_screen_share(shot) > 0.8  # the lock screen: name, time, the sign-in form


def _listen(broker) -> tuple[mqtt.Client, list[str]]:
    """Every topic published on `broker` from now on (retained copies delivered at subscription
    are left out: they are history, not something published during the test)."""
    heard: list[str] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"listen-{uuid.uuid4().hex[:8]}")
    subscribed = threading.Event()
    client.on_subscribe = lambda *_args: subscribed.set()
    client.on_message = lambda _c, _u, message: None if message.retain else heard.append(message.topic)
    client.on_connect = lambda c, *_args: c.subscribe("#")
    client.connect(*broker)
    client.loop_start()
    assert subscribed.wait(10), "could not subscribe to the machine's broker"
    probe = f"controlroom-test/{uuid.uuid4().hex[:8]}"  # the listener hears what is published there
    client.publish(probe, b"1", qos=1).wait_for_publish(10)
    deadline = time.monotonic() + 10
    while probe not in heard and time.monotonic() < deadline:
        time.sleep(0.02)
    assert probe in heard, "the listener on the machine's broker hears nothing"
    return client, heard


def test_demo_starts_its_service_as_a_child_and_stops_it_on_exit(tmp_path, system_broker):
    """Nothing running: `--demo` starts `controlroom serve --demo` (broker, duties, simulator),
    attaches to it, and stops it when the console quits. The machine's own broker on 1883 (a
    real commune's) hears nothing of it."""
    listener, heard = _listen(system_broker)
    shot = tmp_path / "demo.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONTROLROOM_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run(
        _command() + ["--demo", "--screenshot", str(shot), "--screenshot-delay", "2"],
        capture_output=True, text=True, timeout=150, env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, _around_traceback(result.stderr)
    assert _png_size(shot)[0] >= 640
    assert _lock_screen_share(shot) < 0.3  # the demo pictured as it runs, for looking at the screens
    demo = tmp_path / "data" / "demo"  # the demo's own folder
    log_text = (demo / "controlroom.log").read_text(encoding="utf-8")
    assert "attached to the demo service this console started" in log_text
    assert "screenshot saved" in log_text
    service_log = (demo / "controlroom-serve.log").read_text(encoding="utf-8")
    assert "the bundled demo runs its own broker" in service_log
    assert "simulator stopped" in service_log and "service for quangtho stopped" in service_log
    assert (demo / "controlroom.sqlite3").exists()  # demo accounts and alerts live there,
    assert not (tmp_path / "data" / "controlroom.sqlite3").exists()  # not in the database a real console uses
    assert not (demo / "demo-service.json").exists()  # the child is gone, and says so
    listener.loop_stop()
    listener.disconnect()
    prefix = load_config(demo_config_path()).topic_prefix
    assert [t for t in heard if t.startswith(prefix + "/")] == []  # readings, alerts, speakers: all on its own broker


def test_demo_attaches_to_a_running_demo_service_and_leaves_it_running(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONTROLROOM_DATA_DIR=str(tmp_path / "data"))
    demo = tmp_path / "data" / "demo"
    service = subprocess.Popen(_command() + ["serve", "--demo"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while not (demo / "demo-service.json").exists():
            assert service.poll() is None and time.monotonic() < deadline, "the demo service did not start"
            time.sleep(0.2)
        shot = tmp_path / "attached.png"
        result = subprocess.run(_command() + ["--demo", "--screenshot", str(shot), "--screenshot-delay", "2"],
                                capture_output=True, text=True, timeout=150, env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "attached to a running demo service" in (demo / "controlroom.log").read_text(encoding="utf-8")
        assert service.poll() is None, "the console stopped a service it did not start"
        assert (demo / "demo-service.json").exists()
    finally:
        service.terminate()
        code = service.wait(60)
    assert code == 0, service.stderr.read()[-2000:]
    assert not (demo / "demo-service.json").exists()


def test_a_killed_demo_service_leaves_no_broker_behind_the_next_start(tmp_path):
    """SIGKILL gives the service no chance to stop its private Mosquitto; the next demo service
    (or a console starting one) stops it, as the state file names it."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONTROLROOM_DATA_DIR=str(tmp_path / "data"))
    state = tmp_path / "data" / "demo" / "demo-service.json"
    service = subprocess.Popen(_command() + ["serve", "--demo"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while not state.exists():
            assert service.poll() is None and time.monotonic() < deadline, "the demo service did not start"
            time.sleep(0.2)
        broker_pid = json.loads(state.read_text(encoding="utf-8"))["broker_pid"]
        assert broker_pid and Path(f"/proc/{broker_pid}").exists()
    finally:
        service.kill()
        service.wait(30)
    assert Path(f"/proc/{broker_pid}").exists()  # orphaned (a zombie is gone from /proc once reaped)
    probe = ("from controlroom.service import demo; demo.stop_orphan_broker()")
    demo_env = dict(env, CONTROLROOM_DATA_DIR=str(state.parent))  # as the CLI sets it for the demo
    subprocess.run([sys.executable, "-c", probe], env=demo_env, check=True, timeout=60)
    deadline = time.monotonic() + 30
    while _running(broker_pid):
        assert time.monotonic() < deadline, "the orphaned broker is still running"
        time.sleep(0.2)


def _running(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
