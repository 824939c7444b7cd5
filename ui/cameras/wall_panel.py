"""The camera wall as a main-window panel: the wall on the core's cameras (``core.cameras``:
readers, snapshots, PTZ), saved views in the data dir, alarm call-ups from the core's alert
path, and "show this camera" requests from the other panels (the navigator)."""

from __future__ import annotations

from PyQt6.QtWidgets import QWidget

from controlroom.cameras.views import ViewStore
from controlroom.ui.cameras.wall import CameraWall
from controlroom.ui.shell.docks import bring_to_front


def open_camera(wall: CameraWall, camera_id: str) -> None:
    """Bring `camera_id` on screen: select its tile if shown, else put it in the selected tile
    (an enlarged camera gives way: the operator asked to see another one)."""
    if wall.enlarged:
        wall.restore()
    for index in range(len(wall.view.cells)):
        camera = wall.camera_in(index)
        if camera is not None and camera.id == camera_id:
            wall.select(index)
            return
    wall.assign(wall.selected, camera_id)


def create_camera_wall_panel(context, parent: QWidget) -> CameraWall:
    """Panel factory (ui.panels)."""
    from controlroom.ui.cameras.ops import install_camera_ops  # PTZ controls, evidence (Ctrl+E), adding cameras

    cameras = context.core.cameras
    folder = context.core.data_dir
    views = ViewStore(folder / "camera_views.json")

    def operator() -> str:  # whoever is acting when the snapshot is taken
        return context.session.acting_operator().username

    wall = CameraWall(cameras.config, cameras.pool, views, screen="main", snapshots=cameras.snapshots,
                      export_dir=folder / "replays", operator=operator, ui_scale=context.ui_scale, parent=parent)
    context.bridge.alert_changed.connect(wall.on_alert_changed)
    context.navigator.provide("camera", lambda camera_id: (open_camera(wall, camera_id), bring_to_front(wall)))
    install_camera_ops(context, wall)

    def shutdown() -> None:
        wall.close_wall()
        views.flush()

    context.on_shutdown(shutdown)
    return wall
