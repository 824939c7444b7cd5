"""The daily broadcast programme: fire each entry once at its local time.

Each firing is keyed by (entry id, local date) and remembered in a store that survives
restarts, so a restart at 06:01 neither replays the 06:00 bulletin nor loses it: an entry
whose time passed less than `grace` ago and has not been fired today still fires; one
missed by more than that is skipped (a morning bulletin at noon helps no one).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Callable, Protocol

from controlroom.broadcast.jobs import Priority
from controlroom.config import Config, ScheduledBroadcastConfig

log = logging.getLogger(__name__)


class FiredStore(Protocol):
    def fired_keys(self) -> set[str]: ...
    def mark_fired(self, key: str, fired_at: datetime) -> None: ...


class MemoryFiredStore:
    """For a console without a database and for tests of the clock logic."""

    def __init__(self) -> None:
        self._keys: set[str] = set()

    def fired_keys(self) -> set[str]:
        return set(self._keys)

    def mark_fired(self, key: str, fired_at: datetime) -> None:
        self._keys.add(key)


def firing_key(entry: ScheduledBroadcastConfig, local_day: datetime) -> str:
    return f"{entry.id}@{local_day:%Y-%m-%d}"


def due_entries(entries: list[ScheduledBroadcastConfig], tz, now_utc: datetime, fired: set[str],
                grace: timedelta) -> list[tuple[str, ScheduledBroadcastConfig]]:
    """Entries whose local time (zone `tz`) has come today, within `grace`, not fired yet."""
    local_now = now_utc.astimezone(tz)
    due = []
    for entry in entries:
        if local_now.weekday() not in entry.weekdays:
            continue
        hour, minute = (int(part) for part in entry.time.split(":"))
        at = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        key = firing_key(entry, local_now)
        if at <= local_now < at + grace and key not in fired:
            due.append((key, entry))
    return due


class BroadcastScheduler:
    """Runs on the broadcast service's timer thread (add_tick_hook); `fire(key, entry)` starts
    the job (its id carries the key, which is how a database store remembers it)."""

    def __init__(self, config: Config, store: FiredStore, fire: Callable[[str, ScheduledBroadcastConfig], None],
                 grace: timedelta = timedelta(minutes=10),
                 entries: Callable[[], list[ScheduledBroadcastConfig]] | None = None) -> None:
        self._config = config
        self._entries = entries or (lambda: config.broadcast.schedule)
        self._store = store
        self._fire = fire
        self._grace = grace
        self._lock = threading.Lock()
        self._fired = store.fired_keys()

    def __call__(self, now_utc: datetime) -> None:
        with self._lock:
            due = due_entries(self._entries(), self._config.site.tz, now_utc, self._fired, self._grace)
            for key, _ in due:
                self._fired.add(key)
                self._store.mark_fired(key, now_utc)  # remembered before playing: never twice
        for key, entry in due:
            log.info("scheduled broadcast %s fires", key)
            self._fire(key, entry)


def entry_priority(entry: ScheduledBroadcastConfig) -> Priority:
    return Priority.ANNOUNCEMENT if entry.priority == "announcement" else Priority.ROUTINE
