"""Broadcast jobs and their per-speaker deliveries: the state rules, with no I/O.

A job is one broadcast (phát thanh) to a set of loudspeaker clusters. Each targeted speaker
has a delivery that moves pending -> started -> played, or ends rejected / failed / offline /
no answer / interrupted. The service (broadcast.py) feeds acks and clock ticks into it.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from controlroom.access.operators import actor_name
from controlroom.i18n import tr


class Priority(enum.IntEnum):
    """Broadcast classes of the commune radio practice, as sent in the command's priority."""

    ROUTINE = 1  # thường: the daily programme
    ANNOUNCEMENT = 2  # ưu tiên: inserted into the programme
    EMERGENCY = 3  # khẩn cấp: plays at once, pre-empts

    @property
    def label(self) -> str:
        return {1: tr("Routine"), 2: tr("Announcement"), 3: tr("Emergency")}[self.value]


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    STARTED = "started"
    PLAYED = "played"
    REJECTED = "rejected"
    FAILED = "failed"
    OFFLINE = "offline"
    NO_ANSWER = "no_answer"
    INTERRUPTED = "interrupted"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {
            "pending": tr("Sent, waiting"),
            "started": tr("Playing"),
            "played": tr("Played"),
            "rejected": tr("Rejected"),
            "failed": tr("Failed"),
            "offline": tr("Offline"),
            "no_answer": tr("No answer"),
            "interrupted": tr("Interrupted"),
            "cancelled": tr("Cancelled"),
        }[self.value]


ACTIVE = {DeliveryState.PENDING, DeliveryState.STARTED}
RETRYABLE = {DeliveryState.FAILED, DeliveryState.OFFLINE, DeliveryState.NO_ANSWER,
             DeliveryState.INTERRUPTED, DeliveryState.REJECTED}


@dataclass
class Delivery:
    speaker_id: str
    state: DeliveryState = DeliveryState.PENDING
    sent_at: datetime | None = None
    started_at: datetime | None = None
    updated_at: datetime | None = None
    detail: str = ""
    attempts: int = 0


@dataclass(frozen=True)
class Totals:
    total: int
    played: int
    playing: int
    waiting: int
    offline: int
    failed: int
    interrupted: int

    def summary(self) -> str:
        """Delivery board headline, e.g. "42/45 played, 2 offline, 1 failed": the counts that
        are not zero, so the line fits the job list and the eye goes to what needs doing."""
        failed = self.failed + self.interrupted
        counts = ((self.playing, tr("{n} playing", n=self.playing)), (self.waiting, tr("{n} waiting", n=self.waiting)),
                  (self.offline, tr("{n} offline", n=self.offline)), (failed, tr("{n} failed", n=failed)))
        return ", ".join([tr("{played}/{total} played", played=self.played, total=self.total),
                          *(words for count, words in counts if count)])


@dataclass
class BroadcastJob:
    title: str
    source_kind: str  # "file" | "tts" | "microphone"
    source_url: str
    duration_s: float
    priority: Priority
    volume: int
    repeat: int
    targets: list[str]
    operator: str
    created_at: datetime
    text: str = ""  # the spoken text of a TTS job, kept for the broadcast log
    operator_name: str = ""  # the name the room knows `operator` (the account) by
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    deliveries: dict[str, Delivery] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for speaker_id in self.targets:
            self.deliveries.setdefault(speaker_id, Delivery(speaker_id))

    def started_by(self) -> str:
        """Who started it, in words: the officer's name; the programme's and the repeating
        bulletins' broadcasts are the system's."""
        return actor_name(self.operator, self.operator_name)

    @property
    def play_time_s(self) -> float:
        return self.duration_s * max(1, self.repeat)

    @property
    def finished(self) -> bool:
        return all(d.state not in ACTIVE for d in self.deliveries.values())

    def totals(self) -> Totals:
        states = [d.state for d in self.deliveries.values()]
        return Totals(
            total=len(states),
            played=states.count(DeliveryState.PLAYED),
            playing=states.count(DeliveryState.STARTED),
            waiting=states.count(DeliveryState.PENDING),
            offline=states.count(DeliveryState.OFFLINE),
            failed=sum(states.count(s) for s in (DeliveryState.FAILED, DeliveryState.REJECTED, DeliveryState.NO_ANSWER)),
            interrupted=states.count(DeliveryState.INTERRUPTED),
        )

    def command(self) -> dict:
        """The MQTT play command of the contract (speaker/<id>/cmd)."""
        return {"job": self.id, "action": "play", "source": self.source_url, "priority": int(self.priority),
                "volume": self.volume, "repeat": self.repeat}

    def mark_sent(self, speaker_id: str, now: datetime) -> None:
        delivery = self.deliveries[speaker_id]
        delivery.state, delivery.sent_at, delivery.updated_at = DeliveryState.PENDING, now, now
        delivery.started_at, delivery.detail = None, ""
        delivery.attempts += 1

    def apply_ack(self, speaker_id: str, result: str, detail: str | None, now: datetime) -> bool:
        """Apply a speaker's ack; returns True when the delivery changed. Acks for ended
        deliveries (a late "failed: preempted" after we marked it interrupted) are ignored."""
        delivery = self.deliveries.get(speaker_id)
        if delivery is None or delivery.state not in ACTIVE:
            return False
        new_state = {
            "started": DeliveryState.STARTED,
            "finished": DeliveryState.PLAYED,
            "rejected": DeliveryState.REJECTED,
            "failed": DeliveryState.FAILED,
        }.get(result)
        if new_state is None or new_state == delivery.state:
            return False
        if new_state is DeliveryState.STARTED:
            delivery.started_at = now
        delivery.state, delivery.detail, delivery.updated_at = new_state, detail or "", now
        return True

    def expire(self, now: datetime, start_timeout_s: float, finish_margin_s: float, speaker_offline) -> bool:
        """End deliveries whose ack is overdue: no "started" within start_timeout_s (offline if
        the speaker is known offline, otherwise no answer), no "finished" within the play
        time plus a margin (no answer). Returns True if anything changed."""
        changed = False
        for delivery in self.deliveries.values():
            if delivery.state is DeliveryState.PENDING and delivery.sent_at is not None:
                if (now - delivery.sent_at).total_seconds() >= start_timeout_s:
                    delivery.state = DeliveryState.OFFLINE if speaker_offline(delivery.speaker_id) else DeliveryState.NO_ANSWER
                    delivery.updated_at, changed = now, True
            elif delivery.state is DeliveryState.STARTED and delivery.started_at is not None:
                if (now - delivery.started_at).total_seconds() >= self.play_time_s + finish_margin_s:
                    delivery.state, delivery.detail = DeliveryState.NO_ANSWER, tr("no end-of-play confirmation")
                    delivery.updated_at, changed = now, True
        return changed

    def interrupt(self, speaker_id: str, by_job: str, now: datetime) -> bool:
        delivery = self.deliveries.get(speaker_id)
        if delivery is None or delivery.state not in ACTIVE:
            return False
        delivery.state, delivery.updated_at = DeliveryState.INTERRUPTED, now
        delivery.detail = tr("pre-empted by emergency broadcast {job}", job=by_job)
        return True
