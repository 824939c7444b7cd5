"""Enlarging one camera of the wall: from its main stream, over the whole window that holds
the wall (ui/cameras/full_window.py), kept while the room changes the wall by itself.

A mixin of CameraWall (ui/cameras/wall.py), kept apart so each module has one job.
"""

from __future__ import annotations

from controlroom.i18n import tr
from controlroom.ui.cameras.full_window import FullWindow
from controlroom.widgets.camera_tile import DISPLAY_FORMAT


class WallEnlarge:
    """Needs from the wall: pool, cameras, villages, tiles, max_tile, stack, grid_host, presenting,
    ui_scale, _tile_readers, _max_reader, _max_index, _cover, _watching."""

    def _max_tile_resized(self, _index: int) -> None:
        if self._max_reader is not None:
            video = self.max_tile.video_rect()
            self._max_reader.set_target_size(video.width(), video.height())

    def maximise(self, index: int) -> None:
        """Show tile `index` alone, from the camera's main stream; double-click returns."""
        reader = self._tile_readers.get(index)
        if reader is None:
            return
        camera = self.cameras[reader.camera_id]
        self.restore()
        self._max_index = index
        self._max_reader = self.pool.acquire(camera.id, camera.main_url, camera.backend, "main")
        self._max_reader.set_display_format(DISPLAY_FORMAT)
        if self._watching:
            self._max_reader.watch()
        self.max_tile.set_camera(camera, self.villages.get(camera.village, camera.village), camera.main_url)
        self.max_tile.set_alarm(self.tiles[index].alarm_text)
        window = self.window()
        if self._cover is None or self._cover.parentWidget() is not window:
            if self._cover is not None:
                self._cover.dispose()  # the wall moved to another window since (a floated panel)
            self._cover = FullWindow(window, self.restore, self.ui_scale)
        self.stack.removeWidget(self.max_tile)
        hint = "" if self.presenting else tr("Double-click or Esc: back to the wall")
        self._cover.hold(self.max_tile, hint)  # the whole window, not just the wall's panel
        self._max_tile_resized(-1)

    def restore(self) -> None:
        if self._max_reader is not None:
            if self._watching:
                self._max_reader.unwatch()
            self.pool.release(self._max_reader)
            self._max_reader = None
        self._max_index = None
        self.max_tile.set_camera(None)
        if self._cover is not None and self._cover.release() is not None:
            self.stack.addWidget(self.max_tile)  # back in its place, out of sight
        self.stack.setCurrentWidget(self.grid_host)

    @property
    def enlarged(self) -> bool:
        """A camera is enlarged over the window."""
        return self._cover is not None and self._cover.held is not None

    @property
    def maximised_index(self) -> int | None:
        return self._max_index

    def _follow_enlarged(self, camera_id: str) -> None:
        """The enlarged camera's cell in the new view (for its sub stream and snapshots); back to
        the grid only if the new view no longer has it."""
        index = next((i for i, reader in sorted(self._tile_readers.items()) if reader.camera_id == camera_id), None)
        if index is None:
            self.restore()
            return
        self._max_index = index
