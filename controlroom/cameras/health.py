"""Per-stream health: state, measured fps, frame age, resolution, bitrate, reconnects.

The reader thread records events (`connecting`, `opened`, `frame`, `failed`); anyone may take a
`snapshot()` at any time from any thread. The state is derived from those events AND the age
of the last frame, so a stream whose read is still blocked shows "stalled" and then "offline"
on time instead of looking live until FFmpeg's read timeout fires:

- connecting: opening (first attempt or after a failure, before it was ever live)
- live: frames arrive (last one younger than `stall_after_s`)
- stalled: connected but no frame for `stall_after_s`
- offline: the open or a read failed, or no frame for `offline_after_s`
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum


class StreamState(str, Enum):
    CONNECTING = "connecting"
    LIVE = "live"
    STALLED = "stalled"
    OFFLINE = "offline"


@dataclass(frozen=True)
class StreamHealth:
    state: StreamState
    fps: float  # measured over the last ~2 s
    frame_age_s: float | None  # None before the first frame
    width: int | None
    height: int | None
    bitrate_kbps: float | None  # when the backend knows it
    reconnects: int
    frames: int  # total frames received
    down_since: datetime | None  # UTC, when it went stalled/offline; None while live
    last_error: str  # redacted, safe to show
    codec: str | None = None  # when the backend reads packets (pyav): "h264", "hevc"...
    decode_lag_s: float | None = None  # how far decoding is behind the camera (pyav)


FPS_WINDOW_S = 2.0


class HealthTracker:
    """Thread-safe health record of one stream. Monotonic time for ages, UTC for display."""

    def __init__(self, stall_after_s: float = 2.0, offline_after_s: float = 4.5) -> None:
        self.stall_after_s = stall_after_s
        self.offline_after_s = offline_after_s
        self._lock = threading.Lock()
        self._connected = False
        self._failed = False
        self._ever_live = False
        self._frame_times: deque[float] = deque(maxlen=512)
        self._interval: float = 0.0  # smoothed time between frames: a 1 fps camera stalls after 3 s, not 2
        self._last_frame: float | None = None
        self._last_frame_utc: datetime | None = None
        self._failed_utc: datetime | None = None
        self._width: int | None = None
        self._height: int | None = None
        self._bitrate: float | None = None
        self.reconnects = 0  # sessions lost and later re-established with frames (not failed opens)
        self.frames = 0
        self._error = ""
        self._session_frames = 0
        self._codec: str | None = None
        self._decode_lag: float | None = None

    def connecting(self) -> None:
        with self._lock:
            self._connected = False

    def opened(self, width: int | None, height: int | None, bitrate_kbps: float | None) -> None:
        with self._lock:
            self._session_frames = 0
            self._connected, self._failed = True, False
            self._width, self._height, self._bitrate = width or None, height or None, bitrate_kbps

    def frame(self, width: int, height: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._last_frame is not None:
                gap = now - self._last_frame
                if gap < self.offline_after_s:  # a reconnect gap is not a frame interval
                    self._interval = gap if not self._interval else 0.9 * self._interval + 0.1 * gap
            if self._session_frames == 0 and self._ever_live:
                self.reconnects += 1  # a lost session is back, with pictures
            self._session_frames += 1
            self._frame_times.append(now)
            self._last_frame = now
            self._last_frame_utc = None  # computed lazily: a datetime per frame is waste
            self._width, self._height = width, height
            self._ever_live = True
            self._failed = False
            self._failed_utc = None
            self.frames += 1

    def stream(self, codec: str | None, decode_lag_s: float | None) -> None:
        """What a packet reader knows beside the picture (cheap: called per frame)."""
        self._codec, self._decode_lag = codec, decode_lag_s

    def failed(self, error: str) -> None:
        """The open or a read failed (`error` must already be redacted)."""
        with self._lock:
            if not self._failed:
                self._failed_utc = self._utc_of(self._last_frame) if self._last_frame and self._connected else datetime.now(timezone.utc)
            self._connected = False
            self._failed = True
            self._error = error

    def stall_after_s_now(self) -> float:
        """A frame older than max(stall_after_s, 3 frame intervals) means stalled."""
        return max(self.stall_after_s, 3.0 * self._interval)

    @staticmethod
    def _utc_of(monotonic_ts: float) -> datetime:
        return datetime.now(timezone.utc) - timedelta(seconds=time.monotonic() - monotonic_ts)

    def snapshot(self, now: float | None = None) -> StreamHealth:
        now = time.monotonic() if now is None else now
        with self._lock:
            age = None if self._last_frame is None else max(0.0, now - self._last_frame)
            while self._frame_times and now - self._frame_times[0] > FPS_WINDOW_S:
                self._frame_times.popleft()
            fps = len(self._frame_times) / FPS_WINDOW_S if self._frame_times else 0.0
            down_since = None
            if self._failed:
                state = StreamState.OFFLINE if (self._ever_live or self._failed_utc) else StreamState.CONNECTING
                down_since = self._failed_utc
            elif not self._connected and not self._ever_live:
                state = StreamState.CONNECTING
            elif age is None:
                state = StreamState.CONNECTING
            elif age >= max(self.offline_after_s, self.stall_after_s_now() + 1.0):
                state = StreamState.OFFLINE
            elif age >= self.stall_after_s_now() or self._session_frames == 0:
                state = StreamState.STALLED  # a reopened session is not live on the old session's last picture
            else:
                state = StreamState.LIVE
            if state in (StreamState.STALLED, StreamState.OFFLINE) and down_since is None and self._last_frame is not None:
                down_since = self._utc_of(self._last_frame)
            if state is StreamState.LIVE:
                self._error = ""
            return StreamHealth(state, fps, age, self._width, self._height, self._bitrate,
                                self.reconnects, self.frames, down_since, self._error, self._codec, self._decode_lag)


class CameraStatusPublisher:
    """Turns stream health into DeviceStatus events (device id = camera id) on the bus, once
    per change between online (live/stalled) and offline, so the map, the storage history and
    the camera-offline alert rule see cameras like any other device."""

    def __init__(self, bus) -> None:
        self._bus = bus
        self._online: dict[str, bool] = {}

    def update(self, camera_id: str, state: StreamState) -> None:
        if state is StreamState.CONNECTING:
            return
        online = state is not StreamState.OFFLINE
        if self._online.get(camera_id) is online:
            return
        self._online[camera_id] = online
        from controlroom.domain import DeviceStatus

        self._bus.publish(DeviceStatus(camera_id, online, datetime.now(timezone.utc)))
