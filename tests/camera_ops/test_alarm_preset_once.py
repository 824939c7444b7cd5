"""An alarm preset moves a camera once, from where the duties run: a console attached to the
site's service sees the same alert and must not send the camera there again."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from controlroom.access.operators import Operator, Role
from controlroom.config import OnvifCameraConfig
from controlroom.service.runner import ControlRoomService
from controlroom.storage.models import audit_log

from ..conftest import wait_until

OFFICER = Operator("truc_ban_vh", "Trực ban VH", Role.DUTY_OFFICER)


def test_an_alarm_preset_is_sent_by_the_service_alone(second_config, peer, mqtt_broker, make_core, raw_client,
                                                      tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("CR_TEST_CAM_PASSWORD", peer.password)
    monkeypatch.setenv("CONTROLROOM_CAMERA_SOURCE", "config")  # the configured ONVIF peer; no stream is opened
    pond = second_config.sensor("ao_tom_1")
    camera = second_config.cameras[0].model_copy(update={
        "ptz": True, "onvif": OnvifCameraConfig(host=peer.host, port=peer.onvif_port, user=peer.user,
                                                password_env="CR_TEST_CAM_PASSWORD",
                                                alarm_presets={f"sensor/{pond.id}": "ven_ao"})})
    config = second_config.model_copy(update={"cameras": [camera, *second_config.cameras[1:]]})
    service = ControlRoomService(config, db_url=f"sqlite:///{(tmp_path / 'service.sqlite3').as_posix()}",
                                 feed_options={"host": mqtt_broker.host, "port": mqtt_broker.port},
                                 data_dir=data_dir, monitor_cameras=False)
    service.start()
    try:
        service.core.cameras.ptz.save_preset(OFFICER, camera.id, "ven_ao").result(timeout=30)
        console = make_core(config, broker=mqtt_broker, db_url=service.core.db_url, client_id="console-ptz", attached=True)
        for core in (service.core, console):
            assert core.feed.wait_subscribed(30)
        client = raw_client(mqtt_broker.host, mqtt_broker.port, config.topic_prefix)
        client.client.publish(f"{config.topic_prefix}/sensor/{pond.id}/reading",
                              json.dumps({"ts": int(time.time() * 1000), "values": {"do": 1.5}}), qos=1).wait_for_publish(10)
        wait_until(lambda: any(a.source.startswith(f"sensor/{pond.id}") and a.active
                               for a in console.alerts.snapshot().alerts), 30, message="the alert never reached the console")

        def moves() -> int:
            with service.core.engine.connect() as conn:
                rows = conn.execute(select(audit_log.c.action).where(audit_log.c.target == f"camera/{camera.id}"))
                return sum(1 for (action,) in rows if action == "camera.ptz.preset")

        wait_until(lambda: moves() >= 1, 30, message="the service never sent the alarm preset")
        for core in (service.core, console):  # whatever either queued on the alert is written by now
            core.cameras.ptz.close()
            core.storage.execute(lambda conn: None).result(timeout=30)
        assert moves() == 1
    finally:
        service.stop()


def test_an_attached_console_moves_a_camera_through_the_service(second_config, peer, mqtt_broker, make_core,
                                                               tmp_path, data_dir, monkeypatch):
    """The joystick, home and presets of an attached console are commands: the service moves
    the camera and audits under the operator's name; a viewer is told no at once; a preset the
    camera lacks comes back in words."""
    from controlroom.access.accounts import upsert_operator
    from controlroom.access.operators import PermissionDenied, operator_row
    from controlroom.cameras.onvif_client import OnvifCamera
    from controlroom.cameras.ptz_at_service import PtzAtService

    monkeypatch.setenv("CR_TEST_CAM_PASSWORD", peer.password)
    monkeypatch.setenv("CONTROLROOM_CAMERA_SOURCE", "config")
    camera = second_config.cameras[0].model_copy(update={
        "ptz": True, "onvif": OnvifCameraConfig(host=peer.host, port=peer.onvif_port, user=peer.user,
                                                password_env="CR_TEST_CAM_PASSWORD")})
    config = second_config.model_copy(update={"cameras": [camera, *second_config.cameras[1:]]})
    service = ControlRoomService(config, db_url=f"sqlite:///{(tmp_path / 'service.sqlite3').as_posix()}",
                                 feed_options={"host": mqtt_broker.host, "port": mqtt_broker.port},
                                 data_dir=data_dir, monitor_cameras=False)
    service.start()
    client = OnvifCamera(peer.host, peer.onvif_port, peer.user, peer.password)
    try:
        with service.core.engine.begin() as conn:
            upsert_operator(conn, operator_row(config.site.id, "vanhanh_vh", "Vận hành VH", Role.OPERATOR, "mk-vh"))
            upsert_operator(conn, operator_row(config.site.id, "xem_vh", "Người xem VH", Role.VIEWER, "mk-xem"))
        console = make_core(config, broker=mqtt_broker, db_url=service.core.db_url, client_id="console-ptz2", attached=True)
        assert console.feed.wait_subscribed(30) and service.core.feed.wait_subscribed(30)
        ptz = console.cameras.ptz
        assert isinstance(ptz, PtzAtService)
        profile = client.profiles()[0].token
        client.goto_home(profile)
        wait_until(lambda: abs(client.status(profile).pan) < 0.01)

        viewer = console.access.authenticate("xem_vh", "mk-xem")
        with pytest.raises(PermissionDenied):
            ptz.move(viewer, camera.id, 0.6, 0.0)
        operator = console.access.authenticate("vanhanh_vh", "mk-vh")
        ptz.move(operator, camera.id, 0.6, 0.3)
        wait_until(lambda: client.status(profile).pan > 0.05, message="the camera never moved")
        ptz.stop(operator, camera.id)
        ptz.save_preset(operator, camera.id, "ben_do").result(timeout=30)
        assert "ben_do" in [p.name for p in ptz.presets(camera.id).result(timeout=30)]
        with pytest.raises(LookupError) as missing:
            ptz.goto_preset(operator, camera.id, "khong_co").result(timeout=30)
        assert "khong_co" in str(missing.value)
        ptz.goto_home(operator, camera.id)
        wait_until(lambda: abs(client.status(profile).pan) < 0.01, message="the camera never went home")

        def audited():
            with service.core.engine.connect() as conn:
                rows = conn.execute(select(audit_log.c.actor, audit_log.c.action).where(
                    audit_log.c.target == f"camera/{camera.id}"))
                return {(r.actor, r.action) for r in rows}

        wanted = {("vanhanh_vh", "camera.ptz.move"), ("vanhanh_vh", "camera.ptz.save_preset"),
                  ("vanhanh_vh", "camera.ptz.home")}
        wait_until(lambda: wanted <= audited(), 30, message="the moves were not audited at the service")
    finally:
        client.close()
        service.stop()
