"""The camera wall with camera operations installed: PTZ controls appear on a maximised PTZ
camera and move the real ONVIF peer, Ctrl+E exports signed evidence from the live reader,
and the wall's cameras are published on MQTT."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtTest import QTest

import controlroom.cameras.video_backends  # noqa: F401
from controlroom.cameras.views import ViewStore
from controlroom.config import OnvifCameraConfig
from controlroom.cameras.evidence import verify_package
from controlroom.cameras.onvif_client import OnvifCamera
from controlroom.access.operators import Operator, Role
from controlroom.ui.cameras.ops import install_camera_ops
from controlroom.ui.cameras.wall import CameraWall
from controlroom.ui.shell.bridge import CoreBridge
from controlroom.ui.shell.context import AppContext
from controlroom.ui.cameras.evidence_dialog import EvidenceDialog


def test_wall_gets_ptz_evidence_and_mqtt_health(peer, demo_config, mqtt_broker, monkeypatch, qtbot, tmp_path, make_core):
    monkeypatch.setenv("CONTROLROOM_CAMERA_SOURCE", "config")
    monkeypatch.setenv("CR_TEST_CAM_PASSWORD", peer.password)
    client = OnvifCamera(peer.host, peer.onvif_port, peer.user, peer.password)
    profiles = client.profiles()
    token = profiles[0].token
    client.goto_home(token)
    camera = demo_config.cameras[0].model_copy(update={
        "main_url": profiles[0].stream_uri, "sub_url": profiles[1].stream_uri, "ptz": True,
        "onvif": OnvifCameraConfig(host=peer.host, port=peer.onvif_port, user=peer.user,
                                   password_env="CR_TEST_CAM_PASSWORD", home_after_s=0)})
    config = demo_config.model_copy(update={"cameras": [camera]})
    core = make_core(config, broker=mqtt_broker, client_id="console-w", monitor_cameras=True)
    bridge = CoreBridge(core.bus, core.live)
    context = AppContext(config, core, bridge)
    context.session.sign_in(Operator("trucban", "Nguyễn Văn An", Role.DUTY_OFFICER))
    pool = core.cameras.pool
    wall = CameraWall(core.cameras.config, pool, ViewStore(tmp_path / "views.json"))
    qtbot.addWidget(wall)
    ops = install_camera_ops(context, wall)
    wall.resize(1280, 800)
    wall.show()
    try:
        wall.assign(0, camera.id, save=False)
        wall.maximise(0)
        qtbot.waitUntil(lambda: ops._ptz_controller is not None, timeout=10000)
        wall.max_tile.setFocus()
        QTest.keyPress(wall.max_tile, Qt.Key.Key_Right)
        qtbot.waitUntil(lambda: client.status(token).pan > 0.05, timeout=30000)
        QTest.keyRelease(wall.max_tile, Qt.Key.Key_Right)
        qtbot.waitUntil(lambda: not client.status(token).moving, timeout=30000)

        status = core.cameras.status
        qtbot.waitUntil(lambda: (status.latest().get(camera.id) is not None
                                 and status.latest()[camera.id].state == "live"), timeout=60000)

        qtbot.waitUntil(lambda: pool.get(camera.id, "main") is not None
                        and pool.get(camera.id, "main").latest_full() is not None, timeout=60000)
        ops.export_evidence()
        dialog = wall.findChild(EvidenceDialog)
        assert dialog is not None
        dialog.include_clip.setChecked(False)
        dialog.reason.setPlainText("Yêu cầu của Công an xã")
        dialog.start_export()
        qtbot.waitUntil(lambda: dialog.package is not None, timeout=60000)
        assert verify_package(dialog.package.folder).ok
        dialog.close()
    finally:
        client.close()  # before the core ends the ONVIF event loop the client also runs on
        context.shutdown()
        wall.close_wall()
        bridge.close()
        core.stop()
