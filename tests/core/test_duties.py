"""The core owns every duty: a second commune's core, with no window and no Qt, alerts, repeats
its flood bulletins and watches its cameras; the UI layer builds none of those services."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import wave
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from controlroom.access.operators import Operator, Role
from controlroom.broadcast.jobs import Priority

from ..conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]
OFFICER = Operator("truc_ban_vh", "Trực ban Vinh Hưng", Role.DUTY_OFFICER)
# Constructors of core services: only the core (its capability setups) may call them.
SERVICE_CONSTRUCTORS = {
    "AlertEngine", "BroadcastService", "AudioServer", "BroadcastScheduler", "ProgrammeStore", "start_broadcasting",
    "FloodRiskMonitor", "BulletinService", "DutyLog", "DamageReports", "start_flood_duty", "CameraService",
    "ReaderPool", "HealthMonitor", "PtzService", "SnapshotService", "CameraStatusMqttPublisher",
    "CameraStatusSubscriber", "AccessService", "OperatorSession", "AuditLog", "StorageWriter", "MqttFeed",
    "ControlRoomCore",
}


def _silence(path: Path) -> tuple[Path, float]:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(8000)
        out.writeframes(b"\0\0" * 8000)
    return path, 1.0


def test_the_core_alerts_repeats_bulletins_and_watches_cameras_with_no_window(second_config, mqtt_broker, make_core,
                                                                              tmp_path, monkeypatch):
    monkeypatch.setenv("CONTROLROOM_CAMERA_SOURCE", "synthetic")
    core = make_core(second_config, broker=mqtt_broker, monitor_cameras=True)
    assert core.feed.wait_subscribed(30)
    device = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="duty-device", protocol=mqtt.MQTTv5)
    device.connect(mqtt_broker.host, mqtt_broker.port)
    device.loop_start()
    try:
        pond = second_config.sensor("ao_tom_1")
        device.publish(f"{second_config.topic_prefix}/sensor/{pond.id}/reading",
                       json.dumps({"values": {"do": 2.1}}), qos=1).wait_for_publish(10)
        wait_until(lambda: any(a.source == f"sensor/{pond.id}/do" and a.active for a in core.alerts.snapshot().alerts),
                   30, message="no low-oxygen alert")
    finally:
        device.loop_stop()
        device.disconnect()

    bulletins = core.flood.bulletins
    draft = bulletins.compose()
    assert set(draft.villages) == {v.id for v in second_config.villages if v.low_lying}
    bulletin = bulletins.issue(draft, OFFICER, audio=_silence(tmp_path / "b.wav"))
    job = core.broadcast.service.job(bulletin.job_id(0))
    assert job is not None and job.priority is Priority.EMERGENCY
    bulletins.tick(bulletin.next_due_at)  # the repeat is the core's own timer's work; run one now
    assert core.broadcast.service.job(bulletin.job_id(1)) is not None

    cameras = {c.id for c in second_config.cameras}
    wait_until(lambda: cameras <= {d for d, s in core.live.devices().items() if s.online}, 60,
               message="camera health never reached the bus")
    assert {r.camera_id for r in core.cameras.pool.readers()} == cameras


def test_importing_every_core_module_loads_no_qt():
    probe = (
        "import importlib, pkgutil, sys\n"
        "import controlroom\n"
        "skip = ('controlroom.ui', 'controlroom.widgets', 'controlroom.resources', 'controlroom.sites',"
        " 'controlroom.storage.migrations', 'controlroom.cli.__main__')\n"
        "names = [m.name for m in pkgutil.walk_packages(controlroom.__path__, 'controlroom.')"
        " if not m.name.startswith(skip)]\n"
        "for name in names: importlib.import_module(name)\n"
        "qt = sorted(n for n in sys.modules if n.split('.')[0] in ('PyQt6', 'pyqtgraph'))\n"
        "print(len(names), qt)\n"
    )
    result = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    count, qt = result.stdout.split(" ", 1)
    assert int(count) > 60 and qt.strip() == "[]"


def _is_main_block(node: ast.stmt) -> bool:
    """`if __name__ == "__main__":` — a runnable demo may build its own core."""
    test = node.test if isinstance(node, ast.If) else None
    return isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"


def _constructed(path: Path) -> set[str]:
    """Names of service constructors a module calls outside its demo block."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for statement in tree.body:
        if _is_main_block(statement):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
                if name in SERVICE_CONSTRUCTORS:
                    names.add(name)
    return names


def test_no_panel_or_widget_constructs_a_core_service():
    offenders = {str(path.relative_to(ROOT)): names for folder in ("ui", "widgets")
                 for path in sorted((ROOT / folder).rglob("*.py")) if (names := _constructed(path))}
    assert offenders == {}


def test_panels_get_typed_handles_not_a_service_dict():
    from dataclasses import fields

    from controlroom.ui.shell.context import AppContext

    assert "services" not in {f.name for f in fields(AppContext)}
    for folder in ("ui", "widgets"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert "services[" not in text and "getattr(core" not in text and "getattr(self.core" not in text, path
