"""Flood warning bulletins (bản tin cảnh báo lũ): issue, repeat until superseded or cancelled.

A bulletin goes out as an EMERGENCY broadcast to the speakers of its zone's villages and is
repeated every ``interval_s`` (default hourly) until an officer supersedes it with a newer one
or cancels it; a repeat states the original issue time.

Restart safety: the bulletin row holds ``repeats_done`` and ``next_due_at``. A repeat is
*claimed* by a compare-and-set UPDATE (repeats_done n -> n+1) before its command is sent, so
two ticks, two consoles or a restarted app never send the same repeat twice; slots missed
while the app was down collapse into one catch-up repeat (not a burst, not nothing). If the
app died between the claim and the send, ``load`` finds the claimed repeat's job absent from
the broadcasts table and sends it then. Job ids are ``<bulletin>-r<n>`` (r0 = the issue).

Threads: ``issue``/``cancel`` run on a worker (they synthesise speech and wait for the
storage writer); ``tick`` runs on the broadcast timer thread (``service.add_tick_hook``).
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import Engine, select, update

from controlroom.broadcast.jobs import Priority
from controlroom.config import Config
from controlroom.flood.text import bulletin_text, repeat_text
from controlroom.access.operators import SYSTEM, Operator, authorize
from controlroom.i18n import tr
from controlroom.storage.models import audit_log, broadcasts, flood_bulletins, from_ms

log = logging.getLogger(__name__)

ACTIVE, SUPERSEDED, CANCELLED = "active", "superseded", "cancelled"


class NoWarningZone(ValueError):
    """The commune's configuration names no zone for flood bulletins ([flood] bulletin_zone)."""


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class BulletinDraft:
    """A bulletin ready to issue, pre-filled from the live station state (editable text)."""

    zone: str
    villages: list[str]
    speakers: list[str]
    sensor_id: str | None
    risk_level: int | None  # None: not known (FloodRiskMonitor.is_known; the text says so)
    text: str
    interval_s: float
    forecast: bool = False


@dataclass
class Bulletin:
    id: str
    issued_at: datetime
    issued_by: str
    sensor_id: str | None
    zone: str
    villages: list[str]
    risk_level: int
    text: str
    interval_s: float
    state: str = ACTIVE
    repeats_done: int = 0
    next_due_at: datetime | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    superseded_by: str | None = None
    job_ids: list[str] = field(default_factory=list)

    def job_id(self, n: int) -> str:
        return f"{self.id}-r{n}"


def next_slot(issued: datetime, interval_s: float, after: datetime) -> tuple[int, datetime]:
    """(slot number k >= 1, time) of the first repeat slot issued + k*interval strictly after `after`."""
    k = max(1, int((after - issued).total_seconds() // interval_s) + 1)
    return k, issued + timedelta(seconds=k * interval_s)


class BulletinService:
    def __init__(self, config: Config, engine: Engine, storage, broadcasting, monitor, audit=None,
                 clock=utc_now) -> None:
        self.config = config
        self._engine = engine
        self._storage = storage
        self._service = broadcasting  # controlroom.broadcast.service.BroadcastService
        self._monitor = monitor  # controlroom.flood.monitor.FloodRiskMonitor
        self._audit = audit
        self._clock = clock
        self._site = config.site.id
        self._lock = threading.RLock()
        self._bulletins: dict[str, Bulletin] = {}
        self._audio: dict[str, tuple[Path, float]] = {}
        self.listeners: list = []  # callables(bulletin_id) on any change, any thread

    # -- compose --------------------------------------------------------------------------
    def compose(self, zone: str | None = None, now: datetime | None = None) -> BulletinDraft:
        zone = zone or self.config.flood.bulletin_zone
        if zone is None:
            raise NoWarningZone(tr("No zone to warn is set: add bulletin_zone (a zone id) under [flood] in the "
                                   "commune's configuration."))
        villages = self._service.zone_villages(zone)
        names = {v.id: v.name for v in self.config.villages}
        state = self._monitor.governing_station(zone)
        sensor = self.config.sensor(state.sensor_id) if state else None
        risk = self._monitor.zone(zone)
        if not self._monitor.is_known(state, risk):
            risk = None  # no live reading has set a level, or level 0 from a reading gone old
        forecast = bool(risk and risk.basis == "forecast")
        old = state is not None and not self._monitor.is_live(state)  # quoted with its time, as history
        text = bulletin_text(self.config, station_name=state.name if state else "-",
                             height_m=state.height_m if state else None,
                             alarm_level=state.alarm_level if state else 0,
                             alarm=sensor.alarm_levels if sensor else None,
                             trend_cm_h=state.trend_cm_h if state else None, risk_level=risk.level if risk else None,
                             village_names=[names[v] for v in villages], issued=now or self._clock(),
                             forecast=forecast, old_reading_at=state.ts if old else None)
        return BulletinDraft(zone, villages, self._service.speakers_in(villages),
                             state.sensor_id if state else None, risk.level if risk else None, text,
                             self.config.flood.bulletin_repeat_min * 60.0, forecast)

    # -- life cycle -----------------------------------------------------------------------
    def issue(self, draft: BulletinDraft, operator: Operator, audio: tuple[Path, float] | None = None) -> Bulletin:
        """Issue a bulletin now: supersede the zone's active bulletins, broadcast, persist."""
        authorize(operator, "broadcast.emergency")
        now = self._clock()
        bulletin = Bulletin(id="flb-" + uuid.uuid4().hex[:10], issued_at=now, issued_by=operator.username,
                            sensor_id=draft.sensor_id, zone=draft.zone, villages=list(draft.villages),
                            risk_level=draft.risk_level or 0,  # the record's column: 0 = none set; the text says why
                            text=draft.text, interval_s=draft.interval_s,
                            next_due_at=now + timedelta(seconds=draft.interval_s))
        audio = audio or self._service.prepare_tts(draft.text)
        superseded = [b for b in self._active_refs() if b.zone == draft.zone]
        row = self._row(bulletin)

        def write(conn):
            conn.execute(flood_bulletins.insert().values(**row))
            for old in superseded:
                conn.execute(update(flood_bulletins).where(
                    (flood_bulletins.c.site_id == self._site) & (flood_bulletins.c.id == old.id)
                    & (flood_bulletins.c.state == ACTIVE)).values(
                    state=SUPERSEDED, ended_at=now, ended_by=operator.username, superseded_by=bulletin.id,
                    next_due_at=None))

        self._storage.execute(write).result(timeout=30)
        with self._lock:
            for old in superseded:
                old.state, old.ended_at, old.ended_by, old.superseded_by, old.next_due_at = (
                    SUPERSEDED, now, operator.username, bulletin.id, None)
            self._bulletins[bulletin.id] = bulletin
        for old in superseded:
            self._record(operator.username, "bulletin.superseded", old.id, {"by": bulletin.id})
            self._notify(old.id)
        self._send(bulletin, 0, audio, operator)
        self._record(operator.username, "bulletin.issued", bulletin.id, {
            "zone": bulletin.zone, "villages": bulletin.villages, "risk_level": bulletin.risk_level,
            "sensor": bulletin.sensor_id, "interval_s": bulletin.interval_s, "text": bulletin.text,
            "supersedes": [b.id for b in superseded]})
        return bulletin

    def cancel(self, bulletin_id: str, operator: Operator, reason: str = "") -> None:
        authorize(operator, "broadcast.emergency")
        now = self._clock()

        def write(conn):
            return conn.execute(update(flood_bulletins).where(
                (flood_bulletins.c.site_id == self._site) & (flood_bulletins.c.id == bulletin_id)
                & (flood_bulletins.c.state == ACTIVE)).values(
                state=CANCELLED, ended_at=now, ended_by=operator.username, next_due_at=None)).rowcount

        if self._storage.execute(write).result(timeout=30):
            with self._lock:
                bulletin = self._bulletins[bulletin_id]
                bulletin.state, bulletin.ended_at, bulletin.ended_by, bulletin.next_due_at = (
                    CANCELLED, now, operator.username, None)
            self._record(operator.username, "bulletin.cancelled", bulletin_id, {"reason": reason})
            self._notify(bulletin_id)

    def tick(self, now: datetime) -> None:
        """Send every repeat that is due (broadcast timer thread)."""
        for bulletin in self._active_refs():
            if bulletin.next_due_at is not None and bulletin.next_due_at <= now:
                self._repeat(bulletin, now)

    def _repeat(self, bulletin: Bulletin, now: datetime) -> None:
        n = bulletin.repeats_done
        _, due = next_slot(bulletin.issued_at, bulletin.interval_s, now)

        def claim(conn):
            return conn.execute(update(flood_bulletins).where(
                (flood_bulletins.c.site_id == self._site) & (flood_bulletins.c.id == bulletin.id)
                & (flood_bulletins.c.state == ACTIVE) & (flood_bulletins.c.repeats_done == n)).values(
                repeats_done=n + 1, next_due_at=due)).rowcount

        claimed = self._storage.execute(claim).result(timeout=30)
        with self._lock:
            if not claimed:  # another console took it, or it ended meanwhile: re-read
                self._reload_one(bulletin.id)
                return
            bulletin.repeats_done, bulletin.next_due_at = n + 1, due
        self._send(bulletin, n + 1, None, SYSTEM)

    def _send(self, bulletin: Bulletin, n: int, audio: tuple[Path, float] | None, operator: Operator) -> None:
        text = bulletin.text if n == 0 else repeat_text(self.config, bulletin.text, bulletin.issued_at)
        if audio is None:
            key = f"{bulletin.id}:{'issue' if n == 0 else 'repeat'}"  # every repeat says the same words
            audio = self._audio.get(key)
            if audio is None or not audio[0].exists():
                audio = self._service.prepare_tts(text)
                self._audio[key] = audio
        targets = self._service.speakers_in(bulletin.villages)
        job_id = bulletin.job_id(n)
        title = "Bản tin cảnh báo lũ" if n == 0 else f"Nhắc lại bản tin cảnh báo lũ (lần {n})"
        self._service.start_job(title=title, audio_path=audio[0], duration_s=audio[1], targets=targets,
                                priority=Priority.EMERGENCY, operator=operator, source_kind="tts",
                                text=text, job_id=job_id)
        with self._lock:
            bulletin.job_ids.append(job_id)
        if n > 0:
            self._record("system", "bulletin.repeat", bulletin.id, {"n": n, "job": job_id, "speakers": len(targets)})
        self._notify(bulletin.id)

    # -- persistence ----------------------------------------------------------------------
    def load(self) -> None:
        """Read bulletins from the database; resend a claimed repeat whose job never started."""
        for bulletin in self.load_rows():
            log.warning("bulletin %s: repeat %d was claimed but never sent; sending it now",
                        bulletin.id, bulletin.repeats_done)
            self._send(bulletin, bulletin.repeats_done, None, SYSTEM)

    def load_rows(self) -> list[Bulletin]:
        """Read bulletins from the database; returns the active ones whose claimed repeat never started."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(flood_bulletins).where(flood_bulletins.c.site_id == self._site)).all()
            jobs = {r.id for r in conn.execute(select(broadcasts.c.id).where(
                (broadcasts.c.site_id == self._site) & broadcasts.c.id.like("flb-%"))).all()}
        resend = []
        with self._lock:
            for row in rows:
                bulletin = self._from_row(row)
                bulletin.job_ids = [bulletin.job_id(n) for n in range(bulletin.repeats_done + 1)
                                    if bulletin.job_id(n) in jobs]
                self._bulletins[bulletin.id] = bulletin
                if bulletin.state == ACTIVE and bulletin.job_id(bulletin.repeats_done) not in jobs:
                    resend.append(bulletin)
        return resend

    def _reload_one(self, bulletin_id: str) -> None:
        with self._engine.connect() as conn:
            row = conn.execute(select(flood_bulletins).where(
                (flood_bulletins.c.site_id == self._site) & (flood_bulletins.c.id == bulletin_id))).one_or_none()
        if row is not None:
            fresh = self._from_row(row)
            fresh.job_ids = self._bulletins[bulletin_id].job_ids if bulletin_id in self._bulletins else []
            self._bulletins[bulletin_id] = fresh

    def _row(self, b: Bulletin) -> dict:
        return dict(site_id=self._site, id=b.id, issued_at=b.issued_at, issued_by=b.issued_by, sensor_id=b.sensor_id,
                    zone=b.zone, villages=b.villages, risk_level=b.risk_level, text=b.text, interval_s=b.interval_s,
                    state=b.state, repeats_done=b.repeats_done, next_due_at=b.next_due_at)

    @staticmethod
    def _from_row(row) -> Bulletin:
        def ts(v):
            return None if v is None else (v if isinstance(v, datetime) else from_ms(v))
        return Bulletin(id=row.id, issued_at=ts(row.issued_at), issued_by=row.issued_by, sensor_id=row.sensor_id,
                        zone=row.zone, villages=list(row.villages), risk_level=row.risk_level, text=row.text,
                        interval_s=row.interval_s, state=row.state, repeats_done=row.repeats_done,
                        next_due_at=ts(row.next_due_at), ended_at=ts(row.ended_at), ended_by=row.ended_by,
                        superseded_by=row.superseded_by)

    # -- views ----------------------------------------------------------------------------
    def _active_refs(self) -> list[Bulletin]:
        with self._lock:
            return [b for b in self._bulletins.values() if b.state == ACTIVE]

    def active(self) -> list[Bulletin]:
        with self._lock:
            return [replace(b, job_ids=list(b.job_ids)) for b in self._bulletins.values() if b.state == ACTIVE]

    def bulletins(self) -> list[Bulletin]:
        with self._lock:
            items = [replace(b, job_ids=list(b.job_ids)) for b in self._bulletins.values()]
        return sorted(items, key=lambda b: b.issued_at, reverse=True)

    def history(self, bulletin_id: str) -> list[tuple[datetime, str, str, dict]]:
        """The bulletin's life from the audit log: (time, actor, action, detail)."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(audit_log.c.ts, audit_log.c.actor, audit_log.c.action, audit_log.c.detail)
                                .where((audit_log.c.site_id == self._site) & (audit_log.c.target == bulletin_id))
                                .order_by(audit_log.c.seq)).all()
        return [(from_ms(r.ts) if not isinstance(r.ts, datetime) else r.ts, r.actor, r.action, r.detail or {})
                for r in rows]

    def delivery(self, job_id: str) -> tuple[int, int] | None:
        """(played or playing, total) of one of the bulletin's broadcasts, while this run knows it."""
        job = self._service.job(job_id)
        if job is None:
            return None
        totals = job.totals()
        return totals.played + totals.playing, totals.total

    # -- internals ------------------------------------------------------------------------
    def _record(self, actor: str, action: str, target: str, detail: dict) -> None:
        if self._audit is not None:
            self._audit.record(actor, action, target, detail)

    def _notify(self, bulletin_id: str) -> None:
        for listener in list(self.listeners):
            listener(bulletin_id)
