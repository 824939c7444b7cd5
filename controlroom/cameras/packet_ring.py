"""A camera's own packets, kept from a keyframe to now: the source of instant replay and of
evidence clips in the camera's own bits (no re-encoding, full resolution and frame rate).

The ring holds whole GOPs: it always starts at a keyframe, and drops the oldest GOP when the
span passes ``max_seconds`` or the bytes pass ``max_bytes``. Memory budget: a 360p sub-stream
at ~400 kbit/s holds ~1.5 MB per 30 s; the default cap of 4 MB per camera keeps 41 cameras under
~165 MB whatever the pictures are (a 1080p main stream at 4 Mbit/s fits ~8 s in the same cap).

`write_clip()` remuxes a snapshot of packets into MP4 with PyAV: the file's video stream is the
camera's codec, resolution and frames, packet for packet. Each packet keeps the wall-clock time
it arrived (UTC), so a clip can be asked for by time.
"""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

DEFAULT_SECONDS = 30.0
DEFAULT_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class StreamParams:
    """What a muxer needs to write the packets back out (and what health reports)."""

    codec: str  # FFmpeg codec name: "h264", "hevc"...
    width: int
    height: int
    time_base: tuple[int, int]  # of the packets' pts/dts
    rate: float | None  # frames per second, when the stream says
    extradata: bytes  # SPS/PPS (H.264), VPS/SPS/PPS (H.265)


@dataclass(frozen=True)
class Packet:
    data: bytes
    pts: int
    dts: int
    keyframe: bool
    arrived_utc: datetime
    arrived: float  # monotonic
    params: StreamParams


@dataclass(frozen=True)
class PacketClip:
    packets: tuple[Packet, ...]

    @property
    def params(self) -> StreamParams | None:
        return self.packets[0].params if self.packets else None

    @property
    def start_utc(self) -> datetime | None:
        return self.packets[0].arrived_utc if self.packets else None

    @property
    def end_utc(self) -> datetime | None:
        return self.packets[-1].arrived_utc if self.packets else None


class PacketRing:
    """Written by one reader thread, read (as snapshots) from any thread."""

    def __init__(self, max_seconds: float = DEFAULT_SECONDS, max_bytes: int = DEFAULT_BYTES) -> None:
        self.max_seconds = max_seconds
        self.max_bytes = max_bytes
        self._gops: deque[list[Packet]] = deque()
        self._bytes = 0
        self._lock = threading.Lock()

    def add(self, packet: Packet) -> None:
        with self._lock:
            if packet.keyframe or (self._gops and self._gops[-1][0].params != packet.params):
                if not packet.keyframe:
                    return  # the stream changed: wait for its first keyframe
                self._gops.append([packet])
            elif self._gops:
                self._gops[-1].append(packet)
            else:
                return  # joined mid-GOP: nothing decodable until the next keyframe
            self._bytes += len(packet.data)
            while len(self._gops) > 1 and (self._bytes > self.max_bytes or
                                           packet.arrived - self._gops[1][0].arrived >= self.max_seconds):
                self._bytes -= sum(len(p.data) for p in self._gops.popleft())

    def restamp_last_gop(self, params: StreamParams) -> None:
        """The stream's parameters changed at the last keyframe (a new size, learnt only when
        its first frame was decoded): its GOP takes them, so a clip never mixes two sizes."""
        with self._lock:
            if self._gops:
                self._gops[-1] = [replace(p, params=params) for p in self._gops[-1]]

    def clear(self) -> None:
        with self._lock:
            self._gops.clear()
            self._bytes = 0

    @property
    def bytes_used(self) -> int:
        return self._bytes

    def seconds_available(self) -> float:
        with self._lock:
            if not self._gops:
                return 0.0
            return self._gops[-1][-1].arrived - self._gops[0][0].arrived

    def clip(self, start_utc: datetime | None = None, end_utc: datetime | None = None) -> PacketClip:
        """Packets from the last keyframe at or before `start_utc` (the oldest one kept when
        None) to `end_utc` (now when None), all of one stream's parameters."""
        with self._lock:
            gops = list(self._gops)
        chosen: list[list[Packet]] = []
        for gop in gops:
            if start_utc is not None and chosen and gop[0].arrived_utc <= start_utc:
                chosen = []  # a later keyframe still at or before the start
            if end_utc is not None and gop[0].arrived_utc > end_utc:
                break
            chosen.append(gop)
        packets = [p for gop in chosen for p in gop if end_utc is None or p.arrived_utc <= end_utc]
        if packets:
            last = packets[-1].params
            first_of_last = next(i for i, p in enumerate(packets) if p.params == last)
            packets = packets[first_of_last:]  # a resolution change: the part after it
        return PacketClip(tuple(packets))


def write_clip(clip: PacketClip, path: Path, container: str = "mp4") -> int:
    """Remux `clip` into `path` without re-encoding; returns the number of video packets."""
    import av  # PyAV: imported here so the console starts without it when no camera uses it

    params = clip.params
    if params is None:
        raise ValueError("an empty clip")
    base = clip.packets[0].dts
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format=container) as output:
        stream = output.add_stream(params.codec, rate=round(params.rate) if params.rate else None)
        stream.width, stream.height = params.width, params.height
        stream.codec_context.extradata = params.extradata or None
        stream.time_base = Fraction(*params.time_base)
        for packet in clip.packets:
            out = av.Packet(packet.data)
            out.pts = packet.pts - base
            out.dts = packet.dts - base
            out.time_base = stream.time_base
            out.is_keyframe = packet.keyframe
            out.stream = stream
            output.mux(out)
    return len(clip.packets)


def write_clip_async(clip: PacketClip, path: Path) -> "Future[int]":
    """`write_clip` on a short-lived named thread (never on the GUI thread)."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(write_clip(clip, path))
        except Exception as exc:  # noqa: BLE001 — handed to the caller through the Future
            future.set_exception(exc)

    threading.Thread(target=run, name="clip-export", daemon=True).start()
    return future


def decode_clip(clip: PacketClip, max_frames: int = 3000) -> list[tuple[datetime, "np.ndarray"]]:
    """The clip's pictures (UTC arrival, BGR) for a captioned viewing copy or a replay player."""
    import av

    params = clip.params
    if params is None:
        return []
    codec = av.CodecContext.create(params.codec, "r")
    if params.extradata:
        codec.extradata = params.extradata
    frames: list = []
    for packet in clip.packets:
        try:
            decoded = codec.decode(av.Packet(packet.data))
        except av.FFmpegError:
            continue
        frames.extend((packet.arrived_utc, frame.to_ndarray(format="bgr24")) for frame in decoded)
        if len(frames) >= max_frames:
            break
    return frames
