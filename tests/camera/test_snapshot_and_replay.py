"""Snapshots (PNG + database row through the storage writer) and replay export to MP4."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from controlroom.bus import EventBus
from controlroom.cameras.replay_buffer import ReplayBuffer, ReplayError, export_mp4
from controlroom.cameras.snapshots import SnapshotService
from controlroom.storage.db import create_engine_for, migrate
from controlroom.storage.models import snapshots as snapshots_table
from controlroom.storage.writer import StorageWriter
from controlroom.cameras.video_reader import StreamReader


@pytest.fixture
def writer(tmp_path, demo_config):
    engine = create_engine_for(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    migrate(engine)
    storage = StorageWriter(engine, EventBus(), site_id=demo_config.site.id, database=demo_config.database)
    storage.start()
    yield storage
    storage.stop()
    engine.dispose()


def test_snapshot_is_a_png_with_name_and_time_burned_in_and_recorded(tmp_path, writer, demo_config):
    frame = np.full((360, 640, 3), 90, np.uint8)
    service = SnapshotService(tmp_path / "snaps", demo_config.site.id, demo_config.site.tz, writer)
    try:
        snap = service.take("cam06", "Đê bao Lương Cổ", frame, operator="tho").result(timeout=30)
    finally:
        service.close()
    image = cv2.imread(str(snap.path))
    assert snap.path.suffix == ".png" and snap.path.parent.name == "cam06"
    assert image.shape == frame.shape
    assert not np.array_equal(image[-60:, :300], frame[-60:, :300]), "caption burned into the bottom-left"
    assert np.array_equal(image[:100, 400:], frame[:100, 400:]), "the rest of the picture untouched"
    assert writer.flush(30)
    with writer.engine.connect() as conn:
        rows = conn.execute(select(snapshots_table)).mappings().all()
    assert [(r["camera_id"], r["path"], r["operator"]) for r in rows] == [("cam06", str(snap.path), "tho")]
    assert rows[0]["ts"] == snap.ts


def test_replay_buffer_is_bounded_in_megabytes():
    buffer = ReplayBuffer(fps=10, max_seconds=60, max_mb=0.2)
    rng = np.random.default_rng(1)
    for i in range(200):
        buffer.offer(rng.integers(0, 255, (180, 320, 3), np.uint8), now=100 + i * 0.1)
    assert buffer.bytes_used <= 0.2 * 1024 * 1024
    assert buffer.dropped_for_size > 0


def test_exported_replay_is_a_playable_mp4_of_the_requested_length(tmp_path):
    buffer = ReplayBuffer(fps=8, max_seconds=30, max_mb=16)
    reader = StreamReader("cam04", "synthetic://cam04?w=640&h=360&fps=15&name=B%E1%BA%BFn%20%C4%91%C3%B2", replay=buffer).start()
    seconds = 5
    try:
        deadline = time.monotonic() + 60
        while buffer.seconds_available() < seconds + 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        clip = buffer.clip(seconds)
    finally:
        reader.stop()
        reader.join(5)
    path = tmp_path / "clip.mp4"
    written = export_mp4(clip, path)
    capture = cv2.VideoCapture(str(path))
    assert capture.isOpened()
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames = 0
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames += 1
        assert image.shape == (360, 640, 3)
    capture.release()
    assert fps == pytest.approx(8, rel=0.01)
    expected = seconds * 8
    assert abs(frames - expected) <= 0.1 * expected, (frames, expected)
    assert frames == written
    assert frames / fps == pytest.approx(seconds, rel=0.1)


def test_replay_of_a_camera_with_nothing_buffered_says_so():
    with pytest.raises(ReplayError):
        ReplayBuffer().clip(10)
