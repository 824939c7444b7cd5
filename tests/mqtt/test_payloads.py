"""PayloadParser: every outside input becomes events or a counted Rejected, never an exception."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlroom.domain import (
    CitizenReport,
    DeviceStatus,
    Reading,
    Rejected,
    RoomAlertMessage,
    SpeakerAck,
    SpeakerStatus,
)
from controlroom.i18n import tr
from controlroom.feeds.payloads import REASONS, PayloadParser, describe_reason

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
READING = "quangtho/sensor/aq_office/reading"
LEVEL = "quangtho/sensor/wl_phu_oc/reading"
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def config():
    from controlroom.config import demo_config_path, load_config

    return load_config(demo_config_path())


@pytest.fixture
def parser(config):
    return PayloadParser(config)


def only_reject(events: list) -> str:
    assert len(events) == 1 and isinstance(events[0], Rejected), events
    return events[0].reason


def check_counted(parser: PayloadParser, events: list, before: dict) -> None:
    """Every Rejected returned was counted under its reason, and nothing else was."""
    expected = dict(before)
    for event in events:
        if isinstance(event, Rejected):
            assert event.reason in REASONS and event.reason != "internal_error", event  # no parser bug hit
            expected[event.reason] = expected.get(event.reason, 0) + 1
    assert dict(parser.rejects) == {k: v for k, v in expected.items() if v}


# -- the contract's good messages ----------------------------------------------------------


def test_multi_metric_reading_with_offset_timestamp_becomes_utc_readings(parser):
    events = parser.parse(READING, b'{"ts": "2026-11-25T18:30:00+07:00", "values": {"pm25": 41.2, "pm10": 63}}', NOW)
    assert events == [
        Reading("aq_office", "pm25", datetime(2026, 11, 25, 11, 30, tzinfo=timezone.utc), 41.2),
        Reading("aq_office", "pm10", datetime(2026, 11, 25, 11, 30, tzinfo=timezone.utc), 63.0),
    ]
    assert events[0].ts.utcoffset() == timedelta(0)


def test_single_value_reading_with_epoch_ms_and_without_ts(parser):
    epoch_ms = int(datetime(2026, 11, 25, 11, 0, tzinfo=timezone.utc).timestamp() * 1000)
    assert parser.parse(LEVEL, json.dumps({"ts": epoch_ms, "value": 2.37}).encode(), NOW) == [
        Reading("wl_phu_oc", "level", datetime(2026, 11, 25, 11, 0, tzinfo=timezone.utc), 2.37)
    ]
    assert parser.parse(LEVEL, b'{"value": 1}', NOW) == [Reading("wl_phu_oc", "level", NOW, 1.0)]


def test_one_bad_metric_does_not_hide_the_good_ones(parser):
    events = parser.parse(READING, b'{"values": {"pm25": 10, "pm99": 1, "pm10": -5, "o3": "high"}}', NOW)
    assert [e for e in events if isinstance(e, Reading)] == [Reading("aq_office", "pm25", NOW, 10.0)]
    assert sorted(e.reason for e in events if isinstance(e, Rejected)) == ["out_of_range", "unknown_metric", "wrong_type"]


@pytest.mark.parametrize("payload, online", [(b"online", True), (b"offline", False), (b'"online"', True), (b' "offline"\n', False)])
def test_device_status_plain_or_json_string(parser, payload, online):
    assert parser.parse("quangtho/device/cam07/status", payload, NOW) == [DeviceStatus("cam07", online, NOW)]


def test_speaker_status_ack_report_and_room_alert(parser):
    assert parser.parse("quangtho/speaker/spk_lvh_1/status", b'{"state": "playing", "volume": 70, "job": "j1"}', NOW) == [
        SpeakerStatus("spk_lvh_1", "playing", 70, "j1", NOW)
    ]
    assert parser.parse("quangtho/speaker/spk_lvh_1/ack", b'{"job": 42, "result": "finished", "detail": null}', NOW) == [
        SpeakerAck("spk_lvh_1", "42", "finished", None, NOW)
    ]
    report = parser.parse(
        "quangtho/report/r-17",
        '{"category": "ngập", "text": "Nước tràn qua đường", "lat": 16.53, "lon": 107.52, "photo_url": null, "reporter": "Lan"}'.encode(),
        NOW,
    )
    assert report == [CitizenReport("r-17", NOW, "ngập", "Nước tràn qua đường", 16.53, 107.52, None, "Lan")]
    assert parser.parse("quangtho/room/alert/a1", b'{"state": "active", "level": 2}', NOW) == [
        RoomAlertMessage("a1", {"state": "active", "level": 2}, NOW)
    ]
    assert parser.parse("quangtho/room/alert/a1", b"", NOW) == [RoomAlertMessage("a1", {}, NOW)]  # retained cleared


# -- each reason, by example ---------------------------------------------------------------


@pytest.mark.parametrize(
    "topic, payload, reason",
    [
        ("other/sensor/aq_office/reading", b'{"value": 1}', "bad_topic"),
        ("quangtho/sensor/aq_office", b'{"value": 1}', "bad_topic"),
        ("quangtho/sensor/aq_office/reading/extra", b'{"value": 1}', "bad_topic"),
        ("quangtho/device//status", b"online", "bad_topic"),
        ("quangtho/sensor/ghost/reading", b'{"value": 1}', "unknown_sensor"),
        (LEVEL, b"x" * (1024 * 1024), "too_large"),
        (LEVEL, b'{"value": \xff}', "not_utf8"),
        (LEVEL, b'{"value": 1', "bad_json"),
        (LEVEL, b"[" * 50_000, "bad_json"),
        (LEVEL, b'{"value": ' + b"9" * 5000 + b"}", "bad_json"),
        (LEVEL, b"[1, 2]", "wrong_type"),
        (LEVEL, b'{"value": true}', "wrong_type"),
        (LEVEL, b'{"valu": 1}', "wrong_type"),
        (READING, b'{"value": 1}', "wrong_type"),  # single value on a multi-metric station
        (LEVEL, b'{"value": NaN}', "not_finite"),
        (LEVEL, b'{"value": -Infinity}', "not_finite"),
        (LEVEL, b'{"value": 1e999}', "not_finite"),
        (LEVEL, b'{"value": 99}', "out_of_range"),
        (LEVEL, b'{"ts": "2026-11-25T10:00:00", "value": 1}', "bad_timestamp"),  # no offset
        (LEVEL, b'{"ts": "yesterday", "value": 1}', "bad_timestamp"),
        (LEVEL, b'{"ts": 1764072000, "value": 1}', "bad_timestamp"),  # seconds, not ms
        (LEVEL, b'{"ts": 1e300, "value": 1}', "bad_timestamp"),
        (LEVEL, b'{"ts": "2027-01-01T00:00:00Z", "value": 1}', "future_timestamp"),
        ("quangtho/device/cam01/status", b"maybe", "bad_value"),
        ("quangtho/device/cam01/status", b'"on', "bad_json"),
        ("quangtho/speaker/spk1/status", b'{"state": "singing"}', "bad_value"),
        ("quangtho/speaker/spk1/status", b'{"state": "idle", "volume": 300}', "out_of_range"),
        ("quangtho/speaker/spk1/ack", b'{"result": "started"}', "wrong_type"),
        ("quangtho/report/r1", b'{"category": "x", "text": "y", "lat": 123}', "out_of_range"),
        ("quangtho/room/alert/a1", b'"active"', "wrong_type"),
    ],
)
def test_each_bad_message_is_one_counted_reject(parser, topic, payload, reason):
    assert only_reject(parser.parse(topic, payload, NOW)) == reason
    assert parser.rejects == {reason: 1}


def test_every_reason_has_an_operator_text():
    for reason in REASONS:
        assert describe_reason(reason) != reason
    assert describe_reason("bad_json") == tr("message is not valid JSON")


# -- properties: arbitrary input never raises and is always counted ------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
topics = st.one_of(
    st.text(max_size=60),
    st.builds(lambda kind, rest: f"quangtho/{kind}/{rest}", st.sampled_from(["sensor", "device", "speaker", "report", "room"]), st.text(max_size=30)),
    st.sampled_from([READING, LEVEL, "quangtho/device/x/status", "quangtho/speaker/s/status", "quangtho/speaker/s/ack", "quangtho/report/r", "quangtho/room/alert/a"]),
)


@SETTINGS
@given(topic=topics, payload=st.binary(max_size=300))
def test_random_bytes_on_any_topic_never_raise(parser, topic, payload):
    before = dict(parser.rejects)
    events = parser.parse(topic, payload, NOW)
    check_counted(parser, events, before)


@SETTINGS
@given(topic=topics, value=json_values)
def test_any_json_document_never_raises(parser, topic, value):
    before = dict(parser.rejects)
    payload = json.dumps(value, allow_nan=True).encode()
    events = parser.parse(topic, payload, NOW)
    check_counted(parser, events, before)
    for event in events:
        if isinstance(event, Reading):
            assert math.isfinite(event.value) and event.ts.tzinfo is not None


@SETTINGS
@given(
    values=st.dictionaries(
        st.sampled_from(["pm25", "pm10", "o3", "co", "humidity", "temperature", "bogus"]),
        st.one_of(st.floats(), st.integers(), st.booleans(), st.none(), st.text(max_size=5)),
        min_size=1,
    ),
    ts=st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=30), st.datetimes(timezones=st.timezones()).map(datetime.isoformat)),
)
def test_reading_values_are_either_valid_readings_or_counted_rejects(parser, config, values, ts):
    before = dict(parser.rejects)
    events = parser.parse(READING, json.dumps({"ts": ts, "values": values}, allow_nan=True).encode(), NOW)
    check_counted(parser, events, before)
    metrics = config.sensor("aq_office").metrics
    for event in events:
        if isinstance(event, Reading):
            metric = metrics[event.metric]
            assert metric.valid_min <= event.value <= metric.valid_max
            assert event.ts <= NOW + timedelta(minutes=10)
    assert len(events) in (1, len(values))  # one whole-message reject, or one event per metric


@SETTINGS
@given(size=st.integers(min_value=64 * 1024 + 1, max_value=1024 * 1024), topic=topics)
def test_oversized_payloads_are_rejected_before_decoding(parser, size, topic):
    events = parser.parse(topic, b"{" * size, NOW)
    assert only_reject(events) in ("too_large", "bad_topic")
