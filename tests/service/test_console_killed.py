"""The room's duties do not die with a console: a bulletin issued from a console keeps
repeating after that console is killed (SIGKILL), readings keep being stored, an alarm raised
meanwhile is in the database, and a console started afterwards shows all of it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from controlroom.access.accounts import upsert_operator
from controlroom.access.operators import Role, operator_row
from controlroom.service.runner import ControlRoomService
from controlroom.storage.models import alerts, broadcasts, flood_bulletins, readings

from ..conftest import SITES, wait_until

pytestmark = pytest.mark.timeout(240)

REPEAT_MIN = 0.05  # a repeat every 3 s, so the test sees several


def _scalar(engine, query):
    with engine.connect() as conn:
        return conn.execute(query).scalar_one_or_none()


def test_a_killed_console_leaves_bulletins_repeating_and_alarms_raised(second_config, mqtt_broker, tmp_path, data_dir,
                                                                        make_core, raw_client):
    site = second_config.site.id
    config = second_config.model_copy(update={"flood": second_config.flood.model_copy(
        update={"bulletin_repeat_min": REPEAT_MIN})})
    db_url = f"sqlite:///{(tmp_path / 'room.sqlite3').as_posix()}"
    service = ControlRoomService(config, db_url=db_url, feed_options={"host": mqtt_broker.host, "port": mqtt_broker.port},
                                 data_dir=data_dir / "service", monitor_cameras=False)
    service.start()
    try:
        with service.core.engine.begin() as conn:
            upsert_operator(conn, operator_row(site, "truc_ban_vh", "Trực ban VH", Role.DUTY_OFFICER, "mat-khau-tb"))
        assert service.core.feed.wait_subscribed(30)
        console = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("console_process.py")), str(SITES / "lagoon_commune.toml"),
             db_url, mqtt_broker.host, str(mqtt_broker.port), str(data_dir / "console"), "truc_ban_vh", "mat-khau-tb"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = console.stdout.readline()  # blocks until the bulletin is issued, or the console dies
            assert line.startswith("ISSUED "), console.stderr.read()[-3000:]
            bulletin_id = line.split()[1]
            console.send_signal(signal.SIGKILL)
            console.wait(30)
        finally:
            if console.poll() is None:
                console.kill()
                console.wait()

        # after the kill: readings go on being stored and a threshold alarm is raised and stored
        client = raw_client(mqtt_broker.host, mqtt_broker.port, config.topic_prefix)
        pond = config.sensor("ao_tom_1")
        now_ms = int(time.time() * 1000)
        for i, value in enumerate((6.0, 1.8, 1.7)):
            client.client.publish(f"{config.topic_prefix}/sensor/{pond.id}/reading",
                                  json.dumps({"ts": now_ms - 1000 * (3 - i), "values": {"do": value}}),
                                  qos=1).wait_for_publish(10)
        stored = select(func.count()).select_from(readings).where(readings.c.site_id == site,
                                                                  readings.c.sensor_id == pond.id)
        wait_until(lambda: _scalar(service.core.engine, stored) == 3, 30, message="readings not stored")
        alarm = select(alerts.c.id).where(alerts.c.site_id == site, alerts.c.source == f"sensor/{pond.id}/do")
        alert_id = wait_until(lambda: _scalar(service.core.engine, alarm), 30, message="the alarm is not in the database")

        # the bulletin keeps repeating on schedule with no console
        repeats = select(flood_bulletins.c.repeats_done).where(flood_bulletins.c.id == bulletin_id)
        wait_until(lambda: (_scalar(service.core.engine, repeats) or 0) >= 2, 60, message="the bulletin stopped repeating")

        def jobs() -> set[str]:  # a repeat is claimed, then sent: its broadcast row follows the claim
            with service.core.engine.connect() as conn:
                return set(conn.execute(select(broadcasts.c.id).where(broadcasts.c.id.like(f"{bulletin_id}-r%"))).scalars())

        wait_until(lambda: {f"{bulletin_id}-r0", f"{bulletin_id}-r1", f"{bulletin_id}-r2"} <= jobs(), 30,
                   message="the repeats were not broadcast")

        # a console started afterwards shows the alarm and the repeating bulletin
        fresh = make_core(config, broker=mqtt_broker, db_url=db_url, client_id="console-new", attached=True)
        wait_until(lambda: fresh.alerts.snapshot().get(alert_id), 30, message="the new console does not show the alarm")
        shown = next(b for b in fresh.flood.bulletins.bulletins() if b.id == bulletin_id)
        assert shown.state == "active" and shown.repeats_done >= 2 and shown.issued_by == "truc_ban_vh"
        before = shown.repeats_done
        wait_until(lambda: next(b for b in fresh.flood.bulletins.bulletins() if b.id == bulletin_id).repeats_done > before,
                   60, message="the new console does not follow the repeats")
        # and how far each repeat got: the service's job reaches the console's delivery column
        latest = next(b for b in fresh.flood.bulletins.bulletins() if b.id == bulletin_id).job_ids[-1]
        delivered = wait_until(lambda: fresh.flood.bulletins.delivery(latest), 30,
                               message="the new console does not know how far the repeat was delivered")
        assert delivered[1] >= 1
    finally:
        service.stop()
