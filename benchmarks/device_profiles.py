"""Readings per second through each built-in device profile against the room's own contract,
in the same run, on a private Mosquitto: goal ratio >= 0.7, 0 lost.

For each format, a publisher PROCESS floods N QoS-1 messages shaped like the format's documented
payload (tests/devices/corpus/) to the real MqttFeed with the service's DeviceSources attached;
a bus subscriber counts the readings that come out, from the first to the last. The baseline is
the native contract carrying the same number of readings per message (two, or one for ESPHome,
whose messages hold one value each). A second, in-process figure times the mapping alone
(SourceMapper.map_message vs PayloadParser.parse, no broker), Sensor.Community included (it
arrives over HTTP, not MQTT).

Run: .venv/bin/python benchmarks/device_profiles.py [--messages N]
Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench_broker import start_broker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BASE = datetime(2026, 1, 1, tzinfo=timezone.utc)
LOCAL = timezone(timedelta(hours=7))


def message(kind: str, k: int, prefix: str) -> tuple[str, bytes]:
    """The k-th message of a format: a distinct time each, values that vary."""
    at = BASE + timedelta(seconds=k)
    a, b = round(20 + (k % 97) * 0.1, 2), round(40 + (k % 53) * 0.5, 2)
    if kind == "native2":
        return f"{prefix}/sensor/kk_cho_vinh_hung/reading", json.dumps(
            {"ts": int(at.timestamp() * 1000), "values": {"temperature": a, "humidity": b}}).encode()
    if kind == "native1":
        return f"{prefix}/sensor/kk_cho_vinh_hung/reading", json.dumps(
            {"ts": int(at.timestamp() * 1000), "values": {"temperature": a}}).encode()
    if kind == "chirpstack_v4":
        payload = {"deduplicationId": f"3ac7e3c4-4401-4b8d-9386-{k:012d}", "time": at.isoformat(),
                   "deviceInfo": {"tenantId": "52f14cd4-c6f1-4fbd-8f87-4025e1d49242", "tenantName": "ChirpStack",
                                  "applicationId": "17c82e96-be03-4f38-aef3-f83d48582d97", "applicationName": "Test application",
                                  "deviceProfileId": "14855bf7-d10d-4aee-b618-ebfcb64dc7ad", "deviceProfileName": "Test device-profile",
                                  "deviceName": "Test device", "devEui": "0101010101010101", "tags": {"key": "value"}},
                   "devAddr": "00189440", "dr": 1, "fPort": 1, "fCnt": k, "data": "qg==", "object": {"waterLevel": a / 20},
                   "rxInfo": [{"gatewayId": "0016c001f153a14c", "uplinkId": 4217106255, "rssi": -36, "snr": b / 10,
                               "context": "E3OWOQ==", "metadata": {"region_name": "eu868", "region_common_name": "EU868"}}],
                   "txInfo": {"frequency": 868100000, "modulation": {"lora": {"bandwidth": 125000, "spreadingFactor": 7,
                                                                                "codeRate": "CR_4_5"}}}}
        return "application/17c82e96/device/0101010101010101/event/up", json.dumps(payload).encode()
    if kind == "tts_v3":
        payload = {"end_device_ids": {"device_id": "dev1", "application_ids": {"application_id": "app1"},
                                      "dev_eui": "0004A30B001C0530", "join_eui": "800000000000000C", "dev_addr": "00BCB929"},
                   "correlation_ids": ["as:up:01E0ABCDEFGH"], "received_at": at.isoformat().replace("+00:00", "Z"),
                   "uplink_message": {"session_key_id": "AXBSH1Pk6Z0G166", "f_port": 15, "f_cnt": k, "frm_payload": "0vOBHv0g",
                                      "decoded_payload": {"water_level_m": a / 20, "snr": b / 10, "battery": 3.6},
                                      "rx_metadata": [{"gateway_ids": {"gateway_id": "gtw1"}, "rssi": -35, "snr": 5.2}],
                                      "settings": {"data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": 7}}}}}
        return "v3/app1@ttn/devices/dev1/up", json.dumps(payload).encode()
    if kind == "tasmota":
        payload = {"Time": at.astimezone(LOCAL).replace(tzinfo=None).isoformat(), "AM2301": {"Temperature": a, "Humidity": b},
                   "TempUnit": "C"}
        return "tele/TH16/SENSOR", json.dumps(payload).encode()
    if kind == "zigbee2mqtt":
        payload = {"temperature": a, "humidity": b, "battery": 91, "voltage": 2995, "linkquality": 73,
                   "last_seen": int(at.timestamp() * 1000)}
        return "zigbee2mqtt/0x00158d0001d8e1d2", json.dumps(payload).encode()
    if kind == "esphome":
        return "cho-esp/sensor/outside_temperature/state", f"{a:.2f}".encode()
    raise ValueError(kind)


READINGS_PER_MESSAGE = {"native2": 2, "native1": 1, "chirpstack_v4": 2, "tts_v3": 2, "tasmota": 2, "zigbee2mqtt": 2,
                        "esphome": 1}
BASELINE = {"chirpstack_v4": "native2", "tts_v3": "native2", "tasmota": "native2", "zigbee2mqtt": "native2",
            "esphome": "native1"}


def publisher(port: int, kind: str, prefix: str, count: int, go, done) -> None:
    messages = [message(kind, k, prefix) for k in range(count)]
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{kind}", protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    go.wait()
    infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(60)
    client.loop_stop()
    client.disconnect()
    done.set()


def end_to_end(config, port: int, kind: str, count: int) -> dict:
    from controlroom.bus import EventBus
    from controlroom.devices.service import DeviceSources
    from controlroom.domain import Reading
    from controlroom.feeds.mqtt_feed import MqttFeed

    bus = EventBus()
    lock = threading.Lock()
    seen = {"n": 0, "first": None, "last": None}
    expected = count * READINGS_PER_MESSAGE[kind]
    finished = threading.Event()

    def on_reading(reading: Reading) -> None:
        with lock:
            now = time.perf_counter()
            seen["n"] += 1
            seen["first"] = seen["first"] or now
            seen["last"] = now
            if seen["n"] >= expected:
                finished.set()

    bus.subscribe(Reading, on_reading)
    feed = MqttFeed(config, bus, host="127.0.0.1", port=port, client_id=f"bench-feed-{kind}", keep_session=False)
    sources = DeviceSources(config, feed, bus.publish_batch)
    sources.start()
    feed.start()
    feed.wait_subscribed(30)
    ctx = mp.get_context("spawn")
    go, done = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=publisher, args=(port, kind, config.topic_prefix, count, go, done))
    proc.start()
    time.sleep(1.0)  # the publisher builds its messages and connects before the clock starts
    go.set()
    finished.wait(120)
    done.wait(60)
    time.sleep(0.5)  # anything late would still count
    proc.join(30)
    feed.stop()
    sources.stop()
    span = (seen["last"] - seen["first"]) if seen["first"] else 0.0
    return {"readings": seen["n"], "expected": expected, "lost": expected - seen["n"],
            "readings_per_s": round(seen["n"] / span, 1) if span else 0.0}


def mapping_only(config, count: int) -> dict:
    """µs per message through the mapper alone, against the contract's parser."""
    from controlroom.devices.mapper import SourceMapper
    from controlroom.feeds.payloads import PayloadParser

    now = BASE + timedelta(days=400)
    parser = PayloadParser(config)
    mappers = {s.profile: SourceMapper(s, config) for s in config.sources}
    results = {}

    def timed(fn, items) -> float:
        start = time.perf_counter()
        for topic, payload in items:
            fn(topic, payload, now)
        return (time.perf_counter() - start) / len(items) * 1e6

    native = [message("native2", k, config.topic_prefix) for k in range(count)]
    results["native2_us"] = round(timed(parser.parse, native), 2)
    for kind in BASELINE:
        items = [message(kind, k, config.topic_prefix) for k in range(count)]
        results[f"{kind}_us"] = round(timed(mappers[kind].map_message, items), 2)
    sc = mappers["sensor_community"]
    body = {"esp8266id": "12345678", "software_version": "NRZ-2020-129", "sensordatavalues": [
        {"value_type": "SDS_P1", "value": "1.80"}, {"value_type": "SDS_P2", "value": "1.70"},
        {"value_type": "temperature", "value": "25.90"}, {"value_type": "humidity", "value": "50.00"},
        {"value_type": "samples", "value": "755761"}, {"value_type": "signal", "value": "-36"}]}
    raw = json.dumps(body).encode()
    start = time.perf_counter()
    for _ in range(count):
        sc.map(["sensor-community"], json.loads(raw), now)
    results["sensor_community_us"] = round((time.perf_counter() - start) / count * 1e6, 2)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    args = parser.parse_args()
    logging.getLogger("controlroom.devices.service").setLevel(logging.CRITICAL)  # the test site's FTP account has no password here
    sys.path.insert(0, str(ROOT / "tests" / "devices"))
    from conftest import vendor_config  # the second commune with its vendor sources

    with tempfile.TemporaryDirectory() as tmp:
        config = vendor_config(Path(tmp))
        proc, port = start_broker(Path(tmp))
        try:
            runs = {kind: end_to_end(config, port, kind, args.messages)
                    for kind in ("native2", "native1", *BASELINE)}
        finally:
            proc.terminate()
            proc.wait(10)
        micro = mapping_only(config, 5000)
    ratios = {kind: round(runs[kind]["readings_per_s"] / runs[BASELINE[kind]]["readings_per_s"], 3) for kind in BASELINE}
    for kind, run in runs.items():
        print(f"{kind:14s} {run['readings_per_s']:>10.1f} readings/s  lost {run['lost']}", file=sys.stderr)
    print(json.dumps({
        "benchmark": "device_profiles",
        "messages_per_format": args.messages,
        "baseline": {"native_2_per_message": runs["native2"]["readings_per_s"],
                     "native_1_per_message": runs["native1"]["readings_per_s"]},
        "readings_per_s": {kind: runs[kind]["readings_per_s"] for kind in BASELINE},
        "ratio": ratios,
        "min_ratio": min(ratios.values()),
        "goal_ratio": 0.7,
        "lost": {kind: run["lost"] for kind, run in runs.items()},
        "mapping_us_per_message": micro,
    }))


if __name__ == "__main__":
    main()
