"""Camera clocks are asked once, where the duties run: the service checks a drifting ONVIF
camera (a real peer, clock 90 s ahead) and every attached console tells its operator, also one
that starts after the check; attached consoles do not ask the camera themselves."""

from __future__ import annotations

import re

import pytest

from controlroom.cameras.onvif_client import OnvifCamera
from controlroom.config import OnvifCameraConfig
from controlroom.service.runner import ControlRoomService

from ..conftest import wait_until

pytestmark = pytest.mark.timeout(180)


def _drifting_site(second_config, peer, monkeypatch):
    monkeypatch.setenv("CONTROLROOM_CAMERA_SOURCE", "config")  # this camera is real: the peer
    monkeypatch.setenv("CR_TEST_CAM_PASSWORD", peer.password)
    client = OnvifCamera(peer.host, peer.onvif_port, peer.user, peer.password)
    try:
        sub_url = client.profiles()[1].stream_uri
    finally:
        client.close()
    camera = second_config.cameras[0].model_copy(update={
        "main_url": sub_url, "sub_url": sub_url, "backend": "opencv",
        "onvif": OnvifCameraConfig(host=peer.host, port=peer.onvif_port, user=peer.user,
                                   password_env="CR_TEST_CAM_PASSWORD")})
    return second_config.model_copy(update={"cameras": [camera]}), camera


def test_the_service_checks_camera_clocks_and_every_console_is_told(make_peer, second_config, mqtt_broker, tmp_path,
                                                                     data_dir, make_core, monkeypatch):
    peer = make_peer(extra=["--clock-offset", "90"])
    config, camera = _drifting_site(second_config, peer, monkeypatch)
    service = ControlRoomService(config, db_url=f"sqlite:///{(tmp_path / 'service.sqlite3').as_posix()}",
                                 feed_options={"host": mqtt_broker.host, "port": mqtt_broker.port},
                                 data_dir=data_dir / "service", monitor_cameras=True)
    heard_a: list[str] = []
    service.start()
    try:
        assert service.core.cameras.clocks.checks_here
        a = make_core(config, broker=mqtt_broker, db_url=service.core.db_url, client_id="console-clock-a",
                      attached=True, monitor_cameras=True)
        a.cameras.add_notice_listener(heard_a.append)
        assert not a.cameras.clocks.checks_here  # the console watches the camera but does not ask it
        wait_until(lambda: heard_a, 90, message="the drifting camera told to the attached console")
        assert camera.name in heard_a[0] and 80 < int(re.search(r"\+(\d+)", heard_a[0]).group(1)) < 100
        assert "dịch vụ phòng điều hành" in heard_a[0] and "máy tính này" not in heard_a[0]  # checked on the service's PC

        b = make_core(config, broker=mqtt_broker, db_url=service.core.db_url, client_id="console-clock-b",
                      attached=True)  # starts after the check: the retained result tells it
        wait_until(lambda: b.cameras.clocks.drifting(), 30, message="the retained clock result")
        heard_b: list[str] = []
        b.cameras.add_notice_listener(heard_b.append)  # a view opened later still reads it
        assert len(heard_b) == 1 and camera.name in heard_b[0]
    finally:
        service.stop()
    assert len(heard_a) == 1  # told once, not again with every message
