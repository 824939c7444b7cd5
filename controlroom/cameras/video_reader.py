"""One reader thread per open stream, keeping only the latest frame (no queue to grow).

A `StreamReader` opens its URL with a backend (controlroom.cameras.video_backends), reads frames as
fast as the camera sends them and overwrites one "latest frame" slot that the GUI pulls on a
timer. When the stream fails it closes it and reconnects with capped exponential backoff
(0.5 s, 1 s, 2 s ... 10 s), forever, until stopped. Opens run in parallel (the FFmpeg lock is
off, see video_backends), so a dead camera only delays itself.

Scaling off the GUI thread: a consumer sets the size it paints at and the reader resizes each
frame to exactly that (aspect kept) before publishing, so the GUI draws it 1:1. Measured here:
Qt's drawImage of a 640x360 BGR888 frame scaled into a 960x540 tile took ~10 ms on the GUI
thread; the same picture pre-sized by cv2.resize (GIL released) drew in ~1.4 ms.

`ReaderPool` shares readers between tiles by (camera id, stream) with reference counts.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

import controlroom.cameras.video_backends as backends  # sets the OpenCV environment before cv2 loads

import cv2  # noqa: E402  (after video_backends on purpose)
import numpy as np  # noqa: E402

from controlroom.cameras.health import CameraStatusPublisher, HealthTracker, StreamHealth  # noqa: E402
from controlroom.cameras.packet_ring import PacketRing  # noqa: E402
from controlroom.cameras.replay_buffer import ReplayBuffer  # noqa: E402
from controlroom.cameras.stream_urls import SYNTHETIC_SCHEME, Stream, redact_text, redact_url  # noqa: E402

log = logging.getLogger(__name__)

BACKOFF_START_S = 0.5
BACKOFF_CAP_S = 10.0
# Reader threads run a little below the GUI thread (Linux nice +4 per thread). Under CPU
# overload, 41 equal-weight decode threads otherwise out-vote the ONE thread that paints all
# tiles, and readers decode frames nobody can show (measured here under load ~12: readers at
# 88 % of source fps, tiles shown at 19 %).
READER_NICE = 4
QUICK_FAILURE_S = 0.5  # a read that fails faster than this is a decode error, not a timeout
MAX_QUICK_FAILURES = 3
SCALE_IN_YUV = frozenset({"yuv420p", "yuvj420p"})  # decoded formats scaled before their RGB conversion


def _lower_thread_priority(nice: int) -> None:
    """Lower the calling thread's scheduling priority where the OS allows it per thread (Linux)."""
    if not sys.platform.startswith("linux") or nice <= 0:
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0) + nice)
    except OSError as exc:
        log.debug("cannot lower reader thread priority: %s", exc)


@dataclass(frozen=True)
class Frame:
    """A decoded frame for display (HxWx3 BGR, or HxWx4 BGRX when the reader's display_format
    is "bgrx"; uint8; each row contiguous, rows possibly padded: strides[0] is the row length
    in bytes) and when it arrived."""

    image: np.ndarray
    seq: int
    monotonic: float
    utc: datetime
    source_width: int
    source_height: int


class StreamReader:
    """Reads one stream on its own named thread. `latest()` is safe from any thread."""

    def __init__(self, camera_id: str, url: str, backend: backends.Backend = "opencv", *,
                 stream: Stream = "sub",
                 open_timeout_s: float = backends.DEFAULT_OPEN_TIMEOUT_S,
                 read_timeout_s: float = backends.DEFAULT_READ_TIMEOUT_S,
                 replay: ReplayBuffer | None = None,
                 packets: PacketRing | None = None,
                 decode_when_watched: bool = False,
                 backoff_cap_s: float = BACKOFF_CAP_S) -> None:
        """`decode_when_watched`: decode pictures only while a tile watches (see watch()); a
        reader of the pool is, a reader made on its own decodes always."""
        self.camera_id = camera_id
        self.stream = stream
        self.url = url
        self.safe_url = redact_url(url)
        self.backend = backend
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s
        self.replay = replay
        self.packets = packets  # the camera's own packets (pyav backend)
        self.backoff_cap_s = backoff_cap_s
        self.health = HealthTracker(stall_after_s=2.0, offline_after_s=min(4.5, read_timeout_s + 1.5))
        self._latest: Frame | None = None
        self._latest_full: np.ndarray | None = None
        self._latest_video_frame = None  # a packet reader's last av.VideoFrame (latest_full() converts it)
        self._scaler = self._converter = None  # a packet reader's swscale contexts (see _publish_video_frame)
        self._target: tuple[int, int] | None = None
        self.display_format = "bgr"  # "bgrx": 4 bytes/pixel, which Qt blits as RGB32 at memcpy speed
        self._stop = threading.Event()
        self._seq = 0
        self._watchers = 0  # tiles showing this stream (pyav: no watcher, no decoding)
        self._decode_when_watched = decode_when_watched
        self._thread = threading.Thread(target=self._run, name=f"camera-{camera_id}-{stream}", daemon=True)

    def __repr__(self) -> str:
        return f"StreamReader({self.camera_id!r}, {self.safe_url!r})"

    def start(self) -> "StreamReader":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the thread to end (returns at once; it ends after the current open/read)."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def latest(self) -> Frame | None:
        return self._latest

    def latest_full(self) -> np.ndarray | None:
        """The last decoded frame at source resolution (for snapshots); never modified later.
        A packet reader's is converted only when asked (snapshots are rare, frames are not)."""
        full = self._latest_full
        if full is None:
            video_frame = self._latest_video_frame
            if video_frame is not None:
                full = video_frame.to_ndarray(format="bgr24")
        return full

    def health_snapshot(self) -> StreamHealth:
        return self.health.snapshot()

    def watch(self) -> None:
        """A tile shows this stream: decode its pictures (packet backends decode only then)."""
        self._watchers += 1

    def unwatch(self) -> None:
        self._watchers = max(0, self._watchers - 1)

    def wants_pictures(self) -> bool:
        return not self._decode_when_watched or self._watchers > 0

    def set_display_format(self, display_format: str) -> None:
        """"bgr" (3 bytes/pixel) or "bgrx" (4, what Qt's raster engine blits fastest)."""
        if display_format not in ("bgr", "bgrx"):
            raise ValueError(display_format)
        self.display_format = display_format

    def set_target_size(self, width: int | None, height: int | None = None) -> None:
        """The box the consumer paints into; frames are fitted to it (aspect kept). None: full size."""
        self._target = None if not width or not height else (int(width), int(height))

    # --- the thread -------------------------------------------------------------------------

    def _run(self) -> None:
        _lower_thread_priority(READER_NICE)
        backoff = BACKOFF_START_S
        while not self._stop.is_set():
            self.health.connecting()
            try:
                source = backends.open_source(self.url, self.backend, open_timeout_s=self.open_timeout_s,
                                              read_timeout_s=self.read_timeout_s, packet_ring=self.packets,
                                              wants_pictures=self.wants_pictures)
            except backends.SourceError as exc:
                message = redact_text(str(exc), self.url)
                self.health.failed(message)
                log.info("camera %s: %s; retry in %.1f s", self.camera_id, message, backoff)
            except cv2.error as exc:  # OpenCV raises on some malformed URLs
                message = redact_text(str(exc), self.url)
                self.health.failed(message)
                log.warning("camera %s: cannot open %s: %s", self.camera_id, self.safe_url, message)
            else:
                if self._read_until_failure(source):
                    backoff = BACKOFF_START_S  # it was live: start the backoff again from the bottom
            if self._stop.wait(backoff):
                break
            backoff = min(backoff * 2, self.backoff_cap_s)

    def _read_until_failure(self, source: backends.FrameSource) -> bool:
        info = source.info
        self.health.opened(info.width, info.height, info.bitrate_kbps)
        log.info("camera %s: opened %s (%dx%d)", self.camera_id, self.safe_url, info.width, info.height)
        got_frames = False
        quick_failures = 0
        try:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    image = source.read()
                except cv2.error as exc:
                    image = None
                    log.warning("camera %s: decode error: %s", self.camera_id, redact_text(str(exc), self.url))
                if image is backends.PACKET_ONLY:  # alive, but nobody looks: no picture made
                    params = getattr(source, "params", None)
                    if params is not None:
                        self.health.stream(params.codec, source.decode_lag_s)
                    size = (params.width, params.height) if params is not None else (source.info.width, source.info.height)
                    self.health.frame(*size, source.last_arrival)
                    got_frames = True
                    continue
                if image is None and time.monotonic() - started < QUICK_FAILURE_S and quick_failures < MAX_QUICK_FAILURES:
                    # a frame that failed to decode (e.g. joined mid-GOP): try the next one
                    # before tearing the session down; timeouts and repeated failures do not retry
                    quick_failures += 1
                    continue
                if image is None:
                    self.health.failed(redact_text(f"no frame from {self.safe_url} (stream ended or timed out)", self.url))
                    log.info("camera %s: stream %s lost", self.camera_id, self.safe_url)
                    return got_frames
                got_frames = True
                quick_failures = 0
                params = getattr(source, "params", None)
                if params is not None:
                    self.health.stream(params.codec, source.decode_lag_s)
                if isinstance(image, np.ndarray):
                    self._publish(image, getattr(source, "last_arrival", None))
                else:
                    self._publish_video_frame(image, source.last_arrival)
        finally:
            source.close()
        return got_frames

    def _publish(self, image: np.ndarray, arrived: float | None = None) -> None:
        """`arrived`: when the packet behind the frame arrived (packet backends), so a frame
        decoded late is never judged fresher than it is."""
        now = time.monotonic()
        height, width = image.shape[:2]
        self.health.frame(width, height, arrived if arrived is not None else now)
        if self.replay is not None:
            self.replay.offer(image, now)
        self._latest_full = image
        target = self._target
        if target is not None:
            scale = min(target[0] / width, target[1] / height)
            size = (max(2, round(width * scale)), max(2, round(height * scale)))
            if size != (width, height):
                image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
        if self.display_format == "bgrx":
            image = cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)  # new contiguous array, GIL released
        elif not image.flags["C_CONTIGUOUS"]:
            image = np.ascontiguousarray(image)
        self._seq += 1
        self._latest = Frame(image, self._seq, now, datetime.now(timezone.utc), width, height)

    def _publish_video_frame(self, frame, arrived: float) -> None:
        """A packet reader's frame: scaled to the tile and converted to the display format by
        swscale (no full-size BGR copy). The picture's rows keep FFmpeg's padding (rows aligned
        for the CPU's SIMD, 64 bytes here): the tile paints with the row stride, no copy a frame
        (the copy cost 6-12 % of a reader thread on a 7x6 wall)."""
        now = time.monotonic()
        width, height = frame.width, frame.height
        self.health.frame(width, height, arrived)
        self._latest_video_frame, self._latest_full = frame, None
        target = self._target
        size = (width, height)
        if target is not None:
            scale = min(target[0] / width, target[1] / height)
            size = (max(2, round(width * scale) & ~1), max(2, round(height * scale) & ~1))  # even: 4:2:0 chroma
        out_format = "bgra" if self.display_format == "bgrx" else "bgr24"
        if self._converter is None:
            from av.video.reformatter import VideoReformatter

            # each keeps its swscale context between frames
            self._scaler, self._converter = VideoReformatter(), VideoReformatter()
        # threads=1: since PyAV 17 a reformatter scales in slices on a thread per core; for a
        # tile-sized picture that handing over costs more than the work (two idle-waking
        # threads per camera, a dozen context switches a frame); each camera has its thread.
        if size != (width, height) and 4 * size[0] * size[1] >= width * height and frame.format.name in SCALE_IN_YUV:
            # A large picture (a 4x4 wall's tile, a maximised one) is scaled in YUV first and
            # converted after: swscale's scaled RGB output has no SIMD path. Measured per reader
            # thread, 41 cameras of 640x360: -4 % at 476x268, -15 % at 960x540; but +2 % at
            # 268x150 (a 7x6 wall), where the second pass costs more than it saves.
            frame = self._scaler.reformat(frame, size[0], size[1], interpolation="FAST_BILINEAR", threads=1)
        image = self._converter.reformat(frame, size[0], size[1], format=out_format, interpolation="FAST_BILINEAR",
                                         threads=1).to_ndarray()
        self._seq += 1
        self._latest = Frame(image, self._seq, now, datetime.now(timezone.utc), width, height)


class ReaderPool:
    """Open streams shared by reference count: two tiles showing cam07's sub stream use one reader.

    Every sub stream keeps an instant-replay ring: on the pyav backend the camera's own packets
    (PacketRing, 30 s, at most 4 MB), else decoded frames (default 30 s at 5 fps, JPEG, at most
    8 MB: 41 cameras stay under ~330 MB however busy the pictures are).

    `release()` never blocks: a released reader is told to stop and joined later by `reap()` /
    `close()` (a read may take up to the read timeout to return)."""

    def __init__(self, *, replay_fps: float = 5.0, replay_seconds: float = 30.0, replay_mb: float = 8.0,
                 open_timeout_s: float = backends.DEFAULT_OPEN_TIMEOUT_S,
                 read_timeout_s: float = backends.DEFAULT_READ_TIMEOUT_S) -> None:
        self._readers: dict[tuple[str, str], StreamReader] = {}
        self._counts: dict[tuple[str, str], int] = {}
        self._replays: dict[str, ReplayBuffer] = {}
        self._packet_rings: dict[tuple[str, str], PacketRing] = {}
        self._stopping: list[StreamReader] = []
        self._lock = threading.Lock()
        self.replay_fps, self.replay_seconds, self.replay_mb = replay_fps, replay_seconds, replay_mb
        self.open_timeout_s, self.read_timeout_s = open_timeout_s, read_timeout_s

    def acquire(self, camera_id: str, url: str, backend: backends.Backend = "opencv", stream: Stream = "sub") -> StreamReader:
        key = (camera_id, stream)
        with self._lock:
            reader = self._readers.get(key)
            if reader is None:
                replay = None  # a packet reader's own packets are its replay: no JPEG ring to fill
                reads_packets = backend == "pyav" and urlsplit(url).scheme != SYNTHETIC_SCHEME  # the demo's cameras are drawn
                if stream == "sub" and self.replay_fps > 0 and not reads_packets:
                    replay = self._replays.setdefault(camera_id, ReplayBuffer(self.replay_fps, self.replay_seconds, self.replay_mb))
                packets = self._packet_rings.setdefault(key, PacketRing()) if reads_packets else None
                reader = StreamReader(camera_id, url, backend, stream=stream, replay=replay, packets=packets,
                                      decode_when_watched=True, open_timeout_s=self.open_timeout_s, read_timeout_s=self.read_timeout_s).start()
                self._readers[key] = reader
            self._counts[key] = self._counts.get(key, 0) + 1
            return reader

    def release(self, reader: StreamReader) -> None:
        key = (reader.camera_id, reader.stream)
        with self._lock:
            if self._readers.get(key) is not reader:
                return
            self._counts[key] -= 1
            if self._counts[key] <= 0:
                del self._readers[key], self._counts[key]
                reader.stop()
                self._stopping.append(reader)
        self.reap()

    def get(self, camera_id: str, stream: Stream = "sub") -> StreamReader | None:
        return self._readers.get((camera_id, stream))

    def replay(self, camera_id: str) -> ReplayBuffer | None:
        return self._replays.get(camera_id)

    def packets(self, camera_id: str, stream: Stream = "sub") -> PacketRing | None:
        """The camera's own packets of `stream` (pyav backend), for clips in its own bits."""
        return self._packet_rings.get((camera_id, stream))

    def readers(self) -> list[StreamReader]:
        with self._lock:
            return list(self._readers.values())

    def reap(self) -> None:
        """Forget stopped readers whose threads have ended."""
        with self._lock:
            self._stopping = [r for r in self._stopping if r.alive]

    def close(self, timeout_s: float | None = None) -> None:
        """Stop every reader and join them within `timeout_s` overall (default: the read timeout
        and a second, so a reader blocked on a dead camera returns and closes its stream before
        the interpreter ends: PyAV freed under a running read crashed at exit). Threads are
        daemons: one that still hangs cannot hold the app's exit."""
        timeout_s = self.read_timeout_s + 1.0 if timeout_s is None else timeout_s
        with self._lock:
            readers = list(self._readers.values()) + self._stopping
            self._readers.clear()
            self._counts.clear()
            self._stopping = []
        for reader in readers:
            reader.stop()
        deadline = time.monotonic() + timeout_s
        for reader in readers:
            if not reader.join(max(0.0, deadline - time.monotonic())):
                log.info("camera %s: reader still in a blocking open/read at shutdown", reader.camera_id)


class HealthMonitor:
    """Publishes each camera's online/offline changes as DeviceStatus on the bus, from its own
    thread (``camera-health``): a bus subscriber such as the storage writer may block when its
    inbox is full, which must never happen on the GUI thread."""

    def __init__(self, pool: ReaderPool, bus, interval_s: float = 1.0) -> None:
        self._pool = pool
        self._publisher = CameraStatusPublisher(bus)
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera-health", daemon=True)

    def start(self) -> "HealthMonitor":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            for reader in self._pool.readers():
                if reader.stream == "sub":
                    self._publisher.update(reader.camera_id, reader.health_snapshot().state)

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
