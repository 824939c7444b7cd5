"""Glass-to-glass latency: from the RTSP server's clock to the pixels painted in 16 camera tiles.

A GStreamer RTSP server (this file run under Debian's /usr/bin/python3 with --serve) draws the
wall-clock time in milliseconds (mod 2^24) as 24 black/white blocks across the top of each
frame, encodes it (x264, zerolatency, 640x360@15) and serves it on loopback (4 shared mounts).
The benchmark opens 16 StreamReaders into 16 CameraTiles (4x4 at 1920x1080, offscreen), pulls
frames on a GUI timer as the wall does, and samples the tiles round-robin: `tile.grab()`
renders what the tile paints, the time code is read back from those pixels, and
latency = now - code. Baseline (same run): one bare OpenCV read loop on one stream, the code
read from the decoded frame. Start window: the first `--window` seconds after warm-up; end
window: the last `--window` seconds of the run (default 30 minutes, per the issue).

    /opt/crvenv/bin/python benchmarks/camera_latency.py [--minutes 30] [--window 60] [--streams 16] [--backend pyav]

Last line: {"name": "camera_latency", "latency_ms_p50", "latency_ms_p99", "latency_ms_p99_after_30min", ...}
(the last key is named for the run's length when --minutes is not 30).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench_broker import free_port

BITS = 24
WIDTH, HEIGHT, FPS = 640, 360, 15
CODE_ROWS = 48  # height of the time-code strip in source pixels


def now_code() -> int:
    return int(time.time() * 1000) % (1 << BITS)


def age_ms(code: int) -> int:
    return (now_code() - code) % (1 << BITS)


# --- server side (Debian python3 + GStreamer; no numpy there) ---------------------------------

def serve(port: int, mounts: int) -> int:
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    Gst.init(None)
    y_size = WIDTH * HEIGHT
    base = bytearray([60]) * y_size + bytearray([128]) * (y_size // 2)
    block = WIDTH // BITS

    def frame_bytes() -> bytes:
        data = bytearray(base)
        code = now_code()
        for bit in range(BITS):
            value = 235 if code >> (BITS - 1 - bit) & 1 else 16
            row = bytes([value]) * (block - 2)
            x = bit * block + 1
            for y in range(CODE_ROWS):
                offset = y * WIDTH + x
                data[offset:offset + block - 2] = row
        return bytes(data)

    sources: list = []

    def on_configure(factory, media):
        appsrc = media.get_element().get_child_by_name("src")
        sources.append(appsrc)

    def push() -> bool:
        data = frame_bytes()
        for appsrc in list(sources):
            buffer = Gst.Buffer.new_wrapped(data)
            if appsrc.emit("push-buffer", buffer) != Gst.FlowReturn.OK:
                sources.remove(appsrc)
        return True

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    points = server.get_mount_points()
    for i in range(mounts):
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(
            f"( appsrc name=src is-live=true do-timestamp=true format=time "
            f"caps=video/x-raw,format=I420,width={WIDTH},height={HEIGHT},framerate={FPS}/1 "
            f"! queue max-size-buffers=2 leaky=downstream "
            f"! x264enc tune=zerolatency speed-preset=ultrafast bitrate=500 key-int-max={FPS * 2} "
            f"! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=1 )")
        factory.set_shared(True)
        factory.connect("media-configure", on_configure)
        points.add_factory(f"/cam{i}", factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{port}", file=sys.stderr, flush=True)
        return 2
    GLib.timeout_add(1000 // FPS, push)
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY {port}", flush=True)
    loop.run()
    return 0


# --- measuring side -------------------------------------------------------------------------

def read_code(image, x0: int, y0: int, width: int, height: int) -> int | None:
    """Decode the strip from an image region (numpy HxWxC, any channel order: grey blocks)."""
    y = y0 + int(CODE_ROWS / 2 * height / HEIGHT)
    code = 0
    for bit in range(BITS):
        x = x0 + int((bit + 0.5) * (WIDTH // BITS) * width / WIDTH)
        value = int(image[y, x, :3].mean())
        if 60 < value < 190:  # not a clean block: scaled mid-transition, skip the sample
            return None
        code = code << 1 | (value >= 128)
    return code


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def baseline_latency(url: str, seconds: float) -> list[float]:
    import cv2

    capture = cv2.VideoCapture(url, cv2.CAP_FFMPEG)
    samples = []
    settle = time.monotonic() + 2.0  # frames buffered while the stream opened are not latency
    deadline = settle + seconds
    while time.monotonic() < deadline:
        ok, frame = capture.read()
        if not ok or time.monotonic() < settle:
            continue
        code = read_code(frame, 0, 0, frame.shape[1], frame.shape[0])
        if code is not None:
            samples.append(age_ms(code))
    capture.release()
    return samples


def bench(args) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import controlroom.cameras.video_backends  # noqa: F401  (sets OPENCV_FFMPEG_* before cv2)
    import numpy as np
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication, QGridLayout, QWidget
    from zoneinfo import ZoneInfo

    from controlroom.config import demo_config_path, load_config
    from controlroom.cameras.video_reader import StreamReader
    from controlroom.widgets.camera_tile import CameraTile

    port = free_port()
    server = subprocess.Popen(["/usr/bin/python3", str(Path(__file__).resolve()), "--serve", "--port", str(port), "--mounts", "4"],
                              stdout=subprocess.PIPE, text=True)
    if not (server.stdout.readline() or "").startswith("READY"):
        raise SystemExit("RTSP server did not start")
    urls = [f"rtsp://127.0.0.1:{port}/cam{i % 4}" for i in range(args.streams)]
    try:
        baseline = baseline_latency(urls[0], 10.0)
        app = QApplication.instance() or QApplication(sys.argv)
        config = load_config(demo_config_path())
        window = QWidget()
        grid = QGridLayout(window)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        side = int(args.streams ** 0.5 + 0.999)
        tiles, readers = [], []
        for i, url in enumerate(urls):
            tile = CameraTile(i, config.site.tz if not isinstance(config.site.tz, str) else ZoneInfo(config.site.tz))
            tile.set_camera(config.cameras[i % len(config.cameras)])
            grid.addWidget(tile, i // side, i % side)
            tiles.append(tile)
            readers.append(StreamReader(f"lat{i}", url, args.backend).start())
        window.resize(1920, 1080)
        window.show()
        app.processEvents()
        for tile, reader in zip(tiles, readers):
            reader.set_display_format("bgrx")
            video = tile.video_rect()
            reader.set_target_size(video.width(), video.height())

        samples: list[tuple[float, float]] = []  # (seconds since start, latency ms)
        last_seq = [-1] * len(tiles)
        state = {"next": 0}
        started = time.monotonic()

        def pull() -> None:
            for i, (tile, reader) in enumerate(zip(tiles, readers)):
                frame = reader.latest()
                if frame is not None and frame.seq != last_seq[i]:
                    last_seq[i] = frame.seq
                    tile.set_frame(frame)
                    tile.set_health(reader.health_snapshot())
            i = state["next"]
            state["next"] = (i + 1) % len(tiles)
            tile = tiles[i]
            image = tile._image
            if image is None:
                return
            shot = tile.grab().toImage().convertToFormat(tile.grab().toImage().Format.Format_RGB32)
            buffer = np.frombuffer(shot.constBits().asstring(shot.sizeInBytes()), np.uint8).reshape(shot.height(), shot.bytesPerLine() // 4, 4)
            video = tile.video_rect()
            iw, ih = image.width(), image.height()
            x0, y0 = (video.width() - iw) // 2, (video.height() - ih) // 2
            code = read_code(buffer, x0, y0, iw, ih)
            if code is not None:
                samples.append((time.monotonic() - started, age_ms(code)))

        timer = QTimer(interval=1000 // 30, timeout=pull)
        timer.start()
        total_s = args.minutes * 60.0
        warmup_s = 10.0
        while time.monotonic() - started < total_s:
            app.processEvents()
            time.sleep(0.002)
        timer.stop()
        for reader in readers:
            reader.stop()
        for reader in readers:
            reader.join(10)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(10)
    window_s = min(args.window, max(5.0, (total_s - warmup_s) / 2))
    first = [ms for t, ms in samples if warmup_s <= t < warmup_s + window_s]
    last = [ms for t, ms in samples if t >= total_s - window_s]
    p99_first = percentile(first, 99)
    p99_base = percentile(baseline, 99)
    label = "latency_ms_p99_after_30min" if args.minutes == 30 else f"latency_ms_p99_after_{args.minutes:g}min"
    return {
        "name": "camera_latency", "backend": args.backend, "streams": args.streams, "minutes": args.minutes, "window_s": window_s,
        "samples_start": len(first), "samples_end": len(last),
        "latency_ms_mean": round(sum(first) / len(first), 1) if first else None,
        "latency_ms_p50": percentile(first, 50), "latency_ms_p99": p99_first,
        label: percentile(last, 99), "latency_ms_mean_end": round(sum(last) / len(last), 1) if last else None,
        "baseline_latency_ms_p50": percentile(baseline, 50), "baseline_latency_ms_p99": p99_base,
        "ratio_p99_vs_baseline": round(p99_first / p99_base, 2) if p99_first and p99_base else None,
        "growth_ratio_p99": round(percentile(last, 99) / p99_first, 2) if p99_first and last else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--mounts", type=int, default=4, help=argparse.SUPPRESS)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--window", type=float, default=60.0, help="seconds measured at the start and at the end")
    parser.add_argument("--streams", type=int, default=16)
    parser.add_argument("--backend", default="opencv", choices=("opencv", "pyav"), help="how the tiles' readers read")
    args = parser.parse_args()
    if args.serve:
        return serve(args.port, args.mounts)
    result = bench(args)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
