"""Presentation of the real camera wall on a 65-inch display: pictures only. The wall's toolbar
wraps (a flow layout) and gains buttons from the camera operations, so presentation must hide
what the wall itself says is chrome, not guess at rows."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QDockWidget, QMainWindow

from controlroom.cameras.stream_urls import with_demo_streams
from controlroom.cameras.views import ViewStore, WallView
from controlroom.ui.cameras.ops import install_camera_ops
from controlroom.ui.cameras.wall import CameraWall
from controlroom.ui.screens.manager import ScreenInfo
from controlroom.ui.screens.presentation import PresentationMode
from controlroom.ui.shell.bridge import CoreBridge
from controlroom.ui.shell.context import AppContext

WALL_SCREEN = ScreenInfo("wall", 0, 0, 1920, 1080, 1428, 803)
CONTROLS = (QAbstractButton, QComboBox, QAbstractSpinBox)


def _visible_controls(wall: CameraWall) -> list[str]:
    return [getattr(w, "text", lambda: type(w).__name__)() for w in wall.findChildren(CONTROLS) if w.isVisible()]


def _is_blank(tile) -> bool:
    image = tile.grab().toImage()
    first = image.pixel(0, 0)
    return all(image.pixel(x, y) == first for x in range(0, image.width(), 3) for y in range(0, image.height(), 3))


def test_presentation_shows_the_pictures_only_and_leaving_restores_the_controls(qtbot, make_core, second_config, tmp_path):
    config = with_demo_streams(second_config)
    core = make_core(config)
    context = AppContext(config, core, CoreBridge(core.bus, core.live))
    wall = CameraWall(core.cameras.config, core.cameras.pool, ViewStore(tmp_path / "views.json"))
    install_camera_ops(context, wall)  # adds "Evidence…" to the toolbar after it was built
    window = QMainWindow()
    qtbot.addWidget(window)
    dock = QDockWidget("wall", window)
    dock.setWidget(wall)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    try:
        first, second, third = (c.id for c in config.cameras[:3])
        mine = WallView("mine", "3x3", [first, None, second, None, None, None, third, None, None])
        wall.apply_view(mine)
        window.resize(1280, 720)
        window.show()
        qtbot.waitExposed(window)
        before = _visible_controls(wall)
        assert len(before) >= 5 and wall.camera_list.isVisible()
        empty = wall.tiles[1]
        assert not _is_blank(empty)  # an operator's empty cell invites a drag

        mode = PresentationMode(window, WALL_SCREEN, {"camera_wall": dock}, cycle=["camera_wall"])
        mode.enter()
        qtbot.waitUntil(lambda: window.isFullScreen())
        assert _visible_controls(wall) == []
        assert not wall.camera_list.isVisible() and not wall.message.isVisible()
        # three cameras fill a 2x2, not a 3x3 of six black cells; the one cell left is just black
        assert wall.view.layout_id == "2x2" and wall.view.cells == [first, second, third, None]
        assert _is_blank(wall.tiles[3])

        mode.leave()
        assert _visible_controls(wall) == before and wall.camera_list.isVisible()
        assert (wall.view.name, wall.view.layout_id, wall.view.cells) == (mine.name, mine.layout_id, mine.cells)
        assert not _is_blank(wall.tiles[1])
    finally:
        context.shutdown()
        wall.close_wall()
        context.bridge.close()

