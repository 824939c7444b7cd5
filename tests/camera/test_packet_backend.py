"""The pyav backend against the real RTSP server: frames stamped by packet arrival, the camera's
own packets kept from a keyframe, a clip remuxed from them with the source's codec, resolution
and frame count (ffprobe), signed as evidence that verifies and fails on one changed byte; a
stream that stops is never shown live again on an old frame."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from controlroom.access.operators import Operator, Role
from controlroom.cameras.evidence import EvidenceRequest, export_package, verify_package
from controlroom.cameras.health import StreamState
from controlroom.cameras.video_reader import ReaderPool

from ..conftest import wait_until

OFFICER = Operator("trucban_vh", "Trần Thị Bình", Role.DUTY_OFFICER)


def ffprobe(path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                          "stream=codec_name,width,height,nb_read_frames,r_frame_rate", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["streams"][0]


@contextlib.contextmanager
def http_camera(path):
    """A camera of one client: ffmpeg serving `path` in real time as MPEG-TS over HTTP. It
    takes no probe connection: the reader retries until it listens. Yields the URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    camera = subprocess.Popen(["ffmpeg", "-v", "error", "-re", "-i", str(path), "-c", "copy", "-f", "mpegts",
                               "-listen", "1", f"http://127.0.0.1:{port}/cam.ts"])
    try:
        yield f"http://127.0.0.1:{port}/cam.ts"
    finally:
        camera.kill()
        camera.wait(10)


def test_a_clip_in_the_cameras_own_bits_is_evidence_that_verifies(rtsp_server, tmp_path):
    pool = ReaderPool(replay_fps=0)
    reader = pool.acquire("cam_vh_01", rtsp_server.url(0), backend="pyav")
    try:
        wait_until(lambda: reader.health_snapshot().state is StreamState.LIVE, 30, message="live")
        health = reader.health_snapshot()
        assert health.codec == "h264" and health.decode_lag_s is not None and health.decode_lag_s < 1.0
        ring = pool.packets("cam_vh_01")
        wait_until(lambda: ring.seconds_available() >= 4.5, 30, message="4.5 s of packets")
        clip = ring.clip()
        assert clip.packets[0].keyframe and clip.params.codec == "h264"
        assert (clip.params.width, clip.params.height) == (640, 360)
        start, end = clip.start_utc, clip.end_utc
        assert end - start >= timedelta(seconds=4)

        package = export_package(EvidenceRequest("cam_vh_01", "Cổng chợ Vinh Hưng", OFFICER, "vụ va chạm xe",
                                                 clip_packets=clip), tmp_path, ZoneInfo("Asia/Ho_Chi_Minh"),
                                 "vinhhung_t", tmp_path / "data")
        probe = ffprobe(package.folder / "clip.mp4")
        assert probe["codec_name"] == "h264" and (probe["width"], probe["height"]) == (640, 360)
        assert int(probe["nb_read_frames"]) == len(clip.packets)  # every packet the camera sent, no more, no less
        assert probe["r_frame_rate"] == "15/1"
        manifest = json.loads((package.folder / "manifest.json").read_text(encoding="utf-8"))
        entry = manifest["files"][0]
        assert entry["role"] == "original" and entry["frames"] == len(clip.packets) and entry["codec"] == "h264"
        viewing = next(f for f in manifest["files"] if f["name"] == "clip_captioned.mp4")
        assert viewing["role"] == "viewing copy"  # the captions went into a copy, not into the camera's bits
        assert int(ffprobe(package.folder / "clip_captioned.mp4")["nb_read_frames"]) >= len(clip.packets) - 2
        assert verify_package(package.folder).ok

        data = bytearray((package.folder / "clip.mp4").read_bytes())
        data[len(data) // 2] ^= 0x01
        (package.folder / "clip.mp4").write_bytes(bytes(data))
        result = verify_package(package.folder)
        assert not result.ok and result.bad_file == "clip.mp4"
    finally:
        pool.close()


def test_a_stream_that_stops_is_stalled_and_never_live_again_on_an_old_frame(rtsp_server):
    pool = ReaderPool(replay_fps=0)
    reader = pool.acquire("cam_vh_02", rtsp_server.url(1), backend="pyav")
    reader.watch()  # a tile shows it: pictures are decoded
    try:
        # live by packet arrival can come before the first decoded picture: wait for both
        wait_until(lambda: reader.health_snapshot().state is StreamState.LIVE and reader.latest() is not None, 30,
                   message="live with a picture")
        last_frame = reader.latest()
        rtsp_server.kill()
        killed = time.monotonic()
        states = []
        while time.monotonic() - killed < 8:
            health = reader.health_snapshot()
            states.append((time.monotonic() - killed, health.state))
            time.sleep(0.05)
        live_after = [t for t, state in states if state is StreamState.LIVE and t > 2.5]
        assert not live_after, f"shown live {live_after[0]:.1f} s after the camera stopped"
        assert states[-1][1] in (StreamState.STALLED, StreamState.OFFLINE, StreamState.CONNECTING)
        newest = reader.latest()
        assert newest is None or newest.monotonic <= last_frame.monotonic + 2.5  # no old frame republished as new
    finally:
        pool.close()


def test_reconnects_count_lost_sessions_not_failed_opens():
    from controlroom.cameras.health import HealthTracker

    health = HealthTracker()
    for _ in range(3):  # a camera that does not answer yet
        health.connecting()
        health.failed("cannot open")
    health.opened(640, 360, None)
    health.frame(640, 360)
    assert health.snapshot().reconnects == 0
    health.failed("lost")
    health.opened(640, 360, None)  # opened, but no picture yet: not back
    assert health.snapshot().reconnects == 0
    health.frame(640, 360)
    assert health.snapshot().reconnects == 1


def test_a_camera_nobody_watches_is_demuxed_not_decoded_and_decodes_again_when_shown(rtsp_server):
    pool = ReaderPool(replay_fps=0)
    reader = pool.acquire("cam_vh_03", rtsp_server.url(0), backend="pyav")  # the health monitor's hold
    try:
        wait_until(lambda: reader.health_snapshot().state is StreamState.LIVE, 30, message="live on packets alone")
        wait_until(lambda: pool.packets("cam_vh_03").seconds_available() > 2.5, 30, message="packets kept")
        assert reader.latest() is None, "no picture decoded for a camera nobody looks at"
        assert reader.health_snapshot().fps > 5 and reader.health_snapshot().codec == "h264"

        reader.watch()  # a tile shows it
        wait_until(lambda: reader.latest() is not None, 30, message="a picture once watched")
        first = reader.latest().seq
        wait_until(lambda: reader.latest().seq > first + 10, 30, message="pictures flowing")
        reader.unwatch()
        time.sleep(0.5)
        stopped_at = reader.latest().seq
        time.sleep(1.5)
        assert reader.latest().seq <= stopped_at + 1  # decoding stopped with the last watcher
        assert reader.health_snapshot().state is StreamState.LIVE
    finally:
        pool.close()


def test_a_resolution_change_mid_stream_shows_in_health_and_the_tile_without_a_reconnect(tmp_path):
    """A camera (ffmpeg serving MPEG-TS over HTTP in real time) switching 640x360 -> 1280x720."""
    parts = []
    for name, size, seconds in (("a.ts", "640x360", 3), ("b.ts", "1280x720", 5)):
        path = tmp_path / name
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=15", "-t", str(seconds),
                        "-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-f", "mpegts", str(path)], check=True)
        parts.append(path.read_bytes())
    (tmp_path / "ab.ts").write_bytes(b"".join(parts))  # MPEG-TS joins byte by byte
    with http_camera(tmp_path / "ab.ts") as url, contextlib.closing(ReaderPool(replay_fps=0)) as pool:
        reader = pool.acquire("cam_vh_04", url, backend="pyav")
        reader.watch()
        wait_until(lambda: reader.latest() is not None and reader.latest().source_width == 640, 30, message="640x360")
        wait_until(lambda: reader.health_snapshot().width == 1280, 30, message="1280x720 in health")
        assert reader.health_snapshot().height == 720 and reader.health_snapshot().state is StreamState.LIVE
        wait_until(lambda: reader.latest().source_width == 1280, 10, message="1280x720 on the tile")
        assert reader.health_snapshot().reconnects == 0, "a new size is not a new session"
        clip = pool.packets("cam_vh_04").clip()
        assert (clip.params.width, clip.params.height) == (1280, 720) and clip.packets[0].keyframe  # one size per clip


@pytest.mark.slow
def test_an_h265_1080p_camera_beside_a_cpu_hog_is_never_live_on_an_old_picture(tmp_path):
    """H.265 1920x1080 at 15 fps (ffmpeg serving MPEG-TS over HTTP in real time) while two
    processes spin on both cores: whenever the tile says LIVE, its picture's content is younger
    than 2 s (the arrival age of its packet plus how far decoding was behind the camera)."""
    import multiprocessing

    clip = tmp_path / "h265.ts"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=15", "-t", "25",
                    "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "keyint=15:log-level=error",
                    "-f", "mpegts", str(clip)], check=True)
    with http_camera(clip) as url, contextlib.closing(ReaderPool(replay_fps=0)) as pool:
        reader = pool.acquire("cam_vh_05", url, backend="pyav")
        reader.watch()
        wait_until(lambda: reader.health_snapshot().state is StreamState.LIVE, 30, message="live")
        assert reader.health_snapshot().codec == "hevc" and reader.health_snapshot().width == 1920
        context = multiprocessing.get_context("spawn")
        hogs = [context.Process(target=_spin, daemon=True) for _ in range(2)]
        try:
            for hog in hogs:
                hog.start()
            worst_live, live_samples, samples = 0.0, 0, 0
            until = time.monotonic() + 12
            while time.monotonic() < until:
                health = reader.health_snapshot()
                samples += 1
                if health.state is StreamState.LIVE:
                    live_samples += 1
                    worst_live = max(worst_live, (health.frame_age_s or 0.0) + (health.decode_lag_s or 0.0))
                time.sleep(0.05)
        finally:
            for hog in hogs:
                hog.terminate()
        print(f"H.265 1080p beside a CPU hog: LIVE in {live_samples}/{samples} samples, worst picture age "
              f"with LIVE {worst_live:.2f} s")
        assert worst_live < 2.0


def _spin() -> None:
    while True:
        pass


def test_decode_lag_sees_a_backlog_but_not_a_start_up_burst_nor_clock_drift():
    from controlroom.cameras.packet_source import MAX_DECODE_LAG_S, DecodeLag

    lag = DecodeLag()
    # a camera at 15 fps read on time: no lag
    assert max(lag.update(k / 15, 100 + k / 15) for k in range(30)) < 1e-9
    # the reader falls behind, each picture read 10 % later than real time: lag within seconds
    behind = [lag.update(2 + k / 15, 102 + k / 15 * 1.1) for k in range(200)]
    assert behind[-1] > MAX_DECODE_LAG_S and next(i for i, v in enumerate(behind) if v > MAX_DECODE_LAG_S) < 15 * 15
    # a session whose first second arrives at once (buffered at the server), then in real time
    lag = DecodeLag()
    burst = [lag.update(k / 15, 500.0) for k in range(15)]
    steady = [lag.update(1 + k / 15, 500.0 + k / 15) for k in range(15 * 8)]
    assert max(steady) < 0.01 and max(burst) < 1.0
    # a camera clock 50 ppm slow for ten hours: never lag
    lag = DecodeLag()
    drift = [lag.update(t * (1 - 50e-6), 1000.0 + t) for t in range(0, 36_000, 1)]
    assert max(drift) < 0.1


def test_the_demos_drawn_cameras_keep_their_jpeg_replay_whatever_the_backend(demo_config):
    from controlroom.cameras.stream_urls import with_demo_streams

    camera = with_demo_streams(demo_config).cameras[0].model_copy(update={"backend": "pyav"})  # a drawn camera on pyav
    pool = ReaderPool(replay_seconds=5)
    try:
        reader = pool.acquire(camera.id, camera.sub_url, camera.backend)
        reader.watch()
        wait_until(lambda: pool.replay(camera.id) is not None and pool.replay(camera.id).seconds_available() > 1.5, 30,
                   message="a replay of the drawn camera")
        assert pool.packets(camera.id) is None  # no packets to keep: the picture is drawn, not received
    finally:
        pool.close()


def test_a_watched_camera_costs_its_own_reader_thread_and_no_more(rtsp_server):
    """Forty cameras on a wall: each picture is scaled to its tile on the camera's own thread.
    PyAV 17+ scales in slices on a thread per core by default (two more threads a camera here,
    woken a dozen times a frame), which cost more than the scaling of a tile-sized picture."""
    import os

    def threads() -> set[str]:
        return set(os.listdir("/proc/self/task"))

    pool = ReaderPool(replay_fps=0)
    before = threads()
    reader = pool.acquire("cam_vh_05", rtsp_server.url(0), backend="pyav")
    try:
        reader.set_target_size(320, 180)
        reader.set_display_format("bgrx")
        reader.watch()
        wait_until(lambda: reader.latest() is not None, 30, message="a picture once watched")
        first = reader.latest().seq
        wait_until(lambda: reader.latest().seq > first + 10, 30, message="pictures flowing")
        assert reader.latest().image.shape[:2] == (180, 320)
        assert len(threads() - before) == 1  # started since (a thread of an earlier test may end meanwhile)
    finally:
        pool.close()


def test_a_camera_that_goes_silent_ends_its_session_within_the_read_timeout_and_comes_back(rtsp_server):
    """The camera's server stops sending with its connection open (frozen, as a hung camera):
    the read gives up after the read timeout, so the tile says the camera is gone rather than
    stalled for ever, and the reader reconnects by itself once it answers again."""
    import signal

    pool = ReaderPool(replay_fps=0, read_timeout_s=2.0)
    reader = pool.acquire("cam_vh_06", rtsp_server.url(0), backend="pyav")
    reader.watch()
    try:
        wait_until(lambda: reader.health_snapshot().state is StreamState.LIVE, 30, message="live")
        rtsp_server.proc.send_signal(signal.SIGSTOP)
        try:
            wait_until(lambda: reader.health_snapshot().state in (StreamState.OFFLINE, StreamState.CONNECTING), 10,
                       message="shown as gone")
            time.sleep(3)  # past the read timeout
        finally:
            rtsp_server.proc.send_signal(signal.SIGCONT)
        wait_until(lambda: reader.health_snapshot().state is StreamState.LIVE, 30, message="live again by itself")
        assert reader.health_snapshot().reconnects == 1  # a new session: the silent one was given up
    finally:
        pool.close()


@pytest.mark.parametrize("size", [(480, 270), (268, 151), (960, 540)], ids=["4x4-tile", "7x6-tile", "maximised"])
def test_a_tile_picture_is_the_camera_picture_scaled_to_the_tile(tmp_path, qapp, size):
    """The tile's picture is scaled and converted to BGRX by swscale (a large one scaled in YUV
    first, a small one in one pass): the same picture, colours included, as the full frame
    resized by OpenCV, at the tile's size. Its rows keep FFmpeg's padding (a row of 268 x 4 bytes is
    padded to the CPU's alignment: 64 bytes here) and the tile paints them with the row stride:
    the same picture again."""
    import cv2
    import numpy as np
    from zoneinfo import ZoneInfo

    from PyQt6.QtGui import QImage

    from controlroom.widgets.camera_tile import CameraTile

    width, height = size[0], size[1] & ~1  # the picture fits the box with even sides
    path = tmp_path / "bars.ts"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "smptehdbars=size=640x360:rate=15", "-t", "30",
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-f", "mpegts", str(path)], check=True)
    with http_camera(path) as url, contextlib.closing(ReaderPool(replay_fps=0)) as pool:
        reader = pool.acquire("cam_vh_06", url, backend="pyav")
        reader.set_target_size(*size)
        reader.set_display_format("bgrx")
        reader.watch()
        wait_until(lambda: reader.latest() is not None, 30, message="a picture on the tile")
        frame = reader.latest()
        tile = frame.image
        assert tile.shape == (height, width, 4)
        expected = cv2.resize(reader.latest_full(), (width, height), interpolation=cv2.INTER_AREA if width < 640 else cv2.INTER_LINEAR)
        difference = np.abs(tile[:, :, :3].astype(int) - expected.astype(int))
        assert difference.mean() < 3, f"mean difference {difference.mean():.1f} levels"
        # a bar's edge may fall a pixel to either side: each pixel against its nearest match
        nearest = np.min([np.abs(tile[:, 1:-1, :3].astype(int) - expected[:, 1 + dx:expected.shape[1] - 1 + dx].astype(int))
                          for dx in (-1, 0, 1)], axis=0)
        assert np.percentile(nearest, 99) < 40

    widget = CameraTile(0, ZoneInfo("Asia/Ho_Chi_Minh"))
    widget.set_frame(frame)
    shown = widget._image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(shown.constBits().asarray(shown.sizeInBytes()), np.uint8).reshape(height, shown.bytesPerLine() // 4, 4)
    assert np.array_equal(pixels[:, :width, :3], tile[:, :, :3])
    widget.deleteLater()
