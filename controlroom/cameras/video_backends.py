"""Where frames come from: OpenCV/FFmpeg (default), PyAV packets (``pyav``: arrival-stamped,
kept for replay and evidence, see packet_source.py), python-vlc (optional), synthetic (demo).

Each backend opens one stream and hands back a `FrameSource` whose `read()` blocks for the
next BGR frame (numpy HxWx3 uint8) and returns None when the stream failed; the pyav source
hands back an av.VideoFrame (the reader scales and converts it in one pass) or PACKET_ONLY
for a packet it did not decode. Sources are used by exactly one reader thread each
(controlroom.cameras.video_reader).

OpenCV's environment (thread-safe FFmpeg opens, RTSP options, quiet logs) is set by the
package, ``controlroom.cameras``, before any module of it imports cv2.
"""

from __future__ import annotations

import logging
import os
import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Literal, Protocol
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import cv2
import numpy as np

from controlroom.i18n import tr
from controlroom.cameras.stream_urls import SYNTHETIC_SCHEME, redact_url
from controlroom.cameras.text_render import TextRenderer

log = logging.getLogger(__name__)

# One thread per stream is all the parallelism the wall needs: OpenCV's own worker pool on top
# (cv2.resize, cvtColor, imencode split over all cores) oversubscribed the 2 cores here — the
# reader's per-frame resize cost 0.94 % of a core per 15 fps stream with the pool, 0.47 % without.
cv2.setNumThreads(int(os.environ.get("CONTROLROOM_OPENCV_THREADS", "1")))

Backend = Literal["opencv", "vlc", "pyav"]
DEFAULT_OPEN_TIMEOUT_S = 3.0  # OpenCV's default is 30 s
DEFAULT_READ_TIMEOUT_S = 3.0  # OpenCV's default is 30 s (90 s in older builds)


# What a packet source's read() returns for a packet it did not decode because nobody looks at
# the camera: the stream is alive (health counts it), there is just no picture to show.
PACKET_ONLY = object()


class SourceError(Exception):
    """A stream that could not be opened; the message is safe to show (URL redacted)."""


class BackendUnavailable(SourceError):
    """The selected backend is not installed on this machine."""


@dataclass(frozen=True)
class SourceInfo:
    width: int
    height: int
    fps: float | None
    bitrate_kbps: float | None


class FrameSource(Protocol):
    info: SourceInfo

    def read(self) -> np.ndarray | None: ...
    def close(self) -> None: ...


class OpenCvSource:
    """cv2.VideoCapture over FFmpeg with explicit open/read timeouts, one decode thread."""

    def __init__(self, url: str, open_timeout_s: float, read_timeout_s: float) -> None:
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(open_timeout_s * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(read_timeout_s * 1000),
            cv2.CAP_PROP_N_THREADS, 1,  # one thread per stream already; FFmpeg's extra threads only add overhead
        ]
        self._cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
        if not self._cap.isOpened():
            self._cap.release()
            raise SourceError(tr("cannot open the stream {url}", url=redact_url(url)))
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        bitrate = self._cap.get(cv2.CAP_PROP_BITRATE)
        self.info = SourceInfo(
            int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            fps if 0 < fps < 1000 else None,
            bitrate if bitrate > 0 else None,
        )

    def read(self) -> np.ndarray | None:
        ok, frame = self._cap.read()
        return frame if ok else None

    def close(self) -> None:
        self._cap.release()


class SyntheticSource:
    """A camera made of numbers: moving bars and a ball, a clock, the camera name.

    URL: ``synthetic://<camera id>?w=640&h=360&fps=15&name=<url-quoted name>``. Frames are paced
    in real time like a live camera. The name is rendered once (with Vietnamese diacritics);
    each frame costs a roll of a precomputed background plus a few small draws. While nobody
    looks (`wants_pictures()` false) it keeps its pace and draws nothing, like a packet camera
    that only demuxes: the demo's 25 cameras off the wall cost a wake-up per frame, not a picture."""

    def __init__(self, url: str, wants_pictures: Callable[[], bool] | None = None) -> None:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            width, height = int(query.get("w", 640)), int(query.get("h", 360))
            self._fps = float(query.get("fps", 15))
        except ValueError:
            raise SourceError(tr("bad synthetic source {url}", url=redact_url(url))) from None
        if not (16 <= width <= 7680 and 16 <= height <= 4320 and 0 < self._fps <= 120):
            raise SourceError(tr("bad synthetic source {url}", url=redact_url(url)))
        self._camera_id = parts.netloc or "cam"
        try:
            self._tz = ZoneInfo(query["tz"]) if "tz" in query else None
        except (ZoneInfoNotFoundError, ValueError):
            self._tz = None
        name = unquote(query.get("name", self._camera_id))
        self.info = SourceInfo(width, height, self._fps, None)
        seed = sum(map(ord, self._camera_id))
        x = np.linspace(0, 2 * math.pi * (2 + seed % 3), width * 2, dtype=np.float32)
        hue = ((np.sin(x) * 0.5 + 0.5) * 120 + seed * 37) % 180
        strip = np.stack([hue, np.full_like(hue, 150), np.full_like(hue, 110)], axis=-1).astype(np.uint8)
        self._background = cv2.cvtColor(np.repeat(strip[None, :, :], height, axis=0), cv2.COLOR_HSV2BGR)
        self._label = TextRenderer.shared().render(f"{name}  [{self._camera_id}]", max(12, height // 18))
        self._scale = height / 360.0
        self._start = time.monotonic()
        self._next = self._start
        self._closed = threading.Event()
        self._wants_pictures = wants_pictures
        self.last_arrival: float | None = None

    def read(self):
        """The next frame (BGR), PACKET_ONLY while nobody looks, None once closed."""
        if self._closed.is_set():
            return None
        self._next += 1.0 / self._fps
        delay = self._next - time.monotonic()
        if delay > 0:
            self._closed.wait(delay)
        else:
            self._next = time.monotonic()  # fell behind: do not burst to catch up
        self.last_arrival = time.monotonic()
        if self._wants_pictures is not None and not self._wants_pictures():
            return PACKET_ONLY
        t = self.last_arrival - self._start
        w, h = self.info.width, self.info.height
        shift = int(t * 40 * self._scale) % w
        frame = np.ascontiguousarray(self._background[:, shift:shift + w])
        cx = int((0.5 + 0.4 * math.sin(t * 1.3)) * w)
        cy = int((0.5 + 0.35 * math.sin(t * 2.1)) * h)
        cv2.circle(frame, (cx, cy), int(18 * self._scale), (255, 255, 255), -1, cv2.LINE_AA)
        clock = datetime.now(self._tz).strftime("%Y-%m-%d %H:%M:%S")
        font_scale, thickness = 0.8 * self._scale, max(1, int(2 * self._scale))
        (tw, th), base = cv2.getTextSize(clock, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thickness)
        x0, y0 = int(10 * self._scale), int(10 * self._scale)
        cv2.rectangle(frame, (x0 - 4, y0 - 4), (x0 + tw + 4, y0 + th + base + 4), (20, 20, 20), -1)
        cv2.putText(frame, clock, (x0, y0 + th), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (255, 255, 255), thickness, cv2.LINE_AA)
        TextRenderer.blit(frame, self._label, x0 - 4, y0 + th + base + int(10 * self._scale))
        return frame

    def close(self) -> None:
        self._closed.set()


class VlcSource:
    """python-vlc (libVLC 3) decoding into a numpy buffer through video callbacks (RV32).

    For local files and HTTP streams, and for RTSP on platforms whose VLC has live555 (Debian's
    VLC 3.0 has not). The latest decoded frame is kept; `read()` waits for a newer one."""

    def __init__(self, url: str, open_timeout_s: float, read_timeout_s: float, width: int = 640, height: int = 360) -> None:
        vlc = load_vlc()
        self._read_timeout_s = read_timeout_s
        self._buffer = np.zeros((height, width, 4), np.uint8)
        self._cond = threading.Condition()
        self._seq = 0
        self._taken = 0
        self._ended = False
        self._instance = vlc.Instance("--no-audio", "--quiet", "--network-caching=300")
        self._player = self._instance.media_player_new()
        self._player.set_media(self._instance.media_new(url))
        self._lock_cb = vlc.CallbackDecorators.VideoLockCb(self._on_lock)
        self._unlock_cb = vlc.CallbackDecorators.VideoUnlockCb(self._on_unlock)
        self._display_cb = vlc.CallbackDecorators.VideoDisplayCb(self._on_display)
        self._player.video_set_callbacks(self._lock_cb, self._unlock_cb, self._display_cb, None)
        self._player.video_set_format("RV32", width, height, width * 4)
        events = self._player.event_manager()
        for event in (vlc.EventType.MediaPlayerEncounteredError, vlc.EventType.MediaPlayerEndReached):
            events.event_attach(event, self._on_end)
        self._player.play()
        self.info = SourceInfo(width, height, None, None)
        with self._cond:
            if not self._cond.wait_for(lambda: self._seq > 0 or self._ended, timeout=open_timeout_s) or self._ended:
                self.close()
                raise SourceError(tr("cannot open the stream {url}", url=redact_url(url)))

    def _on_lock(self, _opaque, planes):
        planes[0] = self._buffer.ctypes.data
        return None

    def _on_unlock(self, _opaque, _picture, _planes) -> None:
        return None

    def _on_display(self, _opaque, _picture) -> None:
        with self._cond:
            self._seq += 1
            self._cond.notify_all()

    def _on_end(self, _event) -> None:
        with self._cond:
            self._ended = True
            self._cond.notify_all()

    def read(self) -> np.ndarray | None:
        with self._cond:
            if not self._cond.wait_for(lambda: self._seq > self._taken or self._ended, timeout=self._read_timeout_s):
                return None
            if self._ended:
                return None
            self._taken = self._seq
            return cv2.cvtColor(self._buffer, cv2.COLOR_BGRA2BGR)

    def close(self) -> None:
        self._player.stop()
        self._player.release()
        self._instance.release()


def load_vlc():
    """The python-vlc module, or BackendUnavailable with what to install."""
    try:
        import vlc  # optional extra: pip install controlroom[vlc]
    except (ImportError, OSError) as exc:
        raise BackendUnavailable(tr(
            "The VLC backend needs VLC 3 and python-vlc (pip install python-vlc): {reason}", reason=str(exc)
        )) from None
    if getattr(vlc, "Instance", None) is None or vlc.Instance() is None:
        raise BackendUnavailable(tr("The VLC backend needs VLC 3 and python-vlc (pip install python-vlc): {reason}",
                                    reason=tr("libVLC could not be loaded")))
    return vlc


def vlc_available() -> tuple[bool, str]:
    """(True, "") when python-vlc and libVLC load; else (False, a message saying what is missing)."""
    try:
        load_vlc()
    except BackendUnavailable as exc:
        return False, str(exc)
    return True, ""


def open_source(url: str, backend: Backend = "opencv", *, open_timeout_s: float = DEFAULT_OPEN_TIMEOUT_S,
                read_timeout_s: float = DEFAULT_READ_TIMEOUT_S, packet_ring=None, wants_pictures=None) -> FrameSource:
    """Open `url` with `backend`; raises SourceError (message with the URL redacted).
    `packet_ring` (a PacketRing) keeps the camera's own packets, and `wants_pictures()` says
    whether anyone looks (else the source only demuxes, or a synthetic one draws nothing); only
    the pyav backend keeps packets."""
    if urlsplit(url).scheme == SYNTHETIC_SCHEME:
        return SyntheticSource(url, wants_pictures)
    if backend == "vlc":
        return VlcSource(url, open_timeout_s, read_timeout_s)
    if backend == "pyav":
        from controlroom.cameras.packet_source import PacketSource

        return PacketSource(url, open_timeout_s, read_timeout_s, packet_ring, wants_pictures)
    return OpenCvSource(url, open_timeout_s, read_timeout_s)
