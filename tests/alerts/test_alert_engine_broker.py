"""The alert engine against the real broker and real SQLite: two consoles, one queue."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import os
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url

from controlroom.alerts.model import AlertState, Priority
from controlroom.access.operators import Operator, PermissionDenied, Role
from controlroom.access.audit import verify_chain
from controlroom.storage.models import alert_events, alerts, audit_log

from ..conftest import wait_until

TIMEOUT = 30.0


def op(name: str) -> Operator:
    """A signed-in duty officer called `name` (the engine acts only for a session's Operator)."""
    return Operator(name, name, Role.DUTY_OFFICER)


class Console:
    """One ControlRoomCore (its alert engine is ``core.alerts``) with its client id and SQLite file."""

    def __init__(self, make_core, config, broker, tmp_path, name: str, db_url: str | None = None):
        self.core = make_core(config, broker=broker, db_url=db_url or f"sqlite:///{tmp_path / (name + '.sqlite3')}",
                              client_id=f"console-{name}")
        self.engine = self.core.alerts
        wait_until(lambda: self.core.feed.connected, message=f"{name} connected")

    def alert(self, alert_id: str):
        return self.engine.snapshot().get(alert_id)


@pytest.fixture
def publisher(mqtt_broker):
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-device", protocol=mqtt.MQTTv5)
    client.connect(mqtt_broker.host, mqtt_broker.port)
    client.loop_start()
    yield client
    client.loop_stop()
    client.disconnect()


@pytest.fixture
def consoles(site_config, mqtt_broker, tmp_path, make_core):
    def make(name: str, db_url: str | None = None) -> Console:
        return Console(make_core, site_config, mqtt_broker, tmp_path, name, db_url)

    return make


def send(client, sensor: str, value: float, ts: float | None = None):
    payload = {"ts": int((ts or time.time()) * 1000), "value": value}
    client.publish(f"testsite/sensor/{sensor}/reading", json.dumps(payload), qos=1).wait_for_publish(10)


def test_threshold_crossing_published_by_a_client_raises_an_alert(consoles, publisher):
    a = consoles("a")
    now = time.time()
    send(publisher, "wl1", 1.0, now - 1)  # distinct timestamps: the feed drops (sensor, ts) duplicates
    send(publisher, "wl1", 3.2, now)
    alert = wait_until(lambda: a.alert("sensor.wl1.level.alarm_level"), message="alarm level alert")
    assert alert.state is AlertState.UNACKNOWLEDGED and alert.band == 2 and alert.value == pytest.approx(3.2)
    rows = wait_until(lambda: _rows(a), message="alert stored")
    assert rows[0].state == "unacknowledged" and rows[0].source == "sensor/wl1/level"


def _rows(console):
    console.core.storage.flush(10)
    with console.core.engine.connect() as connection:
        return list(connection.execute(select(alerts)))


def test_chattering_input_around_the_limit_raises_one_alert_not_many(consoles, publisher):
    a = consoles("a")
    start = time.time() - 100
    send(publisher, "pond", 8.0, start)  # pH normal
    values = [8.55, 8.45, 8.6, 8.4, 8.52, 8.38, 8.57, 8.41, 8.6, 8.35]  # around 8.5, inside the 0.2 deadband
    for i, value in enumerate(values, 1):
        publisher.publish("testsite/sensor/pond/reading",
                          json.dumps({"ts": int((start + i) * 1000), "values": {"ph": value}}), qos=1).wait_for_publish(10)
    publisher.publish("testsite/sensor/pond/reading",
                      json.dumps({"ts": int((start + 20) * 1000), "values": {"ph": 7.5}}), qos=1).wait_for_publish(10)
    alert = wait_until(lambda: (x := a.alert("sensor.pond.ph.high")) and not x.active and x, message="alert returned")
    assert alert.raise_count == 1 and alert.state is AlertState.RETURNED_UNACKNOWLEDGED
    raises = [e for e in a.engine.history("sensor.pond.ph.high") if e.action == "raise"]
    assert len(raises) == 1
    assert a.engine.snapshot().kpis.chattering == 0


def test_acknowledgement_on_console_a_appears_on_console_b(consoles, publisher):
    a, b = consoles("a"), consoles("b")
    send(publisher, "wl1", 4.8)
    alert_id = "sensor.wl1.level.alarm_level"
    wait_until(lambda: a.alert(alert_id) and b.alert(alert_id), message="alert on both consoles")
    a.engine.acknowledge([alert_id], op("Nguyễn Văn An"), "đã báo trưởng thôn")
    seen = wait_until(lambda: (x := b.alert(alert_id)) and x.state is AlertState.ACKNOWLEDGED and x, message="ack on B")
    assert seen.acked_by == "Nguyễn Văn An" and seen.ack_comment == "đã báo trưởng thôn"
    # and the other way: B shelves, A shows it shelved with B's reason
    b.engine.shelve([alert_id], op("Trần Thị Bình"), "đang kiểm tra thước đo", 900)
    shelved = wait_until(lambda: (x := a.alert(alert_id)) and x.state is AlertState.SHELVED and x, message="shelve on A")
    assert shelved.shelve_reason == "đang kiểm tra thước đo"
    a.core.storage.flush(10)
    with a.core.engine.connect() as connection:
        actions = {(r.actor, r.to_state) for r in connection.execute(select(alert_events))}
    assert ("Nguyễn Văn An", "acknowledged") in actions
    with a.core.engine.connect() as connection:
        audit = {(r.actor, r.action, r.target) for r in connection.execute(select(audit_log))}
    assert ("Nguyễn Văn An", "alert.acknowledge", alert_id) in audit
    assert verify_chain(a.core.engine).ok


def test_only_changes_that_happened_are_audited(consoles, publisher):
    """A second acknowledgement changes nothing and a viewer is refused: neither is audited."""
    a = consoles("a")
    send(publisher, "wl1", 4.8)
    alert_id = "sensor.wl1.level.alarm_level"
    wait_until(lambda: a.alert(alert_id), message="alert on A")
    with pytest.raises(PermissionDenied):
        a.engine.acknowledge([alert_id], Operator("xem", "Người xem", Role.VIEWER), "")
    a.engine.acknowledge([alert_id], op("An"), "lần một")
    wait_until(lambda: a.alert(alert_id).acked, message="ack on A")
    a.engine.acknowledge([alert_id], op("Bình"), "lần hai")
    a.engine.shelve([alert_id], op("Bình"), "đang sửa thước đo", 600)
    wait_until(lambda: a.alert(alert_id).state is AlertState.SHELVED, message="shelved on A")
    a.core.storage.flush(10)
    with a.core.engine.connect() as connection:
        audit = [(r.actor, r.action) for r in connection.execute(select(audit_log).order_by(audit_log.c.seq))
                 if r.action.startswith("alert.")]
    assert audit == [("An", "alert.acknowledge"), ("Bình", "alert.shelve")]


def test_a_console_started_later_gets_the_queue_from_retained_state(consoles, publisher):
    a = consoles("a")
    send(publisher, "wl1", 3.5)
    alert_id = "sensor.wl1.level.alarm_level"
    wait_until(lambda: a.alert(alert_id), message="alert on A")
    a.engine.acknowledge([alert_id], op("An"), "")
    wait_until(lambda: a.alert(alert_id).acked, message="ack on A")
    late = consoles("late")
    seen = wait_until(lambda: (x := late.alert(alert_id)) and x.acked and x, message="retained alert on the late console")
    assert seen.state is AlertState.ACKNOWLEDGED


def test_device_last_will_and_citizen_report_raise_alerts(consoles, publisher, site_config):
    a = consoles("a")
    publisher.publish("testsite/device/pond/status", "offline", qos=1, retain=True).wait_for_publish(10)
    report = {"ts": datetime.now(timezone.utc).isoformat(), "category": "flooding", "text": "Nước ngập đường",
              "lat": 16.6, "lon": 107.6, "photo_url": None, "reporter": "Lê Văn C"}
    publisher.publish("testsite/report/r-1", json.dumps(report), qos=1).wait_for_publish(10)
    alert = wait_until(lambda: a.alert("report.r-1.report"), message="report alert")
    assert alert.village == "v2" and alert.detail["text"] == "Nước ngập đường"
    offline = wait_until(lambda: a.alert("device.pond.offline"), message="device offline alert")
    assert offline.kind == "device_offline" and offline.village == "v2"
    manual = a.engine.raise_manual(op("An"), "Sạt lở bờ sông", Priority.CRITICAL, "v1")
    assert wait_until(lambda: a.alert(manual), message="manual alert").state is AlertState.UNACKNOWLEDGED
    a.core.storage.flush(10)
    with a.core.engine.connect() as connection:
        audit = {(r.actor, r.action, r.target) for r in connection.execute(select(audit_log))}
    assert ("An", "alert.raise", manual) in audit  # a manual alert is an operator action: audited


POSTGRES_URL = os.environ.get("CONTROLROOM_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def shared_postgres():
    """A fresh PostgreSQL schema both consoles share (the two-PC set-up of DESIGN.md)."""
    schema = f"t_alerts_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    yield make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


def test_two_consoles_sharing_one_postgresql_store_one_row_per_alert(consoles, publisher, shared_postgres):
    a = consoles("a", shared_postgres)
    b = consoles("b", shared_postgres)
    send(publisher, "wl1", 3.6)
    alert_id = "sensor.wl1.level.alarm_level"
    wait_until(lambda: a.alert(alert_id) and b.alert(alert_id), message="alert on both consoles")
    a.engine.acknowledge([alert_id], op("An"), "")
    wait_until(lambda: b.alert(alert_id).acked, message="ack on B")
    for console in (a, b):
        console.core.storage.flush(10)
    with a.core.engine.connect() as connection:
        rows = list(connection.execute(select(alerts).where(alerts.c.id == alert_id)))
    assert len(rows) == 1 and rows[0].acknowledged_by == "An"
    assert a.engine.counters["persist_errors"] == 0 and b.engine.counters["persist_errors"] == 0
