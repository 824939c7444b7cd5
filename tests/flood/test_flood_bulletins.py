"""Warning bulletins: repeat at the interval, stop when superseded or cancelled, and a restart
of the console neither drops nor doubles a repeat (real broker, real SQLite)."""

from __future__ import annotations

import uuid
import wave
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from controlroom.broadcast.jobs import Priority
from controlroom.flood.bulletins import ACTIVE, CANCELLED, SUPERSEDED
from controlroom.access.operators import Operator, PermissionDenied, Role
from controlroom.storage.models import broadcasts, flood_bulletins

from ..conftest import wait_until

OFFICER = Operator("trucban", "Trực ban", Role.DUTY_OFFICER)
T0 = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def site(demo_config, data_dir):
    mqtt_cfg = demo_config.mqtt.model_copy(update={"topic_prefix": f"t{uuid.uuid4().hex[:8]}"})
    broadcast = demo_config.broadcast.model_copy(update={"schedule": []})
    return demo_config.model_copy(update={"mqtt": mqtt_cfg, "broadcast": broadcast})


@pytest.fixture
def wav(tmp_path):
    path = tmp_path / "b.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(8000)
        out.writeframes(b"\0\0" * 8000)
    return path, 1.0


class Console:
    """One run of the app's core (its broadcasting and bulletins) on a shared database."""

    def __init__(self, make_core, config, broker, db_url, clock):
        self.core = make_core(config, broker=broker, db_url=db_url, clock=clock)
        self.broadcasting = self.core.broadcast
        self.bulletins = self.core.flood.bulletins

    def jobs(self) -> set[str]:
        return {j.id for j in self.broadcasting.service.jobs()}

    def stop(self):
        self.core.storage.flush()
        self.core.stop()


def stored_jobs(engine) -> list[str]:
    with engine.connect() as conn:
        return [r.id for r in conn.execute(select(broadcasts.c.id).where(broadcasts.c.id.like("flb-%")))]


def test_bulletin_repeats_at_its_interval_until_superseded(site, mqtt_broker, tmp_path, wav, make_core):
    clock = Clock(T0)
    console = Console(make_core, site, mqtt_broker, f"sqlite:///{tmp_path}/a.db", clock)
    try:
        draft = console.bulletins.compose()
        assert set(draft.villages) == {v.id for v in site.villages if v.low_lying}
        assert draft.interval_s == 3600 and draft.speakers
        first = console.bulletins.issue(draft, OFFICER, audio=wav)
        job = console.broadcasting.service.job(first.job_id(0))
        assert job.priority is Priority.EMERGENCY and set(job.targets) == set(draft.speakers)
        console.bulletins.tick(T0 + timedelta(minutes=59))
        assert console.jobs() == {first.job_id(0)}
        console.bulletins.tick(T0 + timedelta(minutes=60, seconds=1))
        console.bulletins.tick(T0 + timedelta(minutes=60, seconds=2))  # same slot: no double
        assert console.jobs() == {first.job_id(0), first.job_id(1)}
        repeat = console.broadcasting.service.job(first.job_id(1))
        assert "Nhắc lại bản tin cảnh báo lũ phát lúc 08 giờ 00 ngày 20/11/2026" in repeat.text
        clock.now = T0 + timedelta(minutes=90)
        second = console.bulletins.issue(console.bulletins.compose(), OFFICER, audio=wav)
        assert {b.id: b.state for b in console.bulletins.bulletins()} == {first.id: SUPERSEDED, second.id: ACTIVE}
        console.bulletins.tick(T0 + timedelta(minutes=121))  # the old one's slot: silent now
        assert console.jobs() == {first.job_id(0), first.job_id(1), second.job_id(0)}
        console.bulletins.tick(T0 + timedelta(minutes=151))
        assert second.job_id(1) in console.jobs()
        console.bulletins.cancel(second.id, OFFICER, "nước rút")
        console.bulletins.tick(T0 + timedelta(minutes=300))
        assert second.job_id(2) not in console.jobs()
        assert console.bulletins.bulletins()[0].state == CANCELLED
        wait_until(lambda: [a for _, _, a, _ in console.bulletins.history(first.id)]
                   == ["bulletin.issued", "bulletin.repeat", "bulletin.superseded"])
        with pytest.raises(PermissionDenied):
            console.bulletins.issue(draft, Operator("op", "Op", Role.OPERATOR), audio=wav)
    finally:
        console.stop()


def test_restart_neither_drops_nor_doubles_a_repeat(site, mqtt_broker, tmp_path, wav, make_core):
    db = f"sqlite:///{tmp_path}/r.db"
    clock = Clock(T0)
    first = Console(make_core, site, mqtt_broker, db, clock)
    try:
        bulletin = first.bulletins.issue(first.bulletins.compose(), OFFICER, audio=wav)
        wait_until(lambda: stored_jobs(first.core.engine) == [bulletin.job_id(0)])
    finally:
        first.stop()

    # Down for 3 h 10 min: slots 1, 2, 3 were missed -> exactly one catch-up repeat, then the next slot.
    second = Console(make_core, site, mqtt_broker, db, clock)
    try:
        assert [b.state for b in second.bulletins.bulletins()] == [ACTIVE]
        assert second.jobs() == set()  # nothing re-sent on load: r0 went out before the restart
        second.bulletins.tick(T0 + timedelta(hours=3, minutes=10))
        second.bulletins.tick(T0 + timedelta(hours=3, minutes=11))
        assert second.jobs() == {bulletin.job_id(1)}
        assert second.bulletins.active()[0].next_due_at == T0 + timedelta(hours=4)
        wait_until(lambda: bulletin.job_id(1) in stored_jobs(second.core.engine))
    finally:
        second.stop()

    # A third run at the same moment does not send repeat 1 again.
    third = Console(make_core, site, mqtt_broker, db, clock)
    try:
        third.bulletins.tick(T0 + timedelta(hours=3, minutes=12))
        assert third.jobs() == set()
        # The app died after claiming repeat 2 but before sending it: the next start sends it.
        with third.core.engine.begin() as conn:
            conn.execute(update(flood_bulletins).values(repeats_done=2, next_due_at=T0 + timedelta(hours=5)))
    finally:
        third.stop()
    fourth = Console(make_core, site, mqtt_broker, db, clock)
    try:
        assert fourth.jobs() == {bulletin.job_id(2)}
        fourth.bulletins.tick(T0 + timedelta(hours=4, minutes=30))
        assert fourth.jobs() == {bulletin.job_id(2)}
    finally:
        fourth.stop()
