"""The PTZ tile: on-tile controls, drag, keys and wheel zoom reach the real ONVIF peer; a viewer
sees the core's refusal on the tile."""

from __future__ import annotations

import os
import time
from zoneinfo import ZoneInfo

from PyQt6.QtCore import QPoint, QPointF, Qt
from PyQt6.QtGui import QWheelEvent
from PyQt6.QtWidgets import QApplication
from PyQt6.QtTest import QTest

import controlroom.cameras.video_backends  # noqa: F401
from controlroom.config import OnvifCameraConfig
from controlroom.cameras.onvif_client import OnvifCamera
from controlroom.access.operators import Operator, Role
from controlroom.cameras.ptz import PtzService
from controlroom.cameras.video_reader import StreamReader
from controlroom.widgets.camera_tile import CameraTile
from controlroom.widgets.ptz_controls import PtzTileController

OPERATOR = Operator("vanhanh", "Trần Thị Bình", Role.OPERATOR)
VIEWER = Operator("xem", "Khách xem", Role.VIEWER)


def test_drag_keys_and_buttons_move_the_camera_and_release_stops_it(peer, demo_config, monkeypatch, qtbot, audit):
    monkeypatch.setenv("CR_TEST_CAM_PASSWORD", peer.password)
    camera = demo_config.cameras[5].model_copy(update={"ptz": True, "onvif": OnvifCameraConfig(
        host=peer.host, port=peer.onvif_port, user=peer.user, password_env="CR_TEST_CAM_PASSWORD", home_after_s=0)})
    config = demo_config.model_copy(update={"cameras": [camera]})
    client = OnvifCamera(peer.host, peer.onvif_port, peer.user, peer.password)
    profiles = client.profiles()
    token = profiles[0].token
    client.goto_home(token)
    client.set_preset(token, "Cột thủy chí")
    service = PtzService(config, audit)
    who = {"operator": OPERATOR}
    reader = StreamReader(camera.id, profiles[0].stream_uri).start()
    tile = CameraTile(0, ZoneInfo("Asia/Ho_Chi_Minh"))
    tile.set_camera(camera, "Lương Cổ")
    shots = os.environ.get("CAMERA_OPS_SHOTS")
    tile.resize(1920, 1080) if shots else tile.resize(800, 500)
    controller = PtzTileController(tile, service, camera.id, lambda: who["operator"])
    tile.show()
    try:
        qtbot.waitUntil(lambda: reader.latest() is not None, timeout=60000)
        tile.set_health(reader.health_snapshot())
        qtbot.waitUntil(lambda: controller.controls.presets.count() >= 2, timeout=30000)

        QTest.mousePress(tile, Qt.MouseButton.LeftButton, pos=QPoint(200, 300))
        QTest.mouseMove(tile, QPoint(360, 300))
        qtbot.waitUntil(lambda: client.status(token).pan > 0.05, timeout=30000)
        QTest.mouseRelease(tile, Qt.MouseButton.LeftButton, pos=QPoint(360, 300))
        qtbot.waitUntil(lambda: not client.status(token).moving, timeout=30000)

        pan = client.status(token).pan
        tile.setFocus()
        QTest.keyPress(tile, Qt.Key.Key_Left)
        qtbot.waitUntil(lambda: client.status(token).pan < pan - 0.05, timeout=30000)
        QTest.keyRelease(tile, Qt.Key.Key_Left)
        qtbot.waitUntil(lambda: not client.status(token).moving, timeout=30000)

        wheel = QWheelEvent(QPointF(300, 300), QPointF(tile.mapToGlobal(QPoint(300, 300))), QPoint(0, 0), QPoint(0, 120),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(tile, wheel)  # one notch: zoom in for a moment, then stop
        qtbot.waitUntil(lambda: client.status(token).zoom > 0.01, timeout=30000)
        qtbot.waitUntil(lambda: not client.status(token).moving, timeout=30000)

        controller.controls.presets.setCurrentText("Cột thủy chí")
        controller.controls.goto_selected()
        qtbot.waitUntil(lambda: abs(client.status(token).pan) < 0.01, timeout=30000)

        if shots:
            for _ in range(10):
                tile.set_frame(reader.latest())
                tile.set_health(reader.health_snapshot())
                qtbot.wait(50)
            tile.grab().save(os.path.join(shots, "ptz_tile.png"))

        who["operator"] = VIEWER
        QTest.keyPress(tile, Qt.Key.Key_Right)
        QTest.keyRelease(tile, Qt.Key.Key_Right)
        assert controller.controls.message.isVisible()
        assert "Khách xem" in controller.controls.message.text()
        time.sleep(0.5)  # a refused move must not reach the camera: nothing to wait for
        assert abs(client.status(token).pan) < 0.01
        if shots:
            tile.grab().save(os.path.join(shots, "ptz_tile_viewer_refused.png"))
    finally:
        reader.stop()
        service.close()
        client.close()
        reader.join(15)
