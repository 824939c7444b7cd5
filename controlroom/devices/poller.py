"""Provincial endpoints polled by the service: a URL answering JSON or CSV, fetched every
``poll_s``, each record mapped by the source's profile like a device's message.

An endpoint answers the same records again and again: only readings newer than the newest
already taken per sensor and metric go on (the table is bounded by the config's sensors). A
failed fetch (no answer within ``timeout_s``, an HTTP error, a body that is not JSON or CSV) is
counted under ``fetch_failed`` with its reason, and the next try waits twice as long, up to
MAX_BACKOFF_S; the first good answer goes back to ``poll_s``.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
import urllib.error
import urllib.request
from datetime import datetime, timezone
from typing import Callable

from controlroom.devices.mapper import MAX_PAYLOAD_BYTES, SourceMapper
from controlroom.domain import Reading

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 3600.0
MAX_ANSWER_BYTES = 16 * MAX_PAYLOAD_BYTES


class EndpointPoller:
    def __init__(self, mapper: SourceMapper, publish: Callable[[list], None]) -> None:
        self.mapper = mapper
        self.source = mapper.source
        self.publish = publish
        self.next_wait_s = self.source.poll_s
        self._newest: dict[tuple[str, str], datetime] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"poll-{self.source.id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.source.timeout_s + 5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:  # a bug in a mapping must not end the poller
                log.exception("polling %s", self.source.url)
            self._stop.wait(self.next_wait_s)

    def poll_once(self) -> int:
        """Fetch, map and hand on the new readings; returns how many went on."""
        now = datetime.now(timezone.utc)
        try:
            records = self._fetch()
        except (OSError, ValueError, urllib.error.URLError) as exc:
            self.next_wait_s = min(max(self.next_wait_s * 2, self.source.poll_s), MAX_BACKOFF_S)
            self.mapper.reject_message("fetch_failed", self.source.url, f"{type(exc).__name__}: {str(exc)[:120]}")
            log.warning("%s: %s (next try in %.0f s)", self.source.url, exc, self.next_wait_s)
            return 0
        self.next_wait_s = self.source.poll_s
        events: list = []
        repeated = 0
        for record in records:
            for event in self.mapper.map(["url"], record, now, topic_text=self.source.url):
                if type(event) is Reading:
                    key = (event.sensor_id, event.metric)
                    newest = self._newest.get(key)
                    if newest is not None and event.ts <= newest:
                        repeated += 1  # taken at an earlier poll
                        continue
                    self._newest[key] = event.ts
                events.append(event)
        if repeated:
            self.mapper.note_repeated(repeated)
        if events:
            self.publish(events)
        return sum(1 for event in events if type(event) is Reading)

    def _fetch(self) -> list:
        request = urllib.request.Request(self.source.url, headers={"Accept": "application/json, text/csv"})
        with urllib.request.urlopen(request, timeout=self.source.timeout_s) as response:
            body = response.read(MAX_ANSWER_BYTES + 1)
        if len(body) > MAX_ANSWER_BYTES:
            raise ValueError(f"answer over {MAX_ANSWER_BYTES} bytes")
        text = body.decode("utf-8-sig")
        if self.source.format == "csv":
            return list(csv.DictReader(io.StringIO(text)))
        return self.mapper.records(json.loads(text))
