"""Operator snapshots: a PNG with the time and camera name burned in, saved and recorded.

`SnapshotService.take()` is called from the GUI thread with the latest full-resolution frame
and returns at once; the burn-in, PNG encoding and file write run on the service's own thread
(``snapshot-writer``), and the `snapshots` row is written through the storage writer's
``execute(fn)`` (the one database writer). Times on the picture are in the site's time zone;
the database stores UTC. Files go to ``<data dir>/snapshots/<camera id>/``.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from controlroom.i18n import tr
from controlroom.cameras.text_render import TextRenderer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    camera_id: str
    path: Path
    ts: datetime  # UTC
    operator: str


def burn_in(frame: np.ndarray, lines: list[str]) -> np.ndarray:
    """A copy of `frame` with `lines` drawn at the bottom-left, readable on any picture."""
    image = frame.copy()
    size = max(14, image.shape[0] // 30)
    renderer = TextRenderer.shared()
    y = image.shape[0] - size // 2
    for line in reversed(lines):
        label = renderer.render(line, size)
        y -= label.shape[0]
        TextRenderer.blit(image, label, size // 2, y)
        y -= 2
    return image


def snapshot_filename(camera_id: str, ts_local: datetime) -> str:
    return f"{camera_id}_{ts_local.strftime('%Y%m%d_%H%M%S_%f')[:-3]}.png"


class SnapshotService:
    """One named thread writes snapshots; `writer` is a StorageWriter (or None: file only)."""

    def __init__(self, folder: Path, site_id: str, tz: tzinfo, writer: Any | None = None, queue_size: int = 32) -> None:
        self.folder = Path(folder)
        self.site_id = site_id
        self.tz = tz
        self.writer = writer
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self._thread = threading.Thread(target=self._run, name="snapshot-writer", daemon=True)
        self._thread.start()

    def take(self, camera_id: str, camera_name: str, frame: np.ndarray, operator: str = "", ts: datetime | None = None) -> Future:
        """Queue a snapshot of `frame` (the caller must not modify it afterwards). The Future
        resolves to a `Snapshot` once the PNG is on disk and the row is queued for the database."""
        future: Future = Future()
        ts = ts or datetime.now(timezone.utc)
        ts = ts.replace(microsecond=ts.microsecond // 1000 * 1000)  # the database keeps milliseconds
        try:
            self._queue.put_nowait((camera_id, camera_name, frame, operator, ts, future))
        except queue.Full:
            future.set_exception(RuntimeError(tr("too many snapshots waiting; try again in a moment")))
        return future

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            camera_id, camera_name, frame, operator, ts, future = item
            try:
                future.set_result(self._save(camera_id, camera_name, frame, operator, ts))
            except (OSError, cv2.error, ValueError) as exc:
                log.warning("snapshot of %s failed: %s", camera_id, exc)
                future.set_exception(exc)

    def _save(self, camera_id: str, camera_name: str, frame: np.ndarray, operator: str, ts: datetime) -> Snapshot:
        local = ts.astimezone(self.tz)
        image = burn_in(frame, [f"{camera_name} ({camera_id})", local.strftime("%d/%m/%Y %H:%M:%S %Z")])
        folder = self.folder / camera_id
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / snapshot_filename(camera_id, local)
        ok, data = cv2.imencode(".png", image)
        if not ok:
            raise ValueError(tr("cannot encode the snapshot as PNG"))
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data.tobytes())
        tmp.replace(path)
        snapshot = Snapshot(camera_id, path, ts, operator)
        if self.writer is not None:
            self.writer.execute(self._insert_row(snapshot))
        log.info("snapshot of %s saved to %s", camera_id, path)
        return snapshot

    def _insert_row(self, snapshot: Snapshot):
        from controlroom.storage.models import snapshots  # storage is optional for file-only use

        site_id = self.site_id

        def insert(connection) -> None:
            connection.execute(snapshots.insert().values(
                site_id=site_id, camera_id=snapshot.camera_id, ts=snapshot.ts,
                path=str(snapshot.path), operator=snapshot.operator or "", note="",
            ))

        return insert

    def close(self, timeout_s: float = 5.0) -> None:
        """Finish queued snapshots, then end the thread."""
        self._queue.put(None)
        self._thread.join(timeout_s)
