"""The camera wall as a main-window panel: wiring the wall to the running app.

Readers for every camera (health and replay for all, shown or not), views in the data dir,
snapshots recorded through the storage writer, camera online/offline on the bus (for the map,
the device history and the camera-offline alert rule), alarms from the bridge, camera clicks
from the map. Published as ``context.services["camera_wall"]``.
"""

from __future__ import annotations

import getpass

from PyQt6.QtWidgets import QWidget

from controlroom.cameras.views import ViewStore
from controlroom.cameras.snapshots import SnapshotService
from controlroom.ui.cameras.wall import CameraWall
from controlroom.cameras.video_reader import HealthMonitor, ReaderPool


def open_camera(wall: CameraWall, camera_id: str) -> None:
    """Bring `camera_id` on screen: select its tile if shown, else put it in the selected tile."""
    for index in range(len(wall.view.cells)):
        camera = wall.camera_in(index)
        if camera is not None and camera.id == camera_id:
            wall.select(index)
            return
    wall.assign(wall.selected, camera_id)


def create_camera_wall_panel(context, parent: QWidget) -> CameraWall:
    """Panel factory (ui.panels): readers for every camera, views in the data dir, snapshots
    recorded through the storage writer, alarms from the bridge, camera clicks from the map."""
    from controlroom.paths import data_dir
    from controlroom.cameras.stream_urls import camera_source_config

    folder = data_dir()
    config = camera_source_config(context.config)
    pool = ReaderPool()
    views = ViewStore(folder / "camera_views.json")
    core = context.core
    writer = getattr(core, "storage", None)
    snapshots = SnapshotService(folder / "snapshots", config.site.id, config.site.tz, writer)
    def operator() -> str:  # whoever is signed in when the snapshot is taken
        return str(context.services.get("operator_name") or getpass.getuser())
    wall = CameraWall(config, pool, views, screen="main", snapshots=snapshots, export_dir=folder / "replays",
                      operator=operator, keep_all_open=True, ui_scale=context.ui_scale, parent=parent)
    context.bridge.room_alert.connect(wall.on_room_alert)
    map_panel = context.services.get("map")
    if map_panel is not None and hasattr(map_panel, "cameraRequested"):
        map_panel.cameraRequested.connect(lambda camera_id: open_camera(wall, camera_id))
    context.services["camera_wall"] = wall
    from controlroom.ui.cameras.ops import install_camera_ops  # PTZ, evidence (Ctrl+E), camera health on MQTT

    install_camera_ops(context, wall, pool)
    monitor = HealthMonitor(pool, core.bus).start() if getattr(core, "bus", None) is not None else None

    def shutdown() -> None:
        if monitor is not None:
            monitor.stop()
        wall.close_wall()
        pool.close(timeout_s=2.0)
        snapshots.close()
        views.flush()

    context.on_shutdown(shutdown)
    return wall
