"""`controlroom serve` as its own process: it stores readings and raises alarms with no
console at all, says it is up (retained presence and health), the broker tells everyone when
it is killed (Last Will), and SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select

from controlroom.storage.models import alerts, readings

from ..conftest import SITES, wait_until


def _serve(config_path: Path, db_url: str, broker, data_dir: Path, output: Path) -> subprocess.Popen:
    """stdout goes to a file: a pipe nobody reads would stall a chatty service."""
    env = {**os.environ, "CONTROLROOM_DATA_DIR": str(data_dir), "CONTROLROOM_CAMERA_SOURCE": "synthetic"}
    env.pop("QT_QPA_PLATFORM", None)  # the service has no screen and needs none
    with output.open("w", encoding="utf-8") as out:  # the child keeps its own copy of the handle
        return subprocess.Popen([sys.executable, "-m", "controlroom.cli", "serve", "--config", str(config_path),
                                 "--db", db_url, "--host", broker.host, "--port", str(broker.port), "--lang", "en"],
                                env=env, stdout=out, stderr=subprocess.STDOUT)


def _count(engine, query) -> int:
    with engine.connect() as conn:
        return conn.execute(query).scalar_one()


def test_serve_runs_the_duties_headless_and_says_when_it_stops_or_dies(second_config, mqtt_broker, tmp_path,
                                                                      data_dir, raw_client):
    site, prefix = second_config.site.id, second_config.topic_prefix
    db_url = f"sqlite:///{(tmp_path / 'site.sqlite3').as_posix()}"
    client = raw_client(mqtt_broker.host, mqtt_broker.port, prefix)
    service = _serve(SITES / "lagoon_commune.toml", db_url, mqtt_broker, data_dir, tmp_path / "first.out")
    try:
        wait_until(lambda: client.topic("room/service/status") == b"online", 60, message="service never online")
        health = wait_until(lambda: (p := client.topic("room/service/health")) and json.loads(p), 30,
                            message="no health report")
        assert health["state"] == "up" and health["database"] == "ok" and health["pid"] == service.pid
        maps = Path(f"/proc/{service.pid}/maps")
        if maps.exists():  # Linux: the headless service never loads Qt
            assert "libQt6" not in maps.read_text()

        pond = second_config.sensor("ao_tom_1")
        now_ms = int(time.time() * 1000)
        for k, value in enumerate((6.5, 6.1, 2.1)):  # the last one is below the low-oxygen limit
            client.client.publish(f"{prefix}/sensor/{pond.id}/reading",
                                  json.dumps({"ts": now_ms - (3 - k) * 60_000, "values": {"do": value}}),
                                  qos=1).wait_for_publish(10)
        client.client.publish(f"{prefix}/sensor/{pond.id}/reading", json.dumps({"values": {"do": 2.0}}),
                              qos=1).wait_for_publish(10)
        engine = create_engine(db_url)
        wait_until(lambda: _count(engine, select(func.count()).select_from(readings).where(
            readings.c.site_id == site, readings.c.sensor_id == pond.id)) == 4, 30, message="readings not stored")
        wait_until(lambda: _count(engine, select(func.count()).select_from(alerts).where(
            alerts.c.site_id == site, alerts.c.source == f"sensor/{pond.id}/do")) == 1, 30,
            message="the alarm never reached the database")

        service.send_signal(signal.SIGKILL)
        service.wait(30)
        wait_until(lambda: client.topic("room/service/status") == b"offline", 30,
                   message="the broker never said the service died")
    finally:
        if service.poll() is None:
            service.kill()
            service.wait(30)

    again = _serve(SITES / "lagoon_commune.toml", db_url, mqtt_broker, data_dir, tmp_path / "again.out")
    try:
        wait_until(lambda: client.topic("room/service/status") == b"online", 60, message="restart never online")
        again.send_signal(signal.SIGTERM)
        again.wait(60)
        output = (tmp_path / "again.out").read_text(encoding="utf-8")
        assert again.returncode == 0, output
    finally:
        if again.poll() is None:
            again.kill()
            again.wait(30)
    wait_until(lambda: client.topic("room/service/status") == b"offline", 30, message="no offline after SIGTERM")
    assert json.loads(client.topic("room/service/health"))["state"] == "stopped"
    assert "service for vinhhung_t stopped" in output  # the log reaches stdout …
    assert "service for vinhhung_t stopped" in (data_dir / "controlroom-serve.log").read_text(encoding="utf-8")
    engine.dispose()
