"""The camera wall's operations follow the acting operator's role: what a viewer may not do is
disabled with the reason as its tooltip, and Ctrl+E opens nothing for them."""

from __future__ import annotations

from PyQt6.QtWidgets import QPushButton

from controlroom.access.operators import Operator, Role
from controlroom.i18n import tr
from controlroom.cameras.views import ViewStore
from controlroom.ui.cameras.evidence_dialog import EvidenceDialog
from controlroom.ui.cameras.ops import install_camera_ops
from controlroom.ui.cameras.wall import CameraWall
from controlroom.ui.shell.bridge import CoreBridge
from controlroom.ui.shell.context import AppContext
from controlroom.widgets.ptz_controls import PtzControls

VIEWER = Operator("xem_vh", "Người xem", Role.VIEWER)
OFFICER = Operator("trucban_vh", "Trực ban", Role.DUTY_OFFICER)


def _evidence_button(wall) -> QPushButton:
    return next(b for b in wall.findChildren(QPushButton) if b.text() == tr("Evidence…"))


def test_a_viewer_sees_evidence_disabled_with_the_reason_and_ctrl_e_opens_nothing(second_config, make_core,
                                                                                 qtbot, tmp_path):
    core = make_core(second_config)
    bridge = CoreBridge(core.bus, core.live)
    context = AppContext(second_config, core, bridge)
    wall = CameraWall(core.cameras.config, core.cameras.pool, ViewStore(tmp_path / "views.json"))
    qtbot.addWidget(wall)
    ops = install_camera_ops(context, wall)
    try:
        button = _evidence_button(wall)
        assert not button.isEnabled()  # signed out: nobody may act
        context.session.sign_in(VIEWER)
        assert not button.isEnabled() and VIEWER.display_name in button.toolTip()
        ops.export_evidence()
        assert wall.findChild(EvidenceDialog) is None
        assert VIEWER.display_name in wall.message.text()
        context.session.sign_in(OFFICER)
        assert button.isEnabled() and "Ctrl+E" in button.toolTip()
    finally:
        context.shutdown()
        wall.close_wall()
        bridge.close()


def test_ptz_controls_are_disabled_for_a_role_that_may_not_move_the_camera(qtbot):
    controls = PtzControls(None, "vh_cam", lambda: VIEWER)
    qtbot.addWidget(controls)
    controls.apply_role(VIEWER)
    buttons = controls.findChildren(QPushButton)
    assert buttons and not any(b.isEnabled() for b in buttons) and not controls.presets.isEnabled()
    assert all(VIEWER.display_name in b.toolTip() for b in buttons)
    controls.apply_role(OFFICER)
    assert all(b.isEnabled() for b in buttons)
    assert tr("Home position") in {b.toolTip() for b in buttons}  # each button's own tip is back


def test_a_viewer_may_not_save_snapshots_or_replay_clips(second_config, make_core, qtbot, tmp_path):
    from controlroom.cameras.views import WallView

    core = make_core(second_config)
    bridge = CoreBridge(core.bus, core.live)
    context = AppContext(second_config, core, bridge)
    wall = CameraWall(core.cameras.config, core.cameras.pool, ViewStore(tmp_path / "views.json"),
                      snapshots=core.cameras.snapshots, export_dir=tmp_path / "replays")
    qtbot.addWidget(wall)
    install_camera_ops(context, wall)
    camera = second_config.cameras[0]
    wall.apply_view(WallView("mine", "2x2", [camera.id, None, None, None]))
    try:
        context.session.sign_in(VIEWER)
        for button in (wall.snapshot_button, wall.replay_button, wall.play_clip_button):
            assert not button.isEnabled() and VIEWER.display_name in button.toolTip()
        assert VIEWER.display_name in wall.tiles[0].export_refusal  # the tile's menu items too
        assert wall.snapshot(0) is None and wall.export_replay(0, 10) is None
        assert VIEWER.display_name in wall.message.text()
        assert not (tmp_path / "replays").exists()

        context.session.sign_in(OFFICER)
        assert wall.snapshot_button.isEnabled() and wall.tiles[0].export_refusal == ""
        assert wall.play_clip_button.isEnabled() and wall.play_clip_button.toolTip()  # its own tip back
        wall.snapshot(0)  # no picture from the camera yet: refused for that reason, not the role
        assert camera.name in wall.message.text() and OFFICER.display_name not in wall.message.text()
    finally:
        context.shutdown()
        wall.close_wall()
        bridge.close()
