"""Attached consoles see the readings through the service's live digest: the newest value per
sensor and metric a few times a second, not every device message; a console that starts later
fills its tiles from the retained snapshot; a bad digest entry is dropped and named, the rest kept."""

from __future__ import annotations

import json
import time

import pytest

from controlroom.service.live_digest import LIVE_TOPIC

from ..conftest import wait_until

pytestmark = pytest.mark.timeout(180)


def _publish_burst(client, config, sensor_id: str, metric: str, values: list[float], start_ms: int) -> None:
    topic = f"{config.topic_prefix}/sensor/{sensor_id}/reading"
    infos = [client.client.publish(topic, json.dumps({"ts": start_ms + 100 * i, "values": {metric: v}}), qos=1)
             for i, v in enumerate(values)]
    for info in infos:
        info.wait_for_publish(10)


def test_console_shows_the_newest_value_from_far_fewer_messages(second_config, mqtt_broker, service, make_core,
                                                                raw_client):
    console = make_core(second_config, broker=mqtt_broker, db_url=service.core.db_url, client_id="console-digest",
                        attached=True)
    assert service.core.feed.wait_subscribed(30) and console.feed.wait_subscribed(30)
    pond = second_config.sensor("ao_tom_1")
    client = raw_client(mqtt_broker.host, mqtt_broker.port, second_config.topic_prefix)
    count = 2000
    values = [5.0 + (i % 50) / 100 for i in range(count - 1)] + [7.77]
    start_ms = int(time.time() * 1000) - 100 * count
    _publish_burst(client, second_config, pond.id, "do", values, start_ms)

    address = f"sensor/{pond.id}/do"
    newest = wait_until(lambda: (r := console.live.reading(address)) is not None and r.value == 7.77 and r, 60,
                        message="the console never showed the newest reading")
    assert int(newest.ts.timestamp() * 1000) == start_ms + 100 * (count - 1)
    assert wait_until(lambda: service.live_digest.folded >= count, 30)
    # every reading reached the service; the console was handed a few digests' worth
    assert service.core.feed.stats.readings >= count
    shown = console.feed.stats.readings
    assert 1 <= shown < count / 4, shown
    assert not console.feed.stats.rejects


def test_console_started_later_fills_tiles_from_the_retained_snapshot(second_config, mqtt_broker, service, make_core,
                                                                      raw_client):
    pond = second_config.sensor("ao_tom_1")
    assert service.core.feed.wait_subscribed(30)  # a reading sent before it subscribed never reaches it
    client = raw_client(mqtt_broker.host, mqtt_broker.port, second_config.topic_prefix)
    now_ms = int(time.time() * 1000)
    _publish_burst(client, second_config, pond.id, "do", [6.4], now_ms - 5000)
    assert wait_until(lambda: service.live_digest.sent >= 1, 30)
    service.live_digest.tick(snapshot=True)  # the snapshot is due every few seconds; now for the test

    late = make_core(second_config, broker=mqtt_broker, db_url=service.core.db_url, client_id="console-late",
                     attached=True)
    reading = wait_until(lambda: late.live.reading(f"sensor/{pond.id}/do"), 30,
                         message="a console started later did not get the retained snapshot")
    assert reading.value == 6.4 and int(reading.ts.timestamp() * 1000) == now_ms - 5000


def test_a_bad_digest_entry_is_named_and_the_rest_kept(second_config, mqtt_broker, service, make_core, raw_client):
    console = make_core(second_config, broker=mqtt_broker, db_url=service.core.db_url, client_id="console-bad",
                        attached=True)
    assert console.feed.wait_subscribed(30)
    pond = second_config.sensor("ao_tom_1")
    metric = next(iter(pond.metrics))
    now_ms = time.time() * 1000
    body = {"at": now_ms, "readings": [
        ["khong_co_tram", metric, now_ms, 1.0],  # a sensor this site does not have
        [pond.id, metric, "hôm qua", 1.0],  # not a time
        [pond.id, ["do"], now_ms, 1.0],  # not a metric name
        [pond.id, metric, now_ms, "nhiều"],  # not a number
        "rác",
        [pond.id, metric, now_ms, 6.9],
    ]}
    client = raw_client(mqtt_broker.host, mqtt_broker.port, second_config.topic_prefix)
    client.client.publish(f"{second_config.topic_prefix}/{LIVE_TOPIC}", json.dumps(body), qos=1).wait_for_publish(10)
    reading = wait_until(lambda: (r := console.live.reading(f"sensor/{pond.id}/{metric}")) and r.value == 6.9 and r, 30)
    assert reading is not None
    rejects = wait_until(lambda: (r := console.feed.stats.rejects) and sum(r.values()) >= 5 and r, 10)
    assert rejects == {"unknown_sensor": 1, "bad_timestamp": 1, "unknown_metric": 1, "wrong_type": 2}
