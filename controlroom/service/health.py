"""The service's health on MQTT, so every console (and the province) sees it.

Presence: ``<site>/room/service/status`` is "online" while the service's link is up; the broker
publishes "offline" for it (Last Will, retained) when the service dies, and the service says
"offline" itself when it stops cleanly. Health: ``<site>/room/service/health``, retained, every
HEALTH_INTERVAL_S: since when the service runs, how far behind ingest is, the database state
and a few counters. The last one says ``"state": "stopped"`` on a clean stop.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from controlroom.core import ControlRoomCore

log = logging.getLogger(__name__)

PRESENCE_TOPIC = "room/service/status"
HEALTH_TOPIC = "room/service/health"
HEALTH_INTERVAL_S = 5.0


class HealthPublisher:
    def __init__(self, core: "ControlRoomCore", interval_s: float = HEALTH_INTERVAL_S) -> None:
        self._core = core
        self._interval = interval_s
        self.since = datetime.now(timezone.utc)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        core.feed.announce_as(PRESENCE_TOPIC)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="service-health", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(10)
        self._thread = None
        info = self._core.feed.publish(HEALTH_TOPIC, self.report("stopped"), qos=1, retain=True)
        try:
            info.wait_for_publish(timeout=2.0)
        except (RuntimeError, ValueError) as exc:  # not connected: the Last Will says offline
            log.info("could not publish the stopped health: %s", exc)

    def report(self, state: str = "up") -> dict:
        writer = self._core.storage.stats
        feed = self._core.feed.stats
        return {
            "state": state,
            "since": self.since.isoformat(),
            "ts": datetime.now(timezone.utc).isoformat(),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "ingest_backlog": writer.queue_depth,
            "readings_per_s": round(writer.write_rate, 1),
            "readings_stored": writer.rows_written,
            "messages_received": feed.received,
            "database": "ok" if writer.database_connected is not False else "down",
            "database_error": writer.last_error if writer.database_connected is False else None,
            "alerts_open": len(self._core.alerts.snapshot().alerts),
            "sources": [source.as_json() for source in self._core.devices.stats()],
        }

    def _run(self) -> None:
        while True:
            sent = False
            try:
                if self._core.feed.connected:  # not queued in paho through an outage: it would flood the broker after
                    self._core.feed.publish(HEALTH_TOPIC, self.report(), qos=1, retain=True)
                    sent = True
            except Exception:  # a health report must never end the service
                log.exception("health report failed")
            # not connected yet: report as soon as the link is up (consoles wait for it to attach)
            if self._stop.wait(self._interval if sent else min(self._interval, 0.5)):
                return
