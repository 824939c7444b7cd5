"""Loudspeaker broadcasting: send play commands, track every speaker's acks, pre-empt.

Commands go out with QoS 1 on <site>/speaker/<id>/cmd; acks arrive as SpeakerAck events on
the bus (MQTT thread) and are applied under a lock. A named timer thread expires overdue
deliveries and fires the daily programme. Every change is published on the bus as a
BroadcastUpdate (for the delivery board) and written through the storage writer.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from controlroom.broadcast.audio_server import AudioServer
from controlroom.broadcast.jobs import ACTIVE, RETRYABLE, BroadcastJob, Priority
from controlroom.bus import EventBus
from controlroom.config import Config
from controlroom.domain import SpeakerAck
from controlroom.i18n import tr
from controlroom.live_state import LiveState
from controlroom.access.operators import Operator, authorize
from controlroom.broadcast.tts import synthesize, wav_duration_s

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class BroadcastUpdate:
    """A job changed (sent, acked, expired, retried); the delivery board redraws it."""

    job_id: str


class BroadcastRefused(Exception):
    """An operator request that cannot be carried out; the message is for the operator."""


class BroadcastService:
    def __init__(self, config: Config, feed, bus: EventBus, live: LiveState, audio: AudioServer,
                 *, media_dir: Path, persist: Callable[[BroadcastJob], None] | None = None,
                 audit=None, engine=None, clock: Clock = utc_now, tick_s: float = 0.5) -> None:
        self.config = config
        self._feed = feed
        self._bus = bus
        self._live = live
        self._audio = audio
        self.media_dir = Path(media_dir)
        self._persist = persist or (lambda job: None)
        self._audit = audit  # controlroom.access.audit.AuditLog, or None in tests of the mechanics
        self.engine = engine  # read-only use: the broadcast log report
        self._audited_outcomes: set[str] = set()
        self._clock = clock
        self._tick_s = tick_s
        self._lock = threading.RLock()
        self._jobs: dict[str, BroadcastJob] = {}
        self._speaker_village = {s.id: s.village for s in config.speakers}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="broadcast-timer", daemon=True)
        self._tick_hooks: list[Callable[[datetime], None]] = []
        self._unsubscribe = bus.subscribe(SpeakerAck, self._on_ack)

    # -- targets -------------------------------------------------------------------------
    def speakers_in(self, villages: list[str]) -> list[str]:
        wanted = set(villages)
        return [s.id for s in self.config.speakers if s.village in wanted]

    def zone_villages(self, zone_id: str) -> list[str]:
        zone = next((z for z in self.config.zones if z.id == zone_id), None)
        if zone is None:
            raise KeyError(tr("unknown zone {id}", id=repr(zone_id)))
        return zone.villages

    # -- sources -------------------------------------------------------------------------
    def prepare_tts(self, text: str) -> tuple[Path, float]:
        """Speak `text` to a WAV in the media dir (call from a worker: it runs espeak-ng)."""
        path = self.media_dir / f"tts-{utc_now():%Y%m%dT%H%M%S%f}.wav"
        synthesize(text, path, voice=self.config.broadcast.tts_voice, sample_rate=self.config.broadcast.sample_rate)
        return path, wav_duration_s(path)

    # -- jobs ----------------------------------------------------------------------------
    def start_job(self, *, title: str, audio_path: Path, duration_s: float, targets: list[str],
                  priority: Priority = Priority.ROUTINE, volume: int | None = None, repeat: int = 1,
                  operator: Operator, source_kind: str = "file", text: str = "", job_id: str | None = None) -> BroadcastJob:
        """Publish the audio, then command every target speaker. Emergency jobs interrupt the
        lower-priority deliveries still active on the same speakers. The operator's role must
        allow the broadcast class (PermissionDenied otherwise)."""
        authorize(operator, "broadcast.emergency" if Priority(priority) is Priority.EMERGENCY else "broadcast.start")
        unknown = [t for t in targets if t not in self._speaker_village]
        if not targets or unknown:
            raise BroadcastRefused(tr("Choose at least one known speaker (unknown: {ids}).", ids=", ".join(unknown) or "-"))
        url = self._audio.publish(audio_path)
        now = self._clock()
        job = BroadcastJob(title=title, source_kind=source_kind, source_url=url, duration_s=duration_s,
                           priority=Priority(priority), volume=self.config.broadcast.default_volume if volume is None else volume,
                           repeat=repeat, targets=list(dict.fromkeys(targets)), operator=operator.username,
                           operator_name=operator.display_name, created_at=now, text=text, **({"id": job_id} if job_id else {}))
        with self._lock:
            if job.priority is Priority.EMERGENCY:
                self._preempt(job, now)
            self._jobs[job.id] = job
            for speaker_id in job.targets:
                job.mark_sent(speaker_id, now)
        for speaker_id in job.targets:
            self._feed.publish(f"speaker/{speaker_id}/cmd", job.command(), qos=1)
        self._changed(job)
        self._record(operator.username, "broadcast.start", job, {
            "title": job.title, "kind": job.source_kind, "text": job.text, "priority": job.priority.name.lower(),
            "targets": job.targets, "duration_s": job.duration_s, "volume": job.volume, "repeat": job.repeat})
        log.info("broadcast %s (%s) to %d speakers by %s", job.id, job.priority.name, len(job.targets), operator.username)
        return job

    def retry(self, job_id: str, operator: Operator, speaker_ids: list[str] | None = None) -> list[str]:
        """Send the job again to speakers that did not play it (one-click retry)."""
        job = self._jobs[job_id]
        authorize(operator, "broadcast.emergency" if job.priority is Priority.EMERGENCY else "broadcast.start")
        now = self._clock()
        with self._lock:
            job = self._jobs[job_id]
            chosen = [d.speaker_id for d in job.deliveries.values()
                      if d.state in RETRYABLE and (speaker_ids is None or d.speaker_id in speaker_ids)]
            for speaker_id in chosen:
                job.mark_sent(speaker_id, now)
        for speaker_id in chosen:
            self._feed.publish(f"speaker/{speaker_id}/cmd", job.command(), qos=1)
        if chosen:
            self._changed(job)
            self._audited_outcomes.discard(job.id)
            self._record(operator.username, "broadcast.retry", job, {"speakers": chosen})
        return chosen

    def stop_job(self, job_id: str, operator: Operator) -> None:
        authorize(operator, "broadcast.start")
        self._record(operator.username, "broadcast.stop", self._jobs[job_id], {})
        with self._lock:
            job = self._jobs[job_id]
            active = [d.speaker_id for d in job.deliveries.values() if d.state in ACTIVE]
        for speaker_id in active:
            self._feed.publish(f"speaker/{speaker_id}/cmd", {"job": job.id, "action": "stop"}, qos=1)

    def job(self, job_id: str) -> BroadcastJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self) -> list[BroadcastJob]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created_at, reverse=True)

    def speaker_statuses(self):
        """Latest status per speaker id (from retained status messages)."""
        return self._live.speakers()

    def speaker_offline(self, speaker_id: str) -> bool:
        status = self._live.speakers().get(speaker_id)
        return status is None or status.state == "offline"

    # -- internals -----------------------------------------------------------------------
    def _preempt(self, emergency: BroadcastJob, now: datetime) -> None:
        targets = set(emergency.targets)
        for job in self._jobs.values():
            if job.priority >= emergency.priority:
                continue
            interrupted = [s for s in targets & set(job.deliveries) if job.interrupt(s, emergency.id, now)]
            if interrupted:
                self._changed(job)

    def _on_ack(self, ack: SpeakerAck) -> None:
        with self._lock:
            job = self._jobs.get(ack.job)
            changed = job is not None and job.apply_ack(ack.speaker_id, ack.result, ack.detail, self._clock())
        if changed:
            self._changed(job)

    def _changed(self, job: BroadcastJob) -> None:
        self._persist(job)
        if job.finished and job.id not in self._audited_outcomes:
            self._audited_outcomes.add(job.id)
            totals = job.totals()
            self._record("system", "broadcast.outcome", job, {
                "played": totals.played, "total": totals.total, "offline": totals.offline,
                "failed": totals.failed, "interrupted": totals.interrupted, "title": job.title})
        self._bus.publish(BroadcastUpdate(job.id))

    def _record(self, actor: str, action: str, job: BroadcastJob, detail: dict) -> None:
        if self._audit is not None:
            self._audit.record(actor, action, job.id, detail)

    def add_tick_hook(self, hook: Callable[[datetime], None]) -> None:
        """Run `hook(now)` on the timer thread each tick (the daily programme uses it)."""
        self._tick_hooks.append(hook)

    def tick(self) -> None:
        now = self._clock()
        settings = self.config.broadcast
        with self._lock:
            expired = [job for job in self._jobs.values()
                       if not job.finished and job.expire(now, settings.start_timeout_s, settings.finish_margin_s, self.speaker_offline)]
        for job in expired:
            self._changed(job)
        for hook in self._tick_hooks:
            hook(now)

    def _run(self) -> None:
        while not self._stop.wait(self._tick_s):
            try:
                self.tick()
            except Exception:  # the timer must outlive one bad tick; the cause is logged
                log.exception("broadcast timer tick failed")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._unsubscribe()
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
