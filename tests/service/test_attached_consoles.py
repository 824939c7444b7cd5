"""Consoles attached to their site's service: the service stores each reading once and owns
the alerts; an operator's acknowledgement on one console reaches the other through it; a
viewer is told no at once, and the service refuses what a console would not."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from controlroom.access.accounts import upsert_operator
from controlroom.access.operators import PermissionDenied, Role, operator_row
from controlroom.service.client import CommandFailed, CommandOutcome
from controlroom.storage.models import audit_log, readings

from ..conftest import wait_until

pytestmark = pytest.mark.timeout(180)


def _accounts(service, site: str) -> None:
    with service.core.engine.begin() as conn:
        upsert_operator(conn, operator_row(site, "xem_vh", "Người xem VH", Role.VIEWER, "mat-khau-xem"))
        upsert_operator(conn, operator_row(site, "vanhanh_vh", "Vận hành VH", Role.OPERATOR, "mat-khau-vh"))


def _attached(make_core, config, broker, service, name: str):
    return make_core(config, broker=broker, db_url=service.core.db_url, client_id=f"console-{name}", attached=True)


def test_two_consoles_one_service_share_alerts_and_store_each_reading_once(second_config, mqtt_broker, service,
                                                                          make_core, raw_client):
    site = second_config.site.id
    _accounts(service, site)
    a = _attached(make_core, second_config, mqtt_broker, service, "a")
    b = _attached(make_core, second_config, mqtt_broker, service, "b")
    for core in (service.core, a, b):
        assert core.feed.wait_subscribed(30)
    outcomes: list[CommandOutcome] = []
    a.bus.subscribe(CommandOutcome, outcomes.append)

    operator = a.access.authenticate("vanhanh_vh", "mat-khau-vh")  # the service checks the password
    assert operator is not None and operator.role is Role.OPERATOR and a.commands.session
    assert a.access.authenticate("vanhanh_vh", "doan-bua") is None
    viewer = b.access.authenticate("xem_vh", "mat-khau-xem")
    assert viewer is not None and viewer.role is Role.VIEWER

    client = raw_client(mqtt_broker.host, mqtt_broker.port, second_config.topic_prefix)
    pond = second_config.sensor("ao_tom_1")
    values = [6.2, 5.9, 2.1, 2.0, 1.9]  # the last three below the oxygen limit
    now_ms = int(time.time() * 1000)
    for i, value in enumerate(values):
        client.client.publish(f"{second_config.topic_prefix}/sensor/{pond.id}/reading",
                              json.dumps({"ts": now_ms - 1000 * (len(values) - i), "values": {"do": value}}),
                              qos=1).wait_for_publish(10)

    def seen_everywhere():
        found = [next((x for x in core.alerts.snapshot().alerts if x.source == f"sensor/{pond.id}/do" and x.active),
                      None) for core in (service.core, a, b)]
        return found if all(found) else None

    alert_id = wait_until(seen_everywhere, 30, message="the alert did not reach both consoles")[0].id

    with pytest.raises(PermissionDenied):  # a viewer is told at once, nothing is sent
        b.alerts.acknowledge([alert_id], viewer, "xem thôi")
    a.alerts.acknowledge([alert_id], operator, "đã gọi chủ ao")
    acked = wait_until(lambda: (x := b.alerts.snapshot().get(alert_id)) and x.acked and x, 30,
                       message="the acknowledgement on A never reached B")
    assert acked.acked_by == "vanhanh_vh"
    assert wait_until(lambda: any(o.op == "alert.acknowledge" and o.ok for o in outcomes), 10)

    # one row per reading: the service wrote them; the consoles only showed them
    def stored():
        with service.core.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(readings).where(
                readings.c.site_id == site, readings.c.sensor_id == pond.id)).scalar_one()

    assert wait_until(lambda: stored() >= len(values), 30) and stored() == len(values)
    assert a.storage.stats.rows_written == 0 and b.storage.stats.rows_written == 0

    # the acknowledgement is audited once, by the service, under the operator's name (written
    # with the alert's new state, by the service's writer: wait for it, then flush every writer)
    def audited() -> list[str]:
        with service.core.engine.connect() as conn:
            return conn.execute(select(audit_log.c.actor).where(
                audit_log.c.site_id == site, audit_log.c.action == "alert.acknowledge")).scalars().all()

    wait_until(audited, 30, message="the acknowledgement was never audited")
    for core in (service.core, a, b):
        core.storage.execute(lambda conn: None).result(timeout=30)
    assert audited() == ["vanhanh_vh"]


def test_an_attached_console_after_sign_out_or_demotion_is_refused_by_the_service(second_config, mqtt_broker,
                                                                                   service, make_core):
    site = second_config.site.id
    _accounts(service, site)
    console = _attached(make_core, second_config, mqtt_broker, service, "c")
    assert service.core.feed.wait_subscribed(30) and console.feed.wait_subscribed(30)
    operator = console.access.authenticate("vanhanh_vh", "mat-khau-vh")
    future = console.commands.send("alert.raise", {"text": "Sạt lở bờ đầm", "priority": "high"})
    raised = future.result(timeout=15)["alert_id"]
    wait_until(lambda: console.alerts.snapshot().get(raised), 30, message="the raised alert never came back")

    with service.core.engine.begin() as conn:  # demoted while signed in
        upsert_operator(conn, operator_row(site, "vanhanh_vh", "Vận hành VH", Role.VIEWER, "mat-khau-vh"))
    refused = console.commands.send("alert.acknowledge", {"ids": [raised]})
    with pytest.raises(CommandFailed) as denied:
        refused.result(timeout=15)
    assert denied.value.code == "denied"
    console.access.session.sign_in(operator)
    console.access.session.sign_out()  # ends the service's session too
    with pytest.raises(CommandFailed) as gone:
        console.commands.send("alert.acknowledge", {"ids": [raised]}).result(timeout=15)
    assert gone.value.code == "no_session"
    assert not service.core.alerts.snapshot().get(raised).acked


def test_with_the_service_gone_commands_are_refused_at_once_and_sign_in_still_shows_the_room(
        second_config, mqtt_broker, service, make_core):
    site = second_config.site.id
    _accounts(service, site)
    console = _attached(make_core, second_config, mqtt_broker, service, "d")
    assert service.core.feed.wait_subscribed(30) and console.feed.wait_subscribed(30)
    wait_until(lambda: console.service_watch.status.presence == "online", 30)
    service.stop()  # its presence turns "offline"
    wait_until(lambda: console.service_watch.status.presence == "offline", 30, message="the console never saw it go")
    with pytest.raises(CommandFailed) as down:
        console.commands.send("alert.raise", {"text": "Nước tràn bờ"}).result(timeout=15)
    assert down.value.code == "service_down"  # refused here at once, not left to the answer timeout
    operator = console.access.authenticate("vanhanh_vh", "mat-khau-vh")  # checked against the database here
    assert operator is not None and operator.role is Role.OPERATOR and console.commands.session is None
    assert console.access.authenticate("vanhanh_vh", "doan-bua") is None


def test_the_duty_log_records_an_alert_once_whatever_the_number_of_consoles(second_config, mqtt_broker, service,
                                                                            make_core, raw_client):
    """Automatic duty-log entries (a new alert, its acknowledgement) are the service's to write:
    two attached consoles see the same events and must not write them again."""
    from controlroom.flood.duty_log import EVENT

    site = second_config.site.id
    _accounts(service, site)
    consoles = [_attached(make_core, second_config, mqtt_broker, service, name) for name in ("c", "d")]
    for core in (service.core, *consoles):
        assert core.feed.wait_subscribed(30)
    operator = consoles[0].access.authenticate("vanhanh_vh", "mat-khau-vh")
    client = raw_client(mqtt_broker.host, mqtt_broker.port, second_config.topic_prefix)
    pond = second_config.sensor("ao_tom_1")
    now_ms = int(time.time() * 1000)
    for i, value in enumerate((6.0, 1.8, 1.7)):
        client.client.publish(f"{second_config.topic_prefix}/sensor/{pond.id}/reading",
                              json.dumps({"ts": now_ms - 1000 * (3 - i), "values": {"do": value}}), qos=1).wait_for_publish(10)
    alert = wait_until(lambda: next((x for x in consoles[1].alerts.snapshot().alerts
                                     if x.source == f"sensor/{pond.id}/do" and x.active), None), 30)
    consoles[0].alerts.acknowledge([alert.id], operator, "")
    wait_until(lambda: all((x := c.alerts.snapshot().get(alert.id)) and x.acked for c in consoles), 30)

    def entries(kind: str) -> int:
        with service.core.engine.connect() as conn:
            rows = conn.execute(select(audit_log.c.detail).where(audit_log.c.site_id == site, audit_log.c.action == EVENT))
            return sum(1 for (detail,) in rows if detail.get("kind") == kind and detail.get("alert") == alert.id)

    wait_until(lambda: entries("ack") >= 1, 30, message="the service never logged the acknowledgement")
    for core in consoles:  # whatever a console queued on seeing the events has been written by now
        core.storage.execute(lambda conn: None).result(timeout=30)
    assert (entries("alert"), entries("ack")) == (1, 1)


def test_the_duty_log_is_kept_through_the_service(second_config, mqtt_broker, service, make_core):
    """Shifts, notes and handovers from an attached console are commands: the service checks
    the role and both officers' passwords and writes the log; the console only reads it."""
    from controlroom.flood.duty_log import DutyLogError, entry_text
    from controlroom.flood.duty_log_at_service import DutyLogAtService
    from controlroom.i18n import tr

    site = second_config.site.id
    _accounts(service, site)
    with service.core.engine.begin() as conn:
        upsert_operator(conn, operator_row(site, "trucban_a", "Trực ban A", Role.DUTY_OFFICER, "mat-khau-a"))
        upsert_operator(conn, operator_row(site, "trucban_b", "Trực ban B", Role.DUTY_OFFICER, "mat-khau-b"))
    console = _attached(make_core, second_config, mqtt_broker, service, "duty")
    assert console.feed.wait_subscribed(30)
    log = console.flood.duty_log
    assert isinstance(log, DutyLogAtService)

    viewer = console.access.authenticate("xem_vh", "mat-khau-xem")
    with pytest.raises(PermissionDenied):  # said at once: a viewer writes nothing in the log
        log.note(viewer, "xem thôi")
    officer = console.access.authenticate("trucban_a", "mat-khau-a")
    shift_id = log.start_shift(officer)
    with pytest.raises(DutyLogError) as twice:  # the service's own rule, in the officer's words
        log.start_shift(officer)
    assert str(twice.value) == tr("A shift is already open; hand it over first.")
    log.note(officer, "Nước tràn qua đường liên thôn").result(timeout=30)
    with pytest.raises(DutyLogError):
        log.handover_signed(officer, "mat-khau-a", "trucban_b", "sai-mat-khau", "")
    new_shift = log.handover_signed(officer, "mat-khau-a", "trucban_b", "mat-khau-b", "Bàn giao ca")

    shifts = log.shifts()
    assert [s.id for s in shifts][-2:] == [shift_id, new_shift] and shifts[-1].officer == "trucban_b"
    texts = [entry_text(e) for e in log.entries(shifts[-2])]
    assert any("Nước tràn qua đường liên thôn" in t for t in texts)
    with service.core.engine.connect() as conn:  # each written once, by the service
        notes = conn.execute(select(func.count()).select_from(audit_log).where(
            audit_log.c.site_id == site, audit_log.c.action == "duty.note")).scalar_one()
    assert notes == 1


def test_the_damage_report_is_kept_through_the_service(second_config, mqtt_broker, service, make_core):
    """An event opened and a village's figures entered on an attached console are written by the
    service after it checked the role; a viewer is told no at once; bad figures come back in words."""
    from datetime import datetime, timezone

    from controlroom.flood.damage_report import DamageReportError
    from controlroom.flood.damage_report_at_service import DamageReportsAtService

    site = second_config.site.id
    _accounts(service, site)
    console = _attached(make_core, second_config, mqtt_broker, service, "damage")
    assert console.feed.wait_subscribed(30)
    reports = console.flood.damage
    assert isinstance(reports, DamageReportsAtService)
    viewer = console.access.authenticate("xem_vh", "mat-khau-xem")
    operator = console.access.authenticate("vanhanh_vh", "mat-khau-vh")
    with pytest.raises(PermissionDenied):
        reports.open_event(viewer, "Lũ", datetime.now(timezone.utc))
    event_id = reports.open_event(operator, "Ngập ven đầm", datetime.now(timezone.utc))
    village = second_config.villages[0].id
    reports.set_village(operator, event_id, village, {"evacuated_people": 42})
    with pytest.raises(DamageReportError) as bad:
        reports.set_village(operator, event_id, village, {"evacuated_people": -3})
    assert "âm" in str(bad.value)  # "a figure cannot be negative", in Vietnamese
    assert reports.per_village(event_id) == {village: {"evacuated_people": 42.0}}
    assert [e.hazard for e in reports.events()] == ["Ngập ven đầm"]
    report = reports.report(event_id)
    reports.mark_exported(operator, report, ["bao-cao.pdf"]).result(timeout=30)
    assert reports.exported_numbers(event_id) == {report.number}
