"""Delivery rules and the daily programme's clock, without I/O."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from controlroom.access.operators import SYSTEM
from controlroom.broadcast.jobs import BroadcastJob, DeliveryState, Priority
from controlroom.broadcast.schedule import BroadcastScheduler, MemoryFiredStore, due_entries

T0 = datetime(2026, 11, 25, 0, 0, tzinfo=timezone.utc)  # 07:00 in Huế


def make_job(targets=("a", "b", "c"), priority=Priority.ROUTINE) -> BroadcastJob:
    job = BroadcastJob(title="t", source_kind="file", source_url="http://x/a.wav", duration_s=10, priority=priority,
                       volume=70, repeat=1, targets=list(targets), operator="op", created_at=T0)
    for speaker in targets:
        job.mark_sent(speaker, T0)
    return job


def test_acks_move_deliveries_and_totals_count_them():
    job = make_job()
    assert job.apply_ack("a", "started", None, T0)
    assert job.apply_ack("a", "finished", None, T0)
    assert job.apply_ack("b", "failed", "amplifier fault", T0)
    totals = job.totals()
    assert (totals.total, totals.played, totals.failed, totals.waiting) == (3, 1, 1, 1)
    assert totals.summary() == "1/3 đã phát, 1 đang chờ, 1 lỗi"  # no "0 đang phát, 0 mất kết nối" to read past
    assert not job.finished


def test_overdue_start_is_offline_for_a_known_offline_speaker_else_no_answer():
    job = make_job(targets=("a", "b"))
    later = T0 + timedelta(seconds=16)
    assert job.expire(later, 15, 30, speaker_offline=lambda s: s == "a")
    assert job.deliveries["a"].state is DeliveryState.OFFLINE
    assert job.deliveries["b"].state is DeliveryState.NO_ANSWER
    assert job.finished


def test_started_delivery_without_finish_ends_after_play_time_and_margin():
    job = make_job(targets=("a",))
    job.apply_ack("a", "started", None, T0)
    assert not job.expire(T0 + timedelta(seconds=39), 15, 30, lambda s: False)
    assert job.expire(T0 + timedelta(seconds=41), 15, 30, lambda s: False)
    assert job.deliveries["a"].state is DeliveryState.NO_ANSWER


def test_late_ack_after_interruption_is_ignored():
    job = make_job(targets=("a",))
    job.apply_ack("a", "started", None, T0)
    assert job.interrupt("a", "emergency1", T0)
    assert not job.apply_ack("a", "failed", "preempted", T0)
    assert job.deliveries["a"].state is DeliveryState.INTERRUPTED


def test_schedule_fires_once_per_day_and_not_again_after_restart(demo_config):
    store = MemoryFiredStore()
    fired = []
    morning = datetime(2026, 11, 25, 23, 0, tzinfo=timezone.utc)  # 06:00 on the 26th in Huế
    scheduler = BroadcastScheduler(demo_config, store, lambda key, entry: fired.append(entry))
    scheduler(morning)
    scheduler(morning + timedelta(minutes=1))
    assert [e.id for e in fired] == ["morning"]
    restarted = BroadcastScheduler(demo_config, store, lambda key, entry: fired.append(entry))  # same store = same database
    restarted(morning + timedelta(minutes=2))
    assert [e.id for e in fired] == ["morning"]
    restarted(morning + timedelta(days=1))
    assert [e.id for e in fired] == ["morning", "morning"]


def test_entry_missed_by_more_than_the_grace_is_skipped(demo_config):
    late = datetime(2026, 11, 25, 23, 11, tzinfo=timezone.utc)  # 06:11 local
    assert due_entries(demo_config.broadcast.schedule, demo_config.site.tz, late, set(), timedelta(minutes=10)) == []


def test_who_started_a_job_is_said_by_name_and_the_systems_work_as_such():
    job = make_job()
    assert job.started_by() == "op"  # a job from before names were carried: its account
    job.operator_name = "Lê Văn Trực"
    assert job.started_by() == "Lê Văn Trực"
    job.operator = SYSTEM.username  # the programme's and repeating bulletins' broadcasts
    assert job.started_by() == "hệ thống (tự động)"
