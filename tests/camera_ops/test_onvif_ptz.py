"""ONVIF and PTZ against a real ONVIF peer (ipycam), bound to 127.0.0.1."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

import controlroom.cameras.video_backends  # noqa: F401  sets OPENCV_FFMPEG_* before cv2 opens
from controlroom.config import OnvifCameraConfig
from controlroom.alerts.model import Alert, AlertChanged, Priority
from controlroom.cameras.onvif_client import OnvifCamera, OnvifError, check_clock
from controlroom.access.operators import Operator, PermissionDenied, Role
from controlroom.cameras.ptz import PtzService
from controlroom.storage.models import audit_log

from ..conftest import wait_until


OPERATOR = Operator("vanhanh", "Trần Thị Bình", Role.OPERATOR)
VIEWER = Operator("xem", "Khách xem", Role.VIEWER)


@pytest.fixture
def client(peer):
    client = OnvifCamera(peer.host, peer.onvif_port, peer.user, peer.password)
    yield client
    client.close()


def ptz_config(demo_config, peer, monkeypatch, home_after_s=0.0):
    monkeypatch.setenv("CR_TEST_CAM_PASSWORD", peer.password)
    camera = demo_config.cameras[0].model_copy(update={
        "ptz": True, "onvif": OnvifCameraConfig(host=peer.host, port=peer.onvif_port, user=peer.user,
                                                password_env="CR_TEST_CAM_PASSWORD", home_after_s=home_after_s,
                                                alarm_presets={"sensor/wl_test": "bridge"})})
    return demo_config.model_copy(update={"cameras": [camera] + list(demo_config.cameras[1:])}), camera.id


def test_stream_uris_are_read_from_the_media_service_and_play_in_a_tile(client, qtbot):
    from zoneinfo import ZoneInfo

    from controlroom.cameras.video_reader import StreamReader
    from controlroom.widgets.camera_tile import CameraTile

    profiles = client.profiles()
    assert [p.width for p in profiles] == [640, 320]  # main first, then sub
    assert all(p.stream_uri.startswith("rtsp://127.0.0.1:") for p in profiles)
    reader = StreamReader("onvifcam", profiles[1].stream_uri).start()
    tile = CameraTile(0, ZoneInfo("Asia/Ho_Chi_Minh"))
    tile.resize(480, 320)
    tile.show()
    try:
        qtbot.waitUntil(lambda: reader.latest() is not None, timeout=60000)
        tile.set_frame(reader.latest())
        tile.repaint()
        qtbot.waitUntil(lambda: tile.painted_frames >= 1, timeout=10000)
        assert reader.latest().source_width == 320
    finally:
        reader.stop()
        reader.join(15)


def test_clock_check_reads_the_camera_clock(client, peer):
    check = check_clock(client, 5.0)
    assert abs(check.offset_s) < 5 and not check.drifting
    assert client.device_info()["manufacturer"] == "PythonCam"


def test_clock_drift_is_flagged(make_peer):
    drifting = make_peer(extra=["--clock-offset", "90"])
    camera = OnvifCamera(drifting.host, drifting.onvif_port, drifting.user, drifting.password)
    try:
        check = check_clock(camera, 5.0)
        assert check.drifting and 80 < check.offset_s < 100
        assert f"{round(check.offset_s):+d}" in check.message("Cầu")  # in either UI language
    finally:
        camera.close()


def test_wrong_password_is_a_clear_error_not_a_crash(peer):
    camera = OnvifCamera(peer.host, peer.onvif_port, peer.user, "sai")
    try:
        with pytest.raises(OnvifError):
            camera.profiles()
    finally:
        camera.close()


def test_ptz_moves_and_presets_reach_the_camera_and_are_audited(peer, client, demo_config, monkeypatch, audit, engine):
    config, camera_id = ptz_config(demo_config, peer, monkeypatch)
    profile = client.profiles()[0].token
    client.goto_home(profile)
    service = PtzService(config, audit)
    try:
        service.move(OPERATOR, camera_id, 0.6, 0.3)
        wait_until(lambda: client.status(profile).pan > 0.05)
        service.stop(OPERATOR, camera_id)
        wait_until(lambda: not client.status(profile).moving)
        saved = client.status(profile)
        service.save_preset(OPERATOR, camera_id, "bridge").result(timeout=30)
        assert "bridge" in [p.name for p in service.presets(camera_id).result(timeout=30)]
        service.goto_home(OPERATOR, camera_id)
        wait_until(lambda: abs(client.status(profile).pan) < 0.01)
        service.goto_preset(OPERATOR, camera_id, "Bridge").result(timeout=30)  # names match without case
        wait_until(lambda: abs(client.status(profile).pan - saved.pan) < 0.01)

        client.goto_home(profile)
        wait_until(lambda: abs(client.status(profile).pan) < 0.01)
        raised = Alert("a1", "sensor/wl_test/level", "high", "threshold", Priority.HIGH, None, True, False,
                       datetime.now(timezone.utc), datetime.now(timezone.utc))
        assert service.on_alert_changed(AlertChanged(raised)) == [(camera_id, "bridge")]
        wait_until(lambda: abs(client.status(profile).pan - saved.pan) < 0.01)
        assert service.on_alert_changed(AlertChanged(raised)) == []  # a re-delivery does not move it again
    finally:
        service.close()
    audit.record("x", "flush").result(timeout=10)
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.actor, audit_log.c.action, audit_log.c.target)).all()
    actions = [(r.actor, r.action) for r in rows if r.target == f"camera/{camera_id}"]
    assert ("vanhanh", "camera.ptz.move") in actions
    assert ("vanhanh", "camera.ptz.save_preset") in actions
    assert ("system", "camera.ptz.preset") in actions


def test_a_viewers_ptz_is_refused_by_the_core(peer, client, demo_config, monkeypatch):
    config, camera_id = ptz_config(demo_config, peer, monkeypatch)
    profile = client.profiles()[0].token
    client.goto_home(profile)
    service = PtzService(config)
    try:
        with pytest.raises(PermissionDenied):
            service.move(VIEWER, camera_id, 1.0, 0.0)
        with pytest.raises(PermissionDenied):
            service.goto_preset(VIEWER, camera_id, "bridge")
        time.sleep(0.5)  # a refused move must not reach the camera: nothing to wait for
        assert abs(client.status(profile).pan) < 0.01
    finally:
        service.close()


def test_camera_returns_home_after_the_idle_time(peer, client, demo_config, monkeypatch):
    config, camera_id = ptz_config(demo_config, peer, monkeypatch, home_after_s=1.0)
    profile = client.profiles()[0].token
    service = PtzService(config)
    try:
        service.move(OPERATOR, camera_id, -0.8, 0.0)
        wait_until(lambda: client.status(profile).pan < -0.05)
        service.stop(OPERATOR, camera_id)
        wait_until(lambda: abs(client.status(profile).pan) < 0.01, timeout=30)
    finally:
        service.close()
