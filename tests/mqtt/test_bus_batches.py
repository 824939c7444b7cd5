"""The bus's batch path: batch subscribers get runs, the others still get single events."""

from __future__ import annotations

from datetime import datetime, timezone

from controlroom.bus import EventBus
from controlroom.domain import DeviceStatus, Reading, Rejected
from controlroom.live_state import LiveState

TS = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)


def _readings(n: int, ts: datetime = TS) -> list[Reading]:
    return [Reading("aq_office", f"m{i}", ts, float(i)) for i in range(n)]


def test_batch_subscriber_gets_each_run_of_one_type_in_one_call():
    bus = EventBus()
    runs = []
    bus.subscribe(Reading, lambda e: runs.append(("single", e)), batch=lambda es: runs.append(("batch", list(es))))
    first, second = _readings(3), _readings(2)
    status = DeviceStatus("gw1", True, TS)
    bus.publish_batch(first + [status] + second)
    assert runs == [("batch", first), ("batch", second)]


def test_plain_subscriber_gets_every_event_of_a_batch_in_order():
    bus = EventBus()
    seen = []
    bus.subscribe(object, seen.append)
    events = _readings(2) + [Rejected("bad_json", "t", "x")] + _readings(2)
    bus.publish_batch(events)
    bus.publish(events[0])
    assert seen == events + [events[0]]


def test_a_failing_batch_subscriber_does_not_stop_the_others():
    bus = EventBus()
    got = []

    def broken(events):
        raise RuntimeError("boom")

    bus.subscribe(Reading, got.append, batch=broken)
    bus.subscribe(Reading, got.append)
    bus.publish_batch(_readings(3))
    assert len(got) == 3
    assert bus.subscriber_errors == 1


def test_unsubscribed_batch_subscriber_gets_nothing_more():
    bus = EventBus()
    got = []
    unsubscribe = bus.subscribe(Reading, got.append, batch=got.extend)
    bus.publish_batch(_readings(2))
    unsubscribe()
    bus.publish_batch(_readings(2))
    bus.publish(_readings(1)[0])
    assert len(got) == 2


def test_live_state_keeps_the_newest_reading_from_batches():
    bus = EventBus()
    live = LiveState(bus)
    newer = Reading("aq_office", "pm25", TS.replace(hour=2), 2.0)
    older = Reading("aq_office", "pm25", TS, 1.0)
    bus.publish_batch([newer, older])
    assert live.reading("sensor/aq_office/pm25") == newer
