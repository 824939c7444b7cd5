"""Broadcasting as the core runs it: audio server, the service, persistence, the daily programme."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from controlroom.broadcast.audio_server import AudioServer
from controlroom.broadcast.at_service import BroadcastsAtService, ProgrammeAtService
from controlroom.broadcast.service import BroadcastService
from controlroom.broadcast.programme import ProgrammeStore
from controlroom.broadcast.schedule import BroadcastScheduler, entry_priority
from controlroom.broadcast.store import SCHEDULE_PREFIX, DatabaseFiredStore, make_persister
from controlroom.config import ScheduledBroadcastConfig
from controlroom.access.operators import SYSTEM
from controlroom.broadcast.tts import TtsUnavailable, wav_duration_s

log = logging.getLogger(__name__)


@dataclass
class Broadcasting:
    """``core.broadcast``: the service panels drive, and the programme the editor changes."""

    service: BroadcastService
    audio: AudioServer
    scheduler: BroadcastScheduler
    programme: ProgrammeStore

    def stop(self) -> None:
        self.service.stop()
        self.audio.stop()
        if isinstance(self.programme, ProgrammeAtService):
            self.programme.close()


def start_broadcasting(core, media_dir: Path | None = None, tick_s: float = 0.5) -> Broadcasting:
    """Start the audio server, the broadcast service and the programme on a core's parts."""
    settings = core.config.broadcast
    media_dir = media_dir or core.data_dir / "broadcast-media"
    audio = AudioServer(media_dir, settings.http_bind, settings.http_port, settings.public_host)
    audit = core.access.audit
    if core.commands is None:
        service = BroadcastService(core.config, core.feed, core.bus, core.live, audio, media_dir=media_dir,
                                   persist=make_persister(core.storage, core.site_id),
                                   audit=audit, engine=core.engine, clock=core.clock, tick_s=tick_s)
    else:  # attached: the service broadcasts; this console composes, asks and shows
        service = BroadcastsAtService(core.config, core.feed, core.bus, core.live, audio, media_dir=media_dir,
                                      commands=core.commands, engine=core.engine)
    if core.commands is None:
        programme = ProgrammeStore(core.config, core.engine, core.storage, audit)
        programme.load(seeder=SYSTEM)
    else:
        programme = ProgrammeAtService(core.config, core.engine, core.commands, core.feed)
        programme.load(seeder=None)

    def fire(key: str, entry: ScheduledBroadcastConfig) -> None:
        try:
            if entry.file is not None:
                path, duration = entry.file, wav_duration_s(entry.file) if entry.file.suffix.lower() == ".wav" else 0.0
                kind = "file"
            else:
                path, duration = service.prepare_tts(entry.text)
                kind = "tts"
        except (OSError, TtsUnavailable, ValueError) as exc:
            log.error("scheduled broadcast %s could not be prepared: %s", key, exc)
            return
        targets = service.speakers_in(service.zone_villages(entry.zone))
        service.start_job(title=entry.title, audio_path=path, duration_s=duration, targets=targets,
                          priority=entry_priority(entry), volume=entry.volume, operator=SYSTEM,
                          source_kind=kind, text=entry.text, job_id=SCHEDULE_PREFIX + key)

    scheduler = BroadcastScheduler(core.config, DatabaseFiredStore(core.engine, core.site_id), fire,
                                   entries=programme.entries)
    if core.commands is None:  # attached: the programme plays from the service
        service.add_tick_hook(scheduler)
    audio.start()
    service.start()
    return Broadcasting(service, audio, scheduler, programme)
