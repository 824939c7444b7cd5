"""Camera operations are on the wall's toolbar, not only on keys: evidence export for a duty
officer and up, adding an ONVIF camera for an administrator of a commune whose config file the app may edit."""

from __future__ import annotations

import shutil

from PyQt6.QtWidgets import QPushButton

from controlroom.cameras.views import ViewStore
from controlroom.access.operators import Operator, Role
from controlroom.cameras.onvif_discovery import CameraDescription
from controlroom.cameras.stream_urls import with_demo_streams
from controlroom.config import demo_config_path, load_config
from controlroom.ui.cameras.discovery_dialog import CameraDiscoveryDialog
from controlroom.ui.cameras.ops import install_camera_ops
from controlroom.ui.cameras.wall import CameraWall
from controlroom.ui.shell.bridge import CoreBridge
from controlroom.ui.shell.context import AppContext


def _wall_with_ops(qtbot, make_core, demo_config, tmp_path, config_path):
    config = with_demo_streams(demo_config)  # no ONVIF hosts to reach
    core = make_core(config)
    context = AppContext(config, core, CoreBridge(core.bus, core.live), config_path=config_path)
    wall = CameraWall(core.cameras.config, core.cameras.pool, ViewStore(tmp_path / "views.json"))
    qtbot.addWidget(wall)
    install_camera_ops(context, wall)
    return context, wall


def _button(wall, text):
    return next((b for b in wall.findChildren(QPushButton) if b.text() == text), None)


def test_add_camera_is_for_an_administrator_and_opens_discovery(qtbot, make_core, demo_config, tmp_path):
    config_file = tmp_path / "commune.toml"
    shutil.copy(demo_config_path(), config_file)
    context, wall = _wall_with_ops(qtbot, make_core, demo_config, tmp_path, config_file)
    try:
        assert _button(wall, "Chứng cứ…") is not None
        add = _button(wall, "Thêm camera…")
        assert add is not None

        context.session.sign_in(Operator("trucban", "Nguyễn Văn An", Role.DUTY_OFFICER))
        assert not add.isEnabled() and "Nguyễn Văn An" in add.toolTip()  # the reason, before any click
        add.click()
        assert wall.findChild(CameraDiscoveryDialog) is None

        context.session.sign_in(Operator("quantri", "Trần Thị Bình", Role.ADMIN))
        add.click()
        dialog = wall.findChild(CameraDiscoveryDialog)
        assert dialog is not None
        # no service here: the console writes this PC's file (a camera as the dialog reads it)
        dialog.description = CameraDescription("127.0.0.1", 8000, "", "", "rtsp://127.0.0.1/main",
                                               "rtsp://127.0.0.1/sub", None, None, False, 0.0)
        dialog.camera_id.setText("cam_moi")
        dialog.name.setText("Camera mới")
        dialog.start_save()
        qtbot.waitUntil(lambda: "cam_moi" in config_file.read_text(encoding="utf-8"), timeout=30000)
        assert any(c.id == "cam_moi" for c in load_config(config_file).cameras)
        dialog.close()
    finally:
        context.shutdown()
        wall.close_wall()
        context.bridge.close()


def test_the_bundled_demo_config_offers_no_add_camera(qtbot, make_core, demo_config, tmp_path):
    context, wall = _wall_with_ops(qtbot, make_core, demo_config, tmp_path, None)
    try:
        assert _button(wall, "Thêm camera…") is None
        assert _button(wall, "Chứng cứ…") is not None
    finally:
        context.shutdown()
        wall.close_wall()
        context.bridge.close()
