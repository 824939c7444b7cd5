"""A database outage stops persistence, never live alerting, and loses no QoS-1 reading.

The real console core of a second commune on a private Mosquitto and PostgreSQL behind a TCP
relay: the relay is cut for 60 s while a device keeps publishing. Alerts are raised and shown
meanwhile; the feed acknowledges nothing it has not stored, so after the outage every reading
is in the database exactly once.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from controlroom.alerts.model import AlertState
from controlroom.storage.models import readings

from ..conftest import wait_until
from .tcp_proxy import TcpProxy

OUTAGE_S = 60.0
RATE_PER_S = 20.0


def _publisher(broker) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="outage-device", protocol=mqtt.MQTTv5)
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


def _stored(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(readings)).scalar_one()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_database_outage_keeps_alerting_and_every_reading_is_stored_after_it(pg_schema, mqtt_broker, second_config,
                                                                                make_core, qtbot):
    from controlroom.ui.alerts.panel import AlertPanel
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext

    target = make_url(pg_schema)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    proxy.start()
    url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    core = make_core(second_config, broker=mqtt_broker, db_url=url)
    bridge = CoreBridge(core.bus, core.live)
    panel = AlertPanel(AppContext(config=second_config, core=core, bridge=bridge), core.alerts, sound=False)
    qtbot.addWidget(panel)
    assert core.feed.wait_subscribed(30)
    station = second_config.sensor("dam_cau_hai")
    topic = f"{second_config.topic_prefix}/sensor/{station.id}/reading"
    device = _publisher(mqtt_broker)
    sent = 0
    last_ms = 0

    def send(level: float) -> None:
        nonlocal sent, last_ms
        last_ms = max(int(datetime.now(timezone.utc).timestamp() * 1000), last_ms + 1)  # live, one row each
        device.publish(topic, json.dumps({"ts": last_ms, "value": level}), qos=1).wait_for_publish(10)
        sent += 1

    try:
        for _ in range(20):
            send(0.5)
        wait_until(lambda: _stored(core.engine) == sent, 30, message="readings before the outage not stored")

        proxy.stop()  # the database server goes away
        outage_started = time.monotonic()
        raised_during_outage = False
        i = 0
        while time.monotonic() - outage_started < OUTAGE_S:
            level = 0.5 + min(2.0, i / (RATE_PER_S * 20))  # past level III (1.9 m) after ~28 s
            send(level)
            i += 1
            qtbot.wait(int(1000 / RATE_PER_S))
            if not raised_during_outage and any(a.source == f"sensor/{station.id}/level" and a.state is
                                                AlertState.UNACKNOWLEDGED and a.band == 3
                                                for a in core.alerts.snapshot().alerts):
                raised_during_outage = time.monotonic() - outage_started < OUTAGE_S
        assert core.storage.stats.database_connected is False  # the outage was real
        assert raised_during_outage, "no level III alert while the database was down"
        qtbot.waitUntil(lambda: panel.table.row_count() >= 1, timeout=10_000)  # and the operator sees it
        assert core.feed.awaiting_storage > 0  # unstored readings were not acknowledged
        stored_during = _stored_without_proxy(pg_schema)
        assert stored_during < sent

        proxy.start()  # back
        wait_until(lambda: core.storage.stats.database_connected is True, 60, message="database never came back")
        wait_until(lambda: _stored(core.engine) >= sent, 120, message="readings lost in the outage")
        assert _stored(core.engine) == sent  # each exactly once
        wait_until(lambda: core.feed.awaiting_storage == 0, 30, message="stored readings never acknowledged")
    finally:
        device.loop_stop()
        device.disconnect()
        bridge.close()
        core.stop()  # while the relay is still there: nothing left to retry at shutdown
        proxy.stop()


def _stored_without_proxy(url: str) -> int:
    """Count straight on the server (the console's own link is cut)."""
    from controlroom.storage.db import create_engine_for

    engine = create_engine_for(url)
    try:
        return _stored(engine)
    finally:
        engine.dispose()
