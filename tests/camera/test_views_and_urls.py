"""Layouts, tours and the views file (no Qt); credentials redaction; demo streams."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controlroom.alerts.model import Alert, Priority
from controlroom.cameras.views import (PRESET_LAYOUTS, Tour, ViewStore, WallView, cameras_for_alert, default_view, layout,
                                      layout_for)
from controlroom.cameras.stream_urls import demo_stream_url, redact_url, with_demo_streams


@pytest.mark.parametrize("layout_id, size", [("1", 1), ("2x2", 4), ("3x3", 9), ("4x4", 16), ("5x5", 25), ("1+5", 6), ("1+7", 8), ("7x6", 42)])
def test_layouts_have_the_expected_tiles_and_cover_their_grid_once(layout_id, size):
    spec = layout(layout_id)
    assert spec.size == size
    covered = [(r, c) for cell in spec.cells for r in range(cell.row, cell.row + cell.rowspan) for c in range(cell.col, cell.col + cell.colspan)]
    assert sorted(covered) == [(r, c) for r in range(spec.rows) for c in range(spec.cols)]


def test_unknown_layouts_are_refused_and_41_cameras_fit_a_7x6_grid():
    for bad in ("0x3", "9x9", "1+9", "abc"):
        with pytest.raises(ValueError):
            layout(bad)
    assert layout_for(41).id == "7x6"
    assert set(PRESET_LAYOUTS) <= {"1", "2x2", "3x3", "4x4", "5x5", "1+5", "1+7"}


def test_a_first_start_shows_the_communes_cameras_in_the_smallest_grid_up_to_4x4(demo_config, second_config):
    small = default_view(second_config)  # three cameras: a 2x2, not a 4x4 of thirteen empty cells
    assert small.layout_id == "2x2" and len([c for c in small.cells if c]) == len(second_config.cameras)
    assert default_view(demo_config).layout_id == "4x4"  # 41 cameras: the first sixteen


def test_tour_position_follows_the_dwell_time():
    tour = Tour("t", ("a", "b", "c"), dwell_s=10)
    assert [tour.camera_at(t) for t in (0, 9.9, 10, 25, 30, 31)] == ["a", "a", "b", "c", "a", "a"]
    assert tour.position(12)[1] == pytest.approx(8)


def test_views_and_tours_survive_a_restart_and_a_broken_file_is_set_aside(tmp_path):
    path = tmp_path / "views.json"
    store = ViewStore(path)
    store.save_view("main", WallView("Lũ", "3x3", ["cam04", None, "tour:đêm"]))
    store.save_view("screen-2", WallView("Cổng", "1", ["cam01"]))
    store.save_tour(Tour("đêm", ("cam01", "cam02"), 15))
    store.flush()
    again = ViewStore(path)
    assert again.current("main").cells == ["cam04", None, "tour:đêm"] + [None] * 6
    assert again.current("screen-2").layout_id == "1"
    assert again.tours()["đêm"].cameras == ("cam01", "cam02")
    path.write_text("{not json", encoding="utf-8")
    broken = ViewStore(path)
    assert broken.current("main") is None
    assert path.with_suffix(".broken").exists()


def _alert(source: str, village: str | None = None, detail: dict | None = None) -> Alert:
    now = datetime.now(timezone.utc)
    return Alert("a", source, "c", "manual", Priority.HIGH, village, True, False, now, now, detail=detail or {})


def test_cameras_for_alerts_by_camera_position_and_village(demo_config):
    assert cameras_for_alert(demo_config, _alert("camera/cam07")) == ["cam07"]
    cam = demo_config.cameras[10]
    near = cameras_for_alert(demo_config, _alert("report/r1", detail={"lat": cam.lat, "lon": cam.lon}))
    assert near[0] == cam.id
    sensor = demo_config.sensors[0]
    assert cameras_for_alert(demo_config, _alert(f"sensor/{sensor.id}/level"))  # placed at the sensor
    by_village = cameras_for_alert(demo_config, _alert("x", village="niem_pho"))
    assert by_village and all(demo_config.cameras[[c.id for c in demo_config.cameras].index(i)].village == "niem_pho" for i in by_village)
    assert cameras_for_alert(demo_config, _alert("x")) == []


@pytest.mark.parametrize("url, expected", [
    ("rtsp://admin:12345@10.20.1.11:554/Streaming/Channels/101", "rtsp://***@10.20.1.11:554/Streaming/Channels/101"),
    ("rtsp://10.0.0.5/cam/realmonitor?channel=1&subtype=1&user=admin&password=x1", "rtsp://10.0.0.5/cam/realmonitor?channel=1&subtype=1&user=***&password=***"),
    ("rtsp://10.0.0.5/live", "rtsp://10.0.0.5/live"),
    ("", ""),
])
def test_redact_url_examples(url, expected):
    assert redact_url(url) == expected


secret = st.text(alphabet=st.characters(blacklist_characters="@/?#&;=", blacklist_categories=("Cs",)), min_size=6, max_size=20)


@given(user=secret, password=secret, host=st.from_regex(r"[a-z0-9.]{1,20}", fullmatch=True), path=st.from_regex(r"[A-Za-z0-9/_.-]{0,30}", fullmatch=True))
def test_a_password_in_a_stream_url_never_survives_redaction(user, password, host, path):
    redacted = redact_url(f"rtsp://{user}:{password}@{host}/{path}")
    assert password not in redacted.split("@", 1)[0]
    assert redacted.startswith("rtsp://***@")
    query = redact_url(f"rtsp://{host}/{path}?channel=1&password={password}")
    assert query.endswith("password=***")


def test_demo_config_points_every_camera_at_a_synthetic_source(demo_config):
    demo = with_demo_streams(demo_config)
    assert len(demo.cameras) == 41
    assert all(c.sub_url.startswith("synthetic://") and c.main_url.startswith("synthetic://") for c in demo.cameras)
    assert "w=1280" in demo_stream_url(demo_config.cameras[0], "main")
    json.dumps([c.sub_url for c in demo.cameras])


def test_camera_source_switch_keeps_tests_off_the_example_cameras(demo_config, monkeypatch):
    from controlroom.cameras.stream_urls import camera_source_config

    monkeypatch.setenv("CONTROLROOM_CAMERA_SOURCE", "synthetic")
    assert all(c.sub_url.startswith("synthetic://") for c in camera_source_config(demo_config).cameras)
    monkeypatch.setenv("CONTROLROOM_CAMERA_SOURCE", "off")
    assert camera_source_config(demo_config).cameras == []
    monkeypatch.setenv("CONTROLROOM_CAMERA_SOURCE", "config")
    assert camera_source_config(demo_config) is demo_config
