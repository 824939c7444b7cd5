"""Old data is history, never a fresh alarm: a device's backlog (readings days old) is stored
and plotted but raises no alert and sets no flood risk; the duty log gets one summary of it;
the sensor's next live reading is judged as usual. Second commune, real broker and SQLite."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from controlroom.flood.duty_log import EVENT
from controlroom.storage.models import alerts, audit_log, readings

from ..conftest import wait_until


def _count(core, query) -> int:
    with core.engine.connect() as conn:
        return conn.execute(query).scalar_one()


def _backlog_entries(core) -> list[dict]:
    with core.engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.detail).where(audit_log.c.site_id == core.site_id,
                                                              audit_log.c.action == EVENT)).all()
    return [r.detail for r in rows if (r.detail or {}).get("kind") == "backlog"]


def test_a_backlog_is_stored_summed_up_once_and_never_alarms(second_config, mqtt_broker, make_core, raw_client):
    core = make_core(second_config, broker=mqtt_broker)
    assert core.feed.wait_subscribed(30)
    prefix = second_config.topic_prefix
    client = raw_client(mqtt_broker.host, mqtt_broker.port, prefix).client
    pond, gauge = second_config.sensor("ao_tom_1"), second_config.sensor("dam_cau_hai")
    eleven_days_ago = datetime.now(timezone.utc) - timedelta(days=11)

    def send(sensor, ts: datetime, values: dict) -> None:
        client.publish(f"{prefix}/sensor/{sensor.id}/reading",
                       json.dumps({"ts": int(ts.timestamp() * 1000), "values": values}), qos=1).wait_for_publish(10)

    for k, oxygen in enumerate((2.4, 1.8, 2.9, 2.2)):  # every one below low-low: an alarm, were it live
        send(pond, eleven_days_ago + timedelta(minutes=k), {"do": oxygen})
    send(gauge, eleven_days_ago, {"level": gauge.alarm_levels.level_3 + 1.0})  # above level III
    wait_until(lambda: _count(core, select(func.count()).select_from(readings).where(
        readings.c.site_id == core.site_id)) == 5, 30, message="the backlog was not stored")
    wait_until(lambda: core.alerts.counters["late_readings"] == 5, 30, message="the engine never saw the backlog")

    assert not [a for a in core.alerts.snapshot().alerts if a.active]
    assert all(risk.level == 0 for risk in core.flood.monitor.risks().values())
    assert _count(core, select(func.count()).select_from(alerts)) == 0

    send(pond, datetime.now(timezone.utc), {"do": 6.5})  # live and healthy: the backlog is over
    entries = wait_until(lambda: _backlog_entries(core), 30, message="no duty log summary of the backlog")
    assert len(entries) == 1
    summary = entries[0]
    assert summary["sensor"] == pond.id and summary["count"] == 4
    assert (summary["extremes"]["do"]["high"], summary["extremes"]["do"]["low"]) == (2.9, 1.8)  # the pond's worst too
    assert "Ao tôm Đông Hà" in summary["text"] and "4" in summary["text"]

    send(pond, datetime.now(timezone.utc), {"do": 2.0})  # a live low: alarmed as ever
    alert = wait_until(lambda: next((a for a in core.alerts.snapshot().alerts
                                     if a.source == f"sensor/{pond.id}/do" and a.active), None),
                       30, message="a live reading below the limit raised nothing")
    assert alert.village == pond.village
    assert len(_backlog_entries(core)) == 1  # still one summary


def test_a_reading_that_arrived_live_stays_live_while_the_engine_is_behind(second_config, make_core):
    """Late is judged when a reading arrives, not when a busy engine gets to it: the engine is
    held up (its first alert's delivery waits) for longer than the ponds' live limit, and the
    low-oxygen reading that arrived meanwhile still raises its alarm."""
    import threading

    from controlroom.alerts.model import AlertChanged
    from controlroom.domain import Reading

    quick = {"ao_tom_1", "ao_tom_go_trung"}  # live for 1 s only
    config = second_config.model_copy(update={"sensors": [
        s.model_copy(update={"stale_after_s": 1.0}) if s.id in quick else s for s in second_config.sensors]})
    core = make_core(config)
    held, release = threading.Event(), threading.Event()

    def hold(change) -> None:  # delivered on the engine's thread
        if not held.is_set():
            held.set()
            release.wait(10)

    core.bus.subscribe(AlertChanged, hold)
    core.bus.publish(Reading("ao_tom_1", "do", datetime.now(timezone.utc), 2.0))
    assert held.wait(30), "the first pond's alarm was not raised"
    core.bus.publish(Reading("ao_tom_go_trung", "do", datetime.now(timezone.utc), 2.0))  # live on arrival
    threading.Event().wait(2.5)  # the engine stays behind past the 1 s limit
    release.set()
    wait_until(lambda: [a for a in core.alerts.snapshot().alerts if a.active and "ao_tom_go_trung" in a.source], 30,
               message="the reading that arrived live raised no alarm")
    assert core.alerts.counters["late_readings"] == 0
