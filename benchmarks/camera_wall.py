"""Camera wall throughput: K RTSP streams into the wall (offscreen, all tiles visible) versus
bare OpenCV decode loops over the same K streams, in the same run.

Starts the GStreamer RTSP test server (tests/camera/rtsp_server.py under Debian's python3) on a
free loopback port: 640x360, 15 fps, H.264, 4 mounts with shared media factories (K clients
spread over them; every client is its own RTSP session and its own decoder). For each K in
4, 16, 41: the decode-only baseline (K threads: VideoCapture.read() in a loop, nothing else),
then the wall (CameraWall, 1920x1080, layout holding K tiles, replay buffers on as in the app).
Prints per K: displayed fps per tile / source fps, process CPU % per stream for both, and the
overhead ratio. Last line: one JSON object. Goal (issue "video on packets"): at 16 and 41
cameras every tile >= 98 % of the source's fps and CPU <= 1.3x decode-only; a hidden camera
<= 25 % of a shown one's CPU.

With --rounds N the decode-only loops and the wall take turns N times for each K and the ratio
is the median of the N adjacent pairs: this machine's speed drifts by tens of percent from one
minute to the next, which a single baseline-then-wall pair takes for overhead.

    .venv/bin/python benchmarks/camera_wall.py [--ks 4,16,41] [--seconds 10] [--rounds 3]
        [--backend pyav] [--hidden 16,41]

With --backend pyav the wall's cameras read packets (no JPEG replay ring: the packets are the
replay), the same run also times bare PyAV demux+decode loops and reports the packet ring each
camera keeps for replay (bytes, seconds held); --hidden 16,41 shows 16 cameras while 25 more are
held open unwatched and reports a hidden camera's CPU against a shown one's.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench_broker import free_port

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "tests" / "camera" / "rtsp_server.py"
SOURCE_FPS = 15
MOUNTS = 4


def start_server(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(["/usr/bin/python3", str(SERVER), "--port", str(port), "--mounts", str(MOUNTS),
                             "--width", "640", "--height", "360", "--fps", str(SOURCE_FPS), "--shared"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        proc.kill()
        raise SystemExit("RTSP server did not start (apt: python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-ugly)")
    return proc


def cpu_window(seconds: float, tick=None) -> tuple[float, float]:
    """(process CPU %, wall seconds) over `seconds`, calling `tick(remaining)` to wait."""
    c0, t0 = time.process_time(), time.monotonic()
    if tick is None:
        time.sleep(seconds)
    else:
        tick(seconds)
    c1, t1 = time.process_time(), time.monotonic()
    return 100.0 * (c1 - c0) / (t1 - t0), t1 - t0


def measure_loops(name: str, urls: list[str], warmup: float, seconds: float, loop) -> dict:
    """Run `loop(i, url, counts, stop)` on one thread per stream; CPU and fps after `warmup`."""
    stop = threading.Event()
    counts = [0] * len(urls)
    threads = [threading.Thread(target=loop, args=(i, u, counts, stop), name=f"{name}-{i}", daemon=True)
               for i, u in enumerate(urls)]
    for t in threads:
        t.start()
    time.sleep(warmup)
    before = list(counts)
    cpu, elapsed = cpu_window(seconds)
    fps = [(c - b) / elapsed for c, b in zip(counts, before)]
    stop.set()
    for t in threads:
        t.join(5)
    return {"cpu_pct": cpu, "fps": fps}


def baseline(urls: list[str], warmup: float, seconds: float) -> dict:
    """Bare OpenCV: one thread per stream reading as fast as frames come."""
    def loop(i: int, url: str, counts: list[int], stop: threading.Event) -> None:
        cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG, [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 3000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 3000,
                                                     cv2.CAP_PROP_N_THREADS, 1])
        while not stop.is_set():
            ok, _frame = cap.read()
            if not ok:
                time.sleep(0.1)
                continue
            counts[i] += 1
        cap.release()

    return measure_loops("baseline", urls, warmup, seconds, loop)


def pyav_baseline(urls: list[str], warmup: float, seconds: float) -> dict:
    """Bare PyAV: one thread per stream demuxing and decoding (no colour conversion)."""
    import av

    def loop(i: int, url: str, counts: list[int], stop: threading.Event) -> None:
        container = av.open(url, options={"rtsp_transport": "tcp"}, timeout=(3, 3))
        stream = container.streams.video[0]
        stream.thread_type = "NONE"
        for packet in container.demux(stream):
            if stop.is_set():
                break
            try:
                counts[i] += len(packet.decode())
            except av.FFmpegError:
                continue  # joined mid-GOP: the next keyframe repairs it
        container.close()

    return measure_loops("pyav-baseline", urls, warmup, seconds, loop)


def hidden_cost(config, visible: int, total: int, warmup: float, seconds: float, rounds: int = 1) -> dict:
    """CPU of a hidden camera against a shown one: the wall shows `visible` cameras while the
    other `total - visible` are held open unwatched (as the service's health monitor holds
    every camera); the per-camera cost of each group from two runs, taking turns `rounds`
    times (medians)."""
    per_shown, per_hidden = [], []
    for _ in range(rounds):
        shown = wall_run(None, config, visible, warmup, seconds, None, 0.0)
        held = wall_run(None, config, visible, warmup, seconds, None, 0.0, hold=config.cameras[visible:total])
        per_shown.append(shown["cpu_pct"] / visible)
        per_hidden.append(max(0.0, held["cpu_pct"] - shown["cpu_pct"]) / (total - visible))
    shown_pct, hidden_pct = statistics.median(per_shown), statistics.median(per_hidden)
    return {"visible": visible, "hidden": total - visible, "rounds": rounds, "cpu_per_shown_camera_pct": round(shown_pct, 2),
            "cpu_per_hidden_camera_pct": round(hidden_pct, 2),
            "hidden_to_shown_ratio": round(hidden_pct / shown_pct, 3) if shown_pct else None}


def wall_run(app, config, k: int, warmup: float, seconds: float, shot: str | None, replay_fps: float,
             hold=()) -> dict:
    from PyQt6.QtCore import QEventLoop, QTimer

    from controlroom.cameras.views import ViewStore, WallView, layout_for
    from controlroom.ui.cameras.wall import CameraWall
    from controlroom.cameras.video_reader import ReaderPool

    spec = layout_for(k)
    pool = ReaderPool(replay_fps=replay_fps)
    views = ViewStore(Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_views_{os.getpid()}.json")
    view = WallView("", spec.id, [c.id for c in config.cameras[:k]])
    held = [pool.acquire(c.id, c.sub_url, c.backend, "sub") for c in hold]  # open, shown nowhere
    wall = CameraWall(config, pool, views, show_list=False)
    wall.set_camera_list_visible(False)
    wall.apply_view(view)
    wall.resize(1920, 1080)
    wall.show()

    def run_for(s: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(s * 1000), loop.quit)
        loop.exec()

    run_for(warmup)
    tiles = wall.tiles[:k]
    before = [t.painted_frames for t in tiles]
    read_before = [r.health.frames for r in pool.readers()]
    main0 = time.thread_time()  # the GUI thread's own share: painting, the frame timer
    cpu, elapsed = cpu_window(seconds, run_for)
    main_cpu = 100.0 * (time.thread_time() - main0) / elapsed
    shown = [(t.painted_frames - b) / elapsed for t, b in zip(tiles, before)]
    received = [(r.health.frames - b) / elapsed for r, b in zip(pool.readers(), read_before)]
    rings = [r.packets for r in pool.readers() if r.packets is not None]
    ring = {"ring_bytes_per_camera": round(statistics.mean(x.bytes_used for x in rings)),
            "ring_seconds_per_camera": round(statistics.mean(x.seconds_available() for x in rings), 1)} if rings else {}
    if shot:
        wall.grab().save(shot)
    wall.close_wall()
    for reader in held:
        pool.release(reader)
    pool.close(timeout_s=5)
    wall.deleteLater()
    run_for(0.5)
    return {"cpu_pct": cpu, "main_thread_cpu_pct": main_cpu, "fps": shown, "reader_fps": received, "layout": spec.id, **ring}


def measure_k(app, config, k: int, args, replay_fps: float) -> dict:
    """The decode-only loops and the wall over the first `k` cameras, taking turns
    `args.rounds` times; each figure is the median over the rounds."""
    urls = [c.sub_url for c in config.cameras[:k]]
    rounds = []
    for n in range(args.rounds):
        base = baseline(urls, args.warmup, args.seconds)
        av_base = pyav_baseline(urls, args.warmup, args.seconds) if args.backend == "pyav" else None
        shot = str(Path(args.shots) / f"bench_wall_k{k}.png") if args.shots and n == 0 else None
        wall = wall_run(app, config, k, args.warmup, args.seconds, shot, replay_fps)
        rounds.append((base, av_base, wall))
        if args.rounds > 1:
            print(f"K={k} round {n + 1}: wall {wall['cpu_pct'] / k:.2f} % a stream, decode-only {base['cpu_pct'] / k:.2f} %"
                  f" ({wall['cpu_pct'] / max(base['cpu_pct'], 1e-6):.2f}x)", file=sys.stderr, flush=True)
    median = statistics.median
    walls = [w for _, _, w in rounds]
    entry = {
        "layout": walls[0]["layout"],
        "source_fps": SOURCE_FPS,
        "rounds": args.rounds,
        "fps_ratio": round(median(sum(w["fps"]) / k for w in walls) / SOURCE_FPS, 3),
        "min_tile_fps_ratio": round(min(min(w["fps"]) for w in walls) / SOURCE_FPS, 3),
        "reader_fps_ratio": round(median(sum(w["reader_fps"]) / max(1, len(w["reader_fps"])) for w in walls) / SOURCE_FPS, 3),
        "baseline_fps_ratio": round(median(sum(b["fps"]) / k for b, _, _ in rounds) / SOURCE_FPS, 3),
        "cpu_per_stream_pct": round(median(w["cpu_pct"] for w in walls) / k, 2),
        "main_thread_cpu_per_stream_pct": round(median(w["main_thread_cpu_pct"] for w in walls) / k, 2),
        "baseline_cpu_per_stream_pct": round(median(b["cpu_pct"] for b, _, _ in rounds) / k, 2),
        "cpu_overhead_ratio": round(median(w["cpu_pct"] / max(b["cpu_pct"], 1e-6) for b, _, w in rounds), 2),
    }
    if args.rounds > 1:
        entry["cpu_overhead_ratio_per_round"] = [round(w["cpu_pct"] / max(b["cpu_pct"], 1e-6), 2) for b, _, w in rounds]
    if args.backend == "pyav":
        entry["pyav_baseline_cpu_per_stream_pct"] = round(median(a["cpu_pct"] for _, a, _ in rounds) / k, 2)
        entry["cpu_overhead_vs_pyav_decode"] = round(median(w["cpu_pct"] / max(a["cpu_pct"], 1e-6) for _, a, w in rounds), 2)
        for key in ("ring_bytes_per_camera", "ring_seconds_per_camera"):
            if key in walls[-1]:
                entry[key] = walls[-1][key]
    return entry


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ks", default="4,16,41")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=1, help="decode-only and wall take turns this many times per K")
    parser.add_argument("--replay-fps", type=float, default=None, help="replay buffer rate (default: the app's)")
    parser.add_argument("--shots", default="", help="folder for a screenshot of each wall")
    parser.add_argument("--backend", default="opencv", choices=("opencv", "pyav"),
                        help="the cameras' backend (pyav: packets kept, no JPEG replay ring, unwatched cameras demuxed only)")
    parser.add_argument("--hidden", default="", help="VISIBLE,TOTAL: also measure a hidden camera's cost against a shown one's")
    args = parser.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    from controlroom.cameras.video_reader import ReaderPool

    replay_fps = ReaderPool().replay_fps if args.replay_fps is None else args.replay_fps

    from PyQt6.QtWidgets import QApplication

    from controlroom.config import demo_config_path, load_config

    app = QApplication.instance() or QApplication(sys.argv)
    port = free_port()
    server = start_server(port)
    load_start = os.getloadavg()
    results: dict[str, dict] = {}
    try:
        demo = load_config(demo_config_path())
        cameras = [c.model_copy(update={"sub_url": f"rtsp://127.0.0.1:{port}/cam{i % MOUNTS}",
                                        "main_url": f"rtsp://127.0.0.1:{port}/cam{i % MOUNTS}", "backend": args.backend})
                   for i, c in enumerate(demo.cameras)]
        config = demo.model_copy(update={"cameras": cameras})
        for k in ks:
            results[f"k{k}"] = measure_k(app, config, k, args, replay_fps)
            print(f"K={k}: {results[f'k{k}']}", file=sys.stderr, flush=True)
        if args.hidden:
            visible, total = (int(x) for x in args.hidden.split(","))
            results["hidden"] = hidden_cost(config, visible, total, args.warmup, args.seconds, args.rounds)
            print(f"hidden: {results['hidden']}", file=sys.stderr, flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    out = {"name": "camera_wall", "cores": os.cpu_count(), "loadavg_start": [round(x, 2) for x in load_start],
           "loadavg_end": [round(x, 2) for x in os.getloadavg()], "seconds": args.seconds, "replay_fps": replay_fps, "backend": args.backend, **results}
    goal = all(results[k]["min_tile_fps_ratio"] >= 0.98 and results[k]["cpu_overhead_ratio"] <= 1.3
               for k in results if k in ("k16", "k41"))
    if "hidden" in results:
        goal = goal and (results["hidden"]["hidden_to_shown_ratio"] or 0.0) <= 0.25
    out["goal_met"] = goal
    print(json.dumps(out))


if __name__ == "__main__":
    main()
