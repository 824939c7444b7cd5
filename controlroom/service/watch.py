"""What a console knows of its site's service: its presence and its last health report, read
from the retained topics the service publishes (see health.py). Updated on the network
thread, read by the status bar; a malformed report is logged and the last good one kept."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from controlroom.service.health import HEALTH_INTERVAL_S, HEALTH_TOPIC, PRESENCE_TOPIC

log = logging.getLogger(__name__)

SILENT_AFTER = timedelta(seconds=max(60.0, 6 * HEALTH_INTERVAL_S))  # generous: PC clocks drift apart


@dataclass(frozen=True)
class ServiceStatus:
    """`presence` is "unknown" (no service ever announced itself), "online" or "offline"."""

    presence: str = "unknown"
    seen_at: datetime | None = None  # when this console learned the presence
    health: dict = field(default_factory=dict)  # the last good report

    def since(self) -> datetime | None:
        """Since when the service runs (online), or when it was last heard of (offline)."""
        return _time(self.health.get("since" if self.presence == "online" else "ts")) or self.seen_at

    def last_heard(self) -> datetime | None:
        """When the service last reported its health (else when its presence was seen)."""
        return _time(self.health.get("ts")) or self.seen_at

    def silent(self, now: datetime) -> bool:
        """Online, yet no health report for a while: hung, or its link is half-open."""
        last = _time(self.health.get("ts"))
        return self.presence == "online" and (last is None or now - last > SILENT_AFTER)


class ServiceWatch:
    def __init__(self, feed) -> None:
        """Subscribes at once; call before the feed starts."""
        self._lock = threading.Lock()
        self._status = ServiceStatus()
        self.rejected = 0  # reports not understood (logged, and ignored)
        feed.subscribe_extra(PRESENCE_TOPIC, self._on_presence)
        feed.subscribe_extra(HEALTH_TOPIC, self._on_health)

    @property
    def status(self) -> ServiceStatus:
        with self._lock:
            return self._status

    def _on_presence(self, _topic: str, payload: bytes) -> None:
        presence = payload.decode("utf-8", "replace").strip()
        if presence not in ("online", "offline"):
            self.rejected += 1
            log.warning("service presence %r not understood; ignored", presence[:40])
            return
        with self._lock:
            self._status = ServiceStatus(presence, datetime.now(timezone.utc), self._status.health)

    def _on_health(self, _topic: str, payload: bytes) -> None:
        try:
            report = json.loads(payload)
            if not isinstance(report, dict) or not isinstance(report.get("state"), str):
                raise ValueError("not a health report")
        except ValueError as exc:
            self.rejected += 1
            log.warning("service health report not understood (%s); the last good one is kept", exc)
            return
        with self._lock:
            self._status = ServiceStatus(self._status.presence, self._status.seen_at, report)


def _time(value) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
