"""Instant replay: the last seconds of a camera as JPEG frames in a size-bounded ring.

The reader thread `offer()`s every decoded frame; the buffer keeps at most `fps` frames per
second, downscaled to `max_width`, JPEG-encoded, and drops the oldest once `max_seconds` or
`max_bytes` is passed (so 41 cameras x 30 s stay in a known memory budget). `export_mp4()`
writes a clip at a constant frame rate (evidence players expect it): frame i shows the newest
buffered frame at or before start + i/fps, so the clip lasts exactly the requested seconds.
MP4 uses MPEG-4 Part 2 ('mp4v'): the FFmpeg inside opencv-python has no H.264 encoder.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from controlroom.i18n import tr

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplayClip:
    frames: list[tuple[float, bytes]]  # (monotonic ts, jpeg)
    start: float
    end: float
    fps: float


class ReplayError(Exception):
    """Nothing to export, or the file could not be written (message is safe to show)."""


class ReplayBuffer:
    def __init__(self, fps: float = 8.0, max_seconds: float = 60.0, max_mb: float = 24.0,
                 max_width: int = 640, jpeg_quality: int = 75) -> None:
        self.fps = fps
        self.max_seconds = max_seconds
        self.max_bytes = int(max_mb * 1024 * 1024)
        self.max_width = max_width
        self.jpeg_quality = jpeg_quality
        self._frames: deque[tuple[float, bytes]] = deque()
        self._bytes = 0
        self._lock = threading.Lock()
        self._next_due = 0.0
        self.dropped_for_size = 0

    def offer(self, frame: np.ndarray, now: float | None = None) -> bool:
        """Keep `frame` if one is due (reader thread). Returns True when it was stored."""
        now = time.monotonic() if now is None else now
        if now < self._next_due:
            return False
        # schedule on a fixed grid so jitter does not drift the rate below `fps`
        period = 1.0 / self.fps
        self._next_due = max(self._next_due + period, now - period / 2) if self._next_due else now + period
        h, w = frame.shape[:2]
        if w > self.max_width:
            frame = cv2.resize(frame, (self.max_width, max(2, round(h * self.max_width / w))), interpolation=cv2.INTER_LINEAR)
        ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:
            return False
        data = encoded.tobytes()
        with self._lock:
            self._frames.append((now, data))
            self._bytes += len(data)
            while self._frames and (now - self._frames[0][0] > self.max_seconds or self._bytes > self.max_bytes):
                if self._bytes > self.max_bytes and now - self._frames[0][0] <= self.max_seconds:
                    self.dropped_for_size += 1
                _, old = self._frames.popleft()
                self._bytes -= len(old)
        return True

    @property
    def bytes_used(self) -> int:
        return self._bytes

    def seconds_available(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            return 0.0 if not self._frames else now - self._frames[0][0]

    def clip(self, seconds: float, now: float | None = None) -> ReplayClip:
        """The last `seconds` (or what is buffered, if less)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            frames = [f for f in self._frames if f[0] >= now - seconds - 1.0 / self.fps]
        if not frames:
            raise ReplayError(tr("no replay is buffered for this camera yet"))
        start = max(now - seconds, frames[0][0])
        return ReplayClip(frames, start, now, self.fps)

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()
            self._bytes = 0


def export_mp4(clip: ReplayClip, path: str | Path) -> int:
    """Write `clip` as an MP4 at a constant `clip.fps`; returns the number of frames written.

    Runs on a worker thread (decode + encode). Raises ReplayError on failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = max(1, round((clip.end - clip.start) * clip.fps))
    first = cv2.imdecode(np.frombuffer(clip.frames[0][1], np.uint8), cv2.IMREAD_COLOR)
    if first is None:
        raise ReplayError(tr("the replay buffer holds an unreadable frame"))
    height, width = first.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), clip.fps, (width, height))
    if not writer.isOpened():
        raise ReplayError(tr("cannot write the video file {path}", path=str(path)))
    written = 0
    try:
        index, decoded_index, image = 0, 0, first
        for i in range(count):
            t = clip.start + i / clip.fps
            while index + 1 < len(clip.frames) and clip.frames[index + 1][0] <= t:
                index += 1
            if index != decoded_index:
                decoded = cv2.imdecode(np.frombuffer(clip.frames[index][1], np.uint8), cv2.IMREAD_COLOR)
                if decoded is not None:
                    image = decoded if decoded.shape[:2] == (height, width) else cv2.resize(decoded, (width, height))
                decoded_index = index
            writer.write(image)
            written += 1
    finally:
        writer.release()
    if not path.exists() or path.stat().st_size == 0:
        raise ReplayError(tr("cannot write the video file {path}", path=str(path)))
    return written


def export_mp4_async(clip: ReplayClip, path: str | Path) -> "Future[int]":
    """`export_mp4` on a short-lived named thread; the Future gets the frame count or the error."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(export_mp4(clip, path))
        except (ReplayError, OSError, cv2.error) as exc:
            log.warning("replay export to %s failed: %s", path, exc)
            future.set_exception(exc)

    threading.Thread(target=run, name="replay-export", daemon=True).start()
    return future
