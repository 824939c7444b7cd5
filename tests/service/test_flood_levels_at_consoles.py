"""A console attached to its site's service shows the flood risk level the service holds, also
when it starts while the gauge is silent: its newest reading is then old and sets nothing by
itself (an old reading never does), so the console said "chưa xác định" beside a service
holding level 3. Second commune, the service in-process on a private broker."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

import pytest

from controlroom.widgets.risk_banner import RiskBanner

from ..conftest import wait_until

pytestmark = pytest.mark.timeout(180)


def _gauge(config):
    return next(s for s in config.sensors if s.kind == "water_level" and s.alarm_levels is not None)


def _level(monitor, zone):
    risk = monitor.zone(zone)
    return None if risk is None else risk.level


def test_a_console_started_while_a_gauge_is_silent_shows_the_level_the_service_holds(
        second_config, mqtt_broker, service, make_core, raw_client, qtbot):
    prefix, zone, gauge = second_config.topic_prefix, second_config.flood.bulletin_zone, _gauge(second_config)
    client = raw_client(mqtt_broker.host, mqtt_broker.port, prefix).client
    measured = datetime.now(timezone.utc)
    client.publish(f"{prefix}/sensor/{gauge.id}/reading",
                   json.dumps({"ts": int(measured.timestamp() * 1000), "value": 2.0}), qos=1).wait_for_publish(10)
    wait_until(lambda: (_level(service.core.flood.monitor, zone) or 0) > 0, 30, message="the service set no level")
    held = _level(service.core.flood.monitor, zone)

    later = measured + timedelta(hours=3)  # the console starts three hours on: nothing new since
    console = make_core(second_config, broker=mqtt_broker, db_url=service.core.db_url, client_id="console-late",
                        attached=True, clock=lambda: later)
    monitor = console.flood.monitor
    wait_until(lambda: monitor.station(gauge.id).ts is not None, 30, message="the newest reading never came")
    wait_until(lambda: _level(monitor, zone) == held, 30, message="the console never took the service's level")
    assert not monitor.is_live(monitor.station(gauge.id))  # the level is not the console's own judgement

    banner = RiskBanner()
    qtbot.addWidget(banner)
    banner.show_zone(monitor, zone)
    stamp = measured.astimezone(second_config.site.tz).strftime("%H:%M %d/%m")
    assert banner.level == held
    assert banner.detail.text() == f"{gauge.name}: 2,00 m (đo lúc {stamp}, chưa có số đo mới hơn)"
    assert f"cấp {held} theo số đo lúc" in console.flood.bulletins.compose().text


def test_a_malformed_level_from_the_broker_is_refused_with_a_message(second_config, mqtt_broker, make_core,
                                                                   raw_client, caplog):
    prefix, zone, gauge = second_config.topic_prefix, second_config.flood.bulletin_zone, _gauge(second_config)
    client = raw_client(mqtt_broker.host, mqtt_broker.port, prefix).client
    console = make_core(second_config, broker=mqtt_broker, client_id="room-x")  # consoles and services read them alike
    assert console.feed.wait_subscribed(30)
    with caplog.at_level(logging.WARNING, logger="controlroom.flood.risk_retained"):
        for payload in ('{"level": "ba", "basis": "measured"}', '{"level": 9, "basis": "measured"}', "không phải JSON"):
            client.publish(f"{prefix}/room/flood/risk/{gauge.id}", payload, qos=1).wait_for_publish(10)
        wait_until(lambda: len([r for r in caplog.records if "rejected" in r.getMessage()]) == 3, 30,
                   message="the malformed levels were not all refused")
    assert _level(console.flood.monitor, zone) is None


def test_a_service_restarted_while_a_gauge_is_silent_keeps_the_level_it_held(second_config, mqtt_broker, make_core,
                                                                            raw_client):
    """The service held level 3 from the gauge's last live reading, then restarted (an update, a
    power cut): it came back with "chưa xác định" for a gauge that had said nothing since."""
    prefix, zone, gauge = second_config.topic_prefix, second_config.flood.bulletin_zone, _gauge(second_config)
    first = make_core(second_config, broker=mqtt_broker, client_id="service-1")
    assert first.feed.wait_subscribed(30)
    client = raw_client(mqtt_broker.host, mqtt_broker.port, prefix).client
    measured = datetime.now(timezone.utc)
    client.publish(f"{prefix}/sensor/{gauge.id}/reading",
                   json.dumps({"ts": int(measured.timestamp() * 1000), "value": 2.0}), qos=1).wait_for_publish(10)
    wait_until(lambda: (_level(first.flood.monitor, zone) or 0) > 0, 30, message="the service set no level")
    held = _level(first.flood.monitor, zone)
    first.stop()

    later = measured + timedelta(minutes=20)  # back twenty minutes on: the gauge silent since
    second = make_core(second_config, broker=mqtt_broker, client_id="service-2", clock=lambda: later)
    wait_until(lambda: _level(second.flood.monitor, zone) == held, 30, message="the restarted service lost the level")
