"""Flood drill, end to end against the running app (offscreen): from the river crossing alarm
level III to the warning queued on every low-lying village's speakers.

Starts a private Mosquitto on loopback, the simulator (flood hydrograph at high time scale,
wall-clock stamps, simulated speakers that ack), and the app's main window with the flood
picture (graphs), broadcast and flood duty panels. When the first reading at or above the
station's alarm level III reaches the console, a scripted duty officer acts through real key
events only: F8 (the warning, pre-filled from the live station) and Enter (issue). Counted:
operator actions, seconds from the crossing reading to every low-lying speaker's command
queued, and to every speaker's "started" ack. Baseline, same run: the same bulletin issued by
a direct service call (no UI), its seconds to queued; ratio = drill / baseline.

    /opt/crvenv/bin/python benchmarks/flood_drill.py [--shots DIR] [--size 1920x1080]

Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shots", help="save window screenshots into this folder")
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--time-scale", type=float, default=240.0)
    args = parser.parse_args()
    width, height = (int(x) for x in args.size.split("x"))
    workdir = Path(tempfile.mkdtemp(prefix="flood-drill-"))
    os.environ["CONTROLROOM_DATA_DIR"] = str(workdir / "data")
    if width >= 3000:
        os.environ.setdefault("CONTROLROOM_UI_SCALE", "2")

    from PyQt6.QtCore import Qt
    from PyQt6.QtTest import QTest

    from controlroom.feeds.broker import _start_mosquitto, mosquitto_binary
    from controlroom.config import load_config, demo_config_path
    from controlroom.core import ControlRoomCore
    from controlroom.domain import Reading, SpeakerAck
    from controlroom.access.operators import Operator, Role
    from controlroom.sim.models import FloodScenario
    from controlroom.sim.simulator import Simulator

    from controlroom.ui.shell.app import apply_theme, create_application
    app = create_application()
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext
    from controlroom.ui.shell.main_window import MainWindow
    from controlroom.ui.shell.panels import PANELS

    scale = float(os.environ.get("CONTROLROOM_UI_SCALE", "1"))
    apply_theme(app, scale)
    broker = _start_mosquitto(mosquitto_binary(), workdir)
    config = load_config(demo_config_path())
    config = config.model_copy(update={
        "mqtt": config.mqtt.model_copy(update={"topic_prefix": f"drill{uuid.uuid4().hex[:6]}"}),
        "broadcast": config.broadcast.model_copy(update={"schedule": []})})
    station = next(s for s in config.sensors if s.kind == "water_level")
    low_villages = sorted(v.id for v in config.villages if v.low_lying)
    scenario = FloodScenario(first_event_h=0.0, rain_lead_h=0.0, rise_h=1.5, peak_jitter_m=0.0)
    simulator = Simulator(config, broker.host, broker.port, seed=7, time_scale=args.time_scale, scenario=scenario,
                          speaker_speed=30.0, device_outages=False, reports=False, timestamps="wall",
                          speaker_offline_ids=set(), speaker_fault_ids=set())
    core = ControlRoomCore(config, db_url=f"sqlite:///{workdir / 'drill.sqlite3'}", broker_host=broker.host,
                           broker_port=broker.port, client_id=f"drill-{uuid.uuid4().hex[:6]}", monitor_cameras=False)
    crossing: dict[str, float] = {}
    acks: dict[str, set[str]] = {}

    def on_reading(reading: Reading) -> None:
        if reading.sensor_id == station.id and reading.value >= station.alarm_levels.level_3 and "t" not in crossing:
            crossing["t"] = time.monotonic()
            crossing["value"] = reading.value

    def on_ack(ack: SpeakerAck) -> None:
        if ack.result == "started":
            acks.setdefault(ack.job, set()).add(ack.speaker_id)

    core.bus.subscribe(Reading, on_reading)
    core.bus.subscribe(SpeakerAck, on_ack)
    bridge = CoreBridge(core.bus, core.live)
    core.start()
    context = AppContext(config=config, core=core, bridge=bridge, ui_scale=scale)
    officer = Operator("trucban", "Cán bộ trực ban", Role.DUTY_OFFICER)
    context.session.sign_in(officer)
    wanted = {"graphs", "broadcast", "flood_duty", "alerts"} | ({"map"} if args.shots else set())
    window = MainWindow(context, panels=[p for p in PANELS if p.id in wanted])
    window.resize(width, height)
    window.show()
    simulator.start()
    result: dict = {"name": "flood_drill"}
    actions = 0

    def pump_until(condition, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            app.processEvents()
            if condition():
                return True
            time.sleep(0.01)
        return False

    try:
        panel = window.panel_widgets["flood_duty"]
        service = core.broadcast.service
        low_speakers = set(service.speakers_in(low_villages))
        if not pump_until(lambda: "t" in crossing, 240):
            raise RuntimeError("the river never reached alarm level III")
        pump_until(lambda: panel.duty.monitor.station(station.id).alarm_level == 3, 10)
        issued: list = []
        panel.issued.connect(issued.append)
        # -- the scripted officer: real key events only ----------------------------------
        QTest.keyClick(window, Qt.Key.Key_F8)
        actions += 1
        pump_until(lambda: panel.compose_dialog is not None and panel.compose_dialog.isVisible(), 20)
        if args.shots:
            panel.compose_dialog.grab().save(str(Path(args.shots) / f"fd_compose_{width}.png"))
        QTest.keyClick(panel.compose_dialog.issue_button, Qt.Key.Key_Return)
        actions += 1

        def queued() -> bool:
            if not issued:
                return False
            job = service.job(issued[0] + "-r0")
            return job is not None and set(job.targets) >= low_speakers and all(
                d.sent_at is not None for d in job.deliveries.values())

        if not pump_until(queued, 120):
            raise RuntimeError("the warning was not queued")
        t_queued = time.monotonic() - crossing["t"]
        job_id = issued[0] + "-r0"
        pump_until(lambda: acks.get(job_id, set()) >= low_speakers, 60)
        t_confirmed = time.monotonic() - crossing["t"]
        job = service.job(job_id)
        villages_warned = sorted({s.village for s in config.speakers if s.id in job.targets})
        if args.shots:
            pump_until(lambda: False, 2.0)
            panel.tabs.setCurrentIndex(0)
            window.grab().save(str(Path(args.shots) / f"fd_window_{width}.png"))
            panel.grab().save(str(Path(args.shots) / f"fd_panel_{width}.png"))
            map_panel = window.panel_widgets.get("map")
            if map_panel is not None:
                pump_until(lambda: False, 4.0)
                print("map colouring:", map_panel.village_colour_result, file=sys.stderr)
                map_panel.grab().save(str(Path(args.shots) / f"fd_map_{width}.png"))
            duty_tab, damage_tab = panel.duty_tab, panel.damage_tab
            duty_tab.start_shift()
            pump_until(lambda: "trực" in duty_tab.shift_label.text().lower() and "từ" in duty_tab.shift_label.text(), 20)
            duty_tab.note.setText("Nước sông Bồ vượt báo động III; đã phát bản tin cảnh báo cho 4 thôn vùng trũng")
            duty_tab.add_note()
            pump_until(lambda: duty_tab.entries.count() >= 3, 20)
            panel.tabs.setCurrentIndex(1)
            pump_until(lambda: False, 0.5)
            panel.grab().save(str(Path(args.shots) / f"fd_duty_log_{width}.png"))
            damage_tab.new_event()
            pump_until(lambda: damage_tab.table.item(0, 0) is not None, 20)
            for r, c, v in ((3, 1, "120"), (3, 2, "95"), (3, 4, "35"), (0, 1, "1,2"), (0, 4, "1,6"), (10, 1, "45")):
                damage_tab.table.item(r, c).setText(v)
            panel.tabs.setCurrentIndex(2)
            pump_until(lambda: False, 0.5)
            panel.grab().save(str(Path(args.shots) / f"fd_damage_{width}.png"))
            panel.tabs.setCurrentIndex(0)
            graphs = window.panel_widgets.get("graphs")
            if graphs is not None:
                graphs.grab().save(str(Path(args.shots) / f"fd_flood_picture_{width}.png"))
        # -- baseline: the same bulletin by a direct service call, no UI ------------------
        bulletins = panel.duty.bulletins
        t0 = time.monotonic()
        direct = bulletins.issue(bulletins.compose(), officer)
        base_queued = time.monotonic() - t0
        result.update({
            "operator_actions": actions,
            "seconds_to_warning_queued": round(t_queued, 3),
            "seconds_to_speakers_confirmed": round(t_confirmed, 3),
            "villages_warned": villages_warned,
            "low_lying_villages": low_villages,
            "speakers_confirmed": len(acks.get(job_id, set()) & low_speakers),
            "speakers_targeted": len(job.targets),
            "crossing_level_m": round(crossing["value"], 3),
            "risk_level_at_issue": bulletins.bulletins()[-1].risk_level if bulletins.bulletins() else None,
            "baseline_direct_issue_s": round(base_queued, 3),
            "ratio": round(t_queued / base_queued, 2) if base_queued else None,
            "goal_met": t_queued < 60 and actions <= 5 and villages_warned == low_villages,
            "superseded_by_baseline": direct.id != issued[0],
        })
    finally:
        simulator.stop()
        window.close()
        context.shutdown()
        bridge.close()
        core.stop()
        broker.stop()
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result.get("goal_met") else 1


if __name__ == "__main__":
    sys.exit(main())
