"""The command channel: the service acts only for a signed-in operator whose role allows the
action; every refusal is audited and changes nothing; an accepted action reaches every console
through the retained alert topic."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from controlroom.access.accounts import upsert_operator
from controlroom.access.audit import verify_chain
from controlroom.access.operators import Operator, Role, operator_row
from controlroom.storage.models import audit_log

from ..conftest import wait_until


def _refusals(engine, site_id: str) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.actor, audit_log.c.target, audit_log.c.detail).where(
            audit_log.c.site_id == site_id, audit_log.c.action == "command.refused").order_by(audit_log.c.seq))
        return [(r.actor, r.target, (r.detail or {}).get("reason")) for r in rows]


def test_commands_need_a_live_session_with_the_role_and_refusals_are_audited(second_config, mqtt_broker, service,
                                                                             raw_client):
    site = second_config.site.id
    with service.core.engine.begin() as conn:
        upsert_operator(conn, operator_row(site, "xem_vh", "Người xem VH", Role.VIEWER, "mat-khau-xem"))
        upsert_operator(conn, operator_row(site, "vanhanh_vh", "Vận hành VH", Role.OPERATOR, "mat-khau-vh"))
    assert service.core.feed.wait_subscribed(30)
    client = raw_client(mqtt_broker.host, mqtt_broker.port, second_config.topic_prefix)
    pond = second_config.sensor("ao_tom_1")
    client.client.publish(f"{second_config.topic_prefix}/sensor/{pond.id}/reading",
                          json.dumps({"values": {"do": 2.1}}), qos=1).wait_for_publish(10)
    alert = wait_until(lambda: next((a for a in service.core.alerts.snapshot().alerts
                                     if a.source == f"sensor/{pond.id}/do" and a.active), None),
                       30, message="no low-oxygen alert")

    viewer = client.ask("sign_in", {"username": "xem_vh", "password": "mat-khau-xem"})
    operator = client.ask("sign_in", {"username": "vanhanh_vh", "password": "mat-khau-vh"})
    assert viewer["ok"] and operator["ok"] and operator["result"]["operator"]["role"] == "operator"
    wrong_password = client.ask("sign_in", {"username": "vanhanh_vh", "password": "doan-bua"})
    assert not wrong_password["ok"] and wrong_password["error"] == "denied"

    expired = service.commands.sessions.grant(Operator("vanhanh_vh", "Vận hành VH", Role.OPERATOR),
                                              datetime.now(timezone.utc) - timedelta(hours=13), client.reply_to).token
    ack = {"ids": [alert.id], "comment": "thử"}
    ten_minutes_ago = int((time.time() - 600) * 1000)
    answers = [
        client.ask("alert.acknowledge", ack, viewer["result"]["session"]),
        client.ask("alert.acknowledge", ack, None),
        client.ask("alert.acknowledge", ack, expired),
        client.ask("alert.acknowledge", ack, "gia-mao-" + "x" * 24),
        client.ask("alert.acknowledge", ack, operator["result"]["session"], sent_at_ms=ten_minutes_ago),
        client.ask("broker.shutdown", {}, operator["result"]["session"]),
    ]
    assert [a["error"] for a in answers] == ["denied", "no_session", "no_session", "no_session", "stale",
                                             "unknown_op"]
    assert all(not a["ok"] and a["message"] for a in answers)
    assert "Người xem VH" in answers[0]["message"]  # the operator is told who may not do what, in Vietnamese
    refusals = wait_until(lambda: r if len(r := _refusals(service.core.engine, site)) >= 6 else None, 30,
                          message="refusals not audited")
    assert [(actor, reason) for actor, _op, reason in refusals] == [
        ("xem_vh", "denied"), ("?", "no_session"), ("?", "no_session"), ("?", "no_session"),
        ("vanhanh_vh", "stale"), ("vanhanh_vh", "unknown_op")]

    before_accepted = datetime.now(timezone.utc)
    accepted = client.ask("alert.acknowledge", ack, operator["result"]["session"])
    assert accepted["ok"], accepted
    wait_until(lambda: next(a for a in service.core.alerts.snapshot().alerts if a.id == alert.id).acked, 30,
               message="the acknowledgement was not applied")
    retained = wait_until(lambda: (p := client.topic(f"room/alert/{alert.id}")) and json.loads(p).get("acked")
                          and json.loads(p), 30, message="other consoles never saw the acknowledgement")
    assert retained["acked_by"] == "vanhanh_vh"
    # acknowledged by the accepted command, not earlier by one of the refused ones
    assert datetime.fromisoformat(retained["acked_at"]) >= before_accepted - timedelta(seconds=1)


def test_a_replayed_a_future_or_a_badly_addressed_command_is_refused(second_config, mqtt_broker, service,
                                                                    raw_client):
    from controlroom.service.commands import COMMAND_TOPIC, request_body

    with service.core.engine.begin() as conn:
        upsert_operator(conn, operator_row(second_config.site.id, "vanhanh_vh", "Vận hành VH", Role.OPERATOR, "mk-vh"))
    assert service.core.feed.wait_subscribed(30)
    client = raw_client(mqtt_broker.host, mqtt_broker.port, second_config.topic_prefix)
    session = client.ask("sign_in", {"username": "vanhanh_vh", "password": "mk-vh"})["result"]["session"]

    body = request_body("alert.raise", {"text": "Sạt lở bờ đầm"}, session, client.reply_to, "lenh-1")
    topic = f"{second_config.topic_prefix}/{COMMAND_TOPIC}"
    for _ in range(2):  # a redelivery, or someone replaying what they overheard
        client.client.publish(topic, body, qos=1).wait_for_publish(10)
    answers = [client.messages.get(timeout=30) for _ in range(2)]
    assert [a["ok"] for a in answers] == [True, False] and answers[1]["error"] == "duplicate", answers
    raised = [a for a in service.core.alerts.snapshot().alerts if a.kind == "manual"]
    assert len(raised) <= 1  # once at most, whatever the engine has applied by now

    an_hour_ahead = int((time.time() + 3600) * 1000)
    assert client.ask("alert.raise", {"text": "x"}, session, sent_at_ms=an_hour_ahead)["error"] == "stale"

    nul = json.loads(request_body("sign_out", {}, session, client.reply_to, "lenh-2"))
    nul["reply_to"] = "room/service/reply/a\u0000b"
    client.client.publish(topic, json.dumps(nul), qos=1).wait_for_publish(10)
    wait_until(lambda: ("?", "malformed") in [(actor, reason) for actor, _op, reason in
                                              _refusals(service.core.engine, second_config.site.id)], 30,
               message="the badly addressed command was not refused")
    assert service.core.feed.connected  # and nothing was published where the broker would drop us
    assert client.ask("sign_out", {}, session)["ok"]


def test_a_session_follows_its_account_demoted_or_deactivated(second_config, mqtt_broker, service,
                                                             raw_client):
    from sqlalchemy import update

    from controlroom.storage.models import operators

    site = second_config.site.id
    with service.core.engine.begin() as conn:
        upsert_operator(conn, operator_row(site, "vanhanh_vh", "Vận hành VH", Role.OPERATOR, "mk-vh"))
    assert service.core.feed.wait_subscribed(30)
    client = raw_client(mqtt_broker.host, mqtt_broker.port, second_config.topic_prefix)
    session = client.ask("sign_in", {"username": "vanhanh_vh", "password": "mk-vh"})["result"]["session"]
    assert client.ask("alert.raise", {"text": "Nước tràn bờ"}, session)["ok"]

    with service.core.engine.begin() as conn:  # the administrator demotes the account
        upsert_operator(conn, operator_row(site, "vanhanh_vh", "Vận hành VH", Role.VIEWER, "mk-vh"))
    assert client.ask("alert.raise", {"text": "Nước tràn bờ"}, session)["error"] == "denied"

    with service.core.engine.begin() as conn:  # … then deactivates it
        conn.execute(update(operators).where(operators.c.site_id == site, operators.c.username == "vanhanh_vh")
                     .values(active=False))
    assert client.ask("alert.raise", {"text": "Nước tràn bờ"}, session)["error"] == "no_session"


def test_a_flood_of_refused_commands_is_audited_within_a_limit_and_counted(second_config, mqtt_broker, service,
                                                                         raw_client):
    """Unsigned commands from a misbehaving client: each is answered, but the audit log takes only
    the first few per window, then one entry saying how many more there were."""
    clock = [0.0]
    from controlroom.service.refusal_limit import RefusalAuditLimit

    service.commands.refusal_limit = RefusalAuditLimit(per_window=5, window_s=60.0, clock=lambda: clock[0])
    assert service.core.feed.wait_subscribed(30)
    client = raw_client(mqtt_broker.host, mqtt_broker.port, second_config.topic_prefix)
    answers = [client.ask("alert.raise", {"text": f"rác {i}"}, None) for i in range(20)]
    assert all(a["error"] == "no_session" for a in answers)
    site = second_config.site.id
    assert service.commands.refusal_limit.suppressed_total == 15

    clock[0] = 61.0  # the next minute: the count of the left-out ones goes in with the next refusal
    assert client.ask("alert.raise", {"text": "thêm"}, None)["error"] == "no_session"

    def summaries():
        with service.core.engine.connect() as conn:
            return conn.execute(select(audit_log.c.detail).where(
                audit_log.c.site_id == site, audit_log.c.action == "command.refused_suppressed")).scalars().all()

    wait_until(lambda: len(_refusals(service.core.engine, site)) == 6 and summaries(), 30,
               message="the refusals were not audited")
    assert summaries() == [{"count": 15}] and len(_refusals(service.core.engine, site)) == 6
    assert verify_chain(service.core.engine, site).ok  # the chain holds across the summary entry


def test_a_session_token_works_only_from_the_console_that_signed_in(second_config, mqtt_broker, service, raw_client):
    """A token overheard on the broker is no use to another client."""
    with service.core.engine.begin() as conn:
        upsert_operator(conn, operator_row(second_config.site.id, "vanhanh_vh", "Vận hành VH", Role.OPERATOR, "mk-vh"))
    assert service.core.feed.wait_subscribed(30)
    console = raw_client(mqtt_broker.host, mqtt_broker.port, second_config.topic_prefix)
    other = raw_client(mqtt_broker.host, mqtt_broker.port, second_config.topic_prefix)
    assert console.reply_to != other.reply_to
    session = console.ask("sign_in", {"username": "vanhanh_vh", "password": "mk-vh"})["result"]["session"]
    stolen = other.ask("alert.raise", {"text": "Báo động giả"}, session)
    assert not stolen["ok"] and stolen["error"] == "no_session"
    own = console.ask("alert.raise", {"text": "Sạt lở bờ đầm"}, session)
    assert own["ok"], own
