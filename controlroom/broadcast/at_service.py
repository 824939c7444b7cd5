"""Loudspeaker broadcasts on a console attached to its site's service.

The service sends the play commands, serves the audio, follows the speakers' acks and expires
deliveries, so a broadcast goes on when the console that started it closes. Here the operator
composes as before (the audio is recorded, chosen or spoken here, and previewed); starting
uploads that audio with the request; retry and stop are requests too. The jobs shown are the
service's, as it publishes them on ``room/broadcast/job/<id>``.
"""

from __future__ import annotations

import base64
import json
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from controlroom.access.operators import Operator, authorize
from controlroom.broadcast.job_payload import JOB_TOPIC, job_from_payload
from controlroom.broadcast.jobs import BroadcastJob, Priority
from controlroom.broadcast.programme import ProgrammeStore
from controlroom.config import ScheduledBroadcastConfig
from controlroom.broadcast.service import BroadcastRefused, BroadcastService, BroadcastUpdate
from controlroom.domain import SpeakerAck
from controlroom.i18n import tr

log = logging.getLogger(__name__)

MAX_AUDIO_BYTES = 20_000_000  # about 7 minutes of the room's speech WAV; longer is a file for the speakers' own player
MAX_JOBS_SHOWN = 500  # the oldest are forgotten here (the database keeps every one)
PROGRAMME_CHANGED_TOPIC = "room/broadcast/programme/changed"


class BroadcastsAtService(BroadcastService):
    def __init__(self, config, feed, bus, live, audio, *, media_dir: Path, commands, engine=None) -> None:
        super().__init__(config, feed, bus, live, audio, media_dir=media_dir, engine=engine)
        self._commands = commands
        feed.subscribe_extra(JOB_TOPIC + "+", self._on_job)

    def start_job(self, *, title: str, audio_path: Path, duration_s: float, targets: list[str],
                  priority: Priority = Priority.ROUTINE, volume: int | None = None, repeat: int = 1,
                  operator: Operator, source_kind: str = "file", text: str = "", job_id: str | None = None) -> BroadcastJob:
        """Upload the audio and ask the service to broadcast it; waits for the answer (call from
        a worker). CommandFailed carries the service's refusal in the operator's words."""
        authorize(operator, "broadcast.emergency" if Priority(priority) is Priority.EMERGENCY else "broadcast.start")
        audio = Path(audio_path)
        if audio.stat().st_size > MAX_AUDIO_BYTES:
            raise BroadcastRefused(tr("The audio is too long to send to the service ({mb} MB at most).",
                                      mb=MAX_AUDIO_BYTES // 1_000_000))
        result = self._commands.send("broadcast.start", {
            "title": title, "audio": base64.b64encode(audio.read_bytes()).decode("ascii"), "suffix": audio.suffix.lower(),
            "duration_s": duration_s, "targets": list(targets), "priority": int(priority), "volume": volume,
            "repeat": repeat, "kind": source_kind, "text": text}).result()
        job = job_from_payload(result["job"])
        self._keep(job)
        return job

    def retry(self, job_id: str, operator: Operator, speaker_ids: list[str] | None = None) -> list[str]:
        job = self.job(job_id)
        if job is not None:
            authorize(operator, "broadcast.emergency" if job.priority is Priority.EMERGENCY else "broadcast.start")
        result = self._commands.send("broadcast.retry", {"job_id": job_id, "speakers": speaker_ids}).result()
        return list(result.get("speakers", []))

    def stop_job(self, job_id: str, operator: Operator) -> None:
        """Sent without waiting (the board's button is on the GUI thread); the outcome is on the bus."""
        authorize(operator, "broadcast.start")
        self._commands.send("broadcast.stop", {"job_id": job_id})

    def tick(self) -> None:
        """Deliveries expire, and the programme plays, at the service."""

    def _on_ack(self, ack: SpeakerAck) -> None:
        """Acks are the service's to apply; its job updates follow."""

    def _on_job(self, _topic: str, payload: bytes) -> None:
        if not payload:
            return  # an expired or cleared copy
        try:
            job = job_from_payload(json.loads(payload))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("broadcast job from the service not understood: %s", exc)
            return
        self._keep(job)

    def _keep(self, job: BroadcastJob) -> None:
        with self._lock:
            self._jobs[job.id] = job
            if len(self._jobs) > MAX_JOBS_SHOWN:
                oldest = min(self._jobs.values(), key=lambda j: j.created_at)
                del self._jobs[oldest.id]
        self._bus.publish(BroadcastUpdate(job.id))


class ProgrammeAtService(ProgrammeStore):
    """The daily programme plays from the service: an officer's change is a request (the
    service checks the role, stores, audits and plays the new programme); every console re-reads
    the programme when the service says it changed."""

    def __init__(self, config, engine, commands, feed) -> None:
        super().__init__(config, engine, None, None)
        self._commands = commands
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="programme-reader")  # changes come at an officer's pace
        feed.subscribe_extra(PROGRAMME_CHANGED_TOPIC, lambda _topic, _payload: self._reader.submit(self._reread))

    def save(self, entry: ScheduledBroadcastConfig, operator: Operator) -> Future:
        authorize(operator, "broadcast.programme")
        entry = ScheduledBroadcastConfig.model_validate(entry.model_dump())
        with self._lock:
            self._entries[entry.id] = entry  # shown at once; the service's notice confirms (or a refusal re-reads)
        return self._ask("programme.save", {"entry": entry.model_dump(mode="json")})

    def remove(self, entry_id: str, operator: Operator) -> Future:
        authorize(operator, "broadcast.programme")
        with self._lock:
            self._entries.pop(entry_id, None)
        return self._ask("programme.remove", {"id": entry_id})

    def close(self) -> None:
        self._reader.shutdown(wait=False, cancel_futures=True)

    def _ask(self, op: str, args: dict) -> Future:
        future = self._commands.send(op, args)
        future.add_done_callback(lambda f: f.exception() is not None and self._reader.submit(self._reread))
        return future

    def _reread(self) -> None:
        try:
            self.load(seeder=None)
        except Exception:  # the database is away: the next notice (or a restart) reads it
            log.exception("could not read the broadcast programme")
