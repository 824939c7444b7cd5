"""A stream read packet by packet (PyAV), the backend ``pyav``: every packet is stamped with
the wall-clock time it arrived and kept in the camera's PacketRing (the source of replay and
evidence in the camera's own bits); frames are decoded from them for the tile, and only while someone looks (`wants_pictures`): a
camera nobody watches costs its demux only, and decoding starts again at its next keyframe.

"Live" is judged by arrival, not by the decoder: `last_arrival` is when the packet behind the
returned frame arrived, and the reader's health measures the frame's age from it. The decoder
falling behind shows as a growing gap between the wall clock and the stream's own timestamps
(`decode_lag_s`, see DecodeLag); past MAX_DECODE_LAG_S the source stops
decoding and only demuxes (fast) until it has caught up, then starts again at the next keyframe,
instead of playing a backlog as if it were live. A change of resolution or codec shows in `info`
and `params` from the first frame that has it.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Callable

from controlroom.cameras.packet_ring import Packet, PacketRing, StreamParams
from controlroom.cameras.stream_urls import redact_url
from controlroom.i18n import tr

MAX_DECODE_LAG_S = 1.0  # behind the camera by more than this: skip to the newest keyframe
RESUME_LAG_S = 0.3  # caught up to within this: decode again from the next keyframe
RESYNC_JUMP_S = 30.0  # a jump in the stream's timestamps this large starts a new time base
CREEP_S_PER_S = 0.001  # the lag's baseline may rise this fast: clock drift (ppm) is not lag


class DecodeLag:
    """How far behind the camera the reading is: the gap between wall time and media time, above
    the smallest gap seen. Buffered packets at the start arrive with larger gaps, so the first
    real-time ones set the baseline; the baseline creeps up by at most CREEP_S_PER_S, so a camera
    clock that runs slow (tens of ppm) never adds up to lag, while a reader that falls behind (a
    decoder 10 % too slow loses 100 ms a second) does."""

    def __init__(self, creep_s_per_s: float = CREEP_S_PER_S) -> None:
        self.creep_s_per_s = creep_s_per_s
        self._baseline: float | None = None
        self._last_arrival = 0.0

    def update(self, media_s: float, arrived: float) -> float:
        offset = arrived - media_s
        baseline = self._baseline
        if baseline is None or abs(offset - baseline) > RESYNC_JUMP_S:
            baseline = offset  # the first packet, or the stream's timestamps jumped (a wrap, a new session)
        else:
            baseline = min(offset, baseline + self.creep_s_per_s * max(0.0, arrived - self._last_arrival))
        self._baseline, self._last_arrival = baseline, arrived
        return offset - baseline


class PacketSource:
    def __init__(self, url: str, open_timeout_s: float, read_timeout_s: float, ring: PacketRing | None = None,
                 wants_pictures: Callable[[], bool] | None = None) -> None:
        import av  # PyAV: only cameras on this backend need it

        from controlroom.cameras.video_backends import PACKET_ONLY, SourceError, SourceInfo

        self._av = av
        self._packet_only = PACKET_ONLY
        self._wants_pictures = wants_pictures
        self._decoding = False  # the first picture comes from a keyframe: no grey smear at the start
        self._info_type = SourceInfo
        self.ring = ring
        try:
            # Reads are bounded by FFmpeg's own socket timeout, not PyAV's read timeout: PyAV checks
            # its deadline in FFmpeg's interrupt callback, which takes the interpreter lock at
            # every socket read (several a frame, forty cameras); the open keeps PyAV's deadline.
            self._container = av.open(url, options={"rtsp_transport": "tcp", "analyzeduration": "500000",
                                                    "fflags": "nobuffer", "timeout": str(round(read_timeout_s * 1e6))},
                                      timeout=(open_timeout_s, None))
        except (av.FFmpegError, OSError) as exc:
            raise SourceError(tr("cannot open the stream {url}", url=redact_url(url)) + f" ({type(exc).__name__})") from None
        if not self._container.streams.video:
            self._container.close()
            raise SourceError(tr("cannot open the stream {url}", url=redact_url(url)) + " (no video)")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "NONE"  # one thread per camera already
        context = self._stream.codec_context
        rate = self._stream.average_rate or self._stream.guessed_rate
        self.params = StreamParams(context.name, context.width, context.height,
                                   (self._stream.time_base.numerator, self._stream.time_base.denominator),
                                   float(rate) if rate else None, bytes(context.extradata or b""))
        self.info = SourceInfo(context.width, context.height, self.params.rate, None)
        self._packets = self._container.demux(self._stream)
        self._time_base = float(self._stream.time_base)
        self._lag = DecodeLag()
        self._skipping = False
        self.decode_lag_s = 0.0
        self.skips = 0  # times the decoder jumped to a newer keyframe
        self.last_arrival: float | None = None
        self.last_arrival_utc: datetime | None = None

    def read(self):
        """The next decoded frame (an av.VideoFrame, still YUV); PACKET_ONLY for a packet not
        decoded because nobody looks at the camera; None when the stream ended or timed out."""
        av = self._av
        while True:
            try:
                packet = next(self._packets)
            except (StopIteration, av.FFmpegError, OSError):
                return None
            if packet.size == 0:
                continue  # a flush packet
            arrived, arrived_utc = time.monotonic(), datetime.now(timezone.utc)
            self._measure_lag(packet, arrived)
            if self.ring is not None and packet.pts is not None:
                self.ring.add(Packet(bytes(packet), packet.pts, packet.dts if packet.dts is not None else packet.pts,
                                     packet.is_keyframe, arrived_utc, arrived, self.params))
            if self._wants_pictures is not None and not self._wants_pictures():
                self._decoding = False
                self.last_arrival, self.last_arrival_utc = arrived, arrived_utc
                return self._packet_only  # a camera nobody looks at costs its demux only
            if not self._decoding:
                if not packet.is_keyframe:
                    continue  # pictures are wanted: the first one comes from the next keyframe
                self._stream.codec_context.flush_buffers()
                self._decoding = True
            if self._skipping:
                if not (packet.is_keyframe and self.decode_lag_s <= RESUME_LAG_S):
                    continue  # demux only until caught up, then restart at a keyframe
                self._skipping = False
            try:
                frames = self._stream.codec_context.decode(packet)
            except av.FFmpegError:
                continue  # a damaged packet: the next keyframe repairs the picture
            if not frames:
                continue
            frame = frames[-1]
            if (frame.width, frame.height) != (self.params.width, self.params.height):
                self._new_size(frame.width, frame.height)
            self.last_arrival, self.last_arrival_utc = arrived, arrived_utc
            return frame  # an av.VideoFrame: the reader scales and converts it in one pass

    def _measure_lag(self, packet, arrived: float) -> None:
        stamp = packet.pts if packet.pts is not None else packet.dts
        if stamp is None:
            return
        self.decode_lag_s = self._lag.update(stamp * self._time_base, arrived)
        if self.decode_lag_s > MAX_DECODE_LAG_S and not self._skipping:
            self._skipping = True
            self.skips += 1

    def _new_size(self, width: int, height: int) -> None:
        context = self._stream.codec_context
        self.params = StreamParams(context.name, width, height, self.params.time_base, self.params.rate,
                                   bytes(context.extradata or b""))
        self.info = self._info_type(width, height, self.params.rate, None)
        if self.ring is not None:
            self.ring.restamp_last_gop(self.params)

    def close(self) -> None:
        try:
            self._container.close()
        except (self._av.FFmpegError, OSError):
            pass
