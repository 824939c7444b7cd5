"""The camera wall panel: camera list, a grid of tiles, views, tours, snapshots, replay, alarms.

Threads: every stream is read on its own thread (controlroom.cameras.video_reader); this panel only
pulls. ONE frame timer (~50 Hz) asks the reader of each VISIBLE tile for its latest frame and
repaints the tiles whose frame changed; a 0.5 s timer refreshes health badges, tours and the
camera list. Snapshots, replay exports and view saves run on worker threads; their results
come back through a queued signal.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

from PyQt6.QtCore import QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (QGridLayout, QLabel, QSplitter, QStackedLayout, QVBoxLayout, QWidget)

from controlroom.alerts.episodes import EpisodeMemory
from controlroom.cameras.health import StreamState
from controlroom.cameras.views import TOUR_PREFIX, Tour, ViewStore, WallView, default_view, layout, layout_for, tour_name
from controlroom.config import CameraConfig, Config
from controlroom.i18n import tr
from controlroom.cameras.snapshots import SnapshotService
from controlroom.ui.cameras.full_window import FullWindow
from controlroom.ui.cameras.wall_enlarge import WallEnlarge
from controlroom.ui.cameras.wall_actions import WallOperatorActions
from controlroom.ui.cameras.wall_toolbar import WallToolbar
from controlroom.cameras.video_reader import ReaderPool, StreamReader
from controlroom.widgets.camera_list import CameraList
from controlroom.widgets.camera_tile import DISPLAY_FORMAT, CameraTile

log = logging.getLogger(__name__)

FRAME_INTERVAL_MS = 20
HEALTH_INTERVAL_MS = 500


class _Results(QObject):
    """Carries worker results to the GUI thread (emit from any thread: queued delivery)."""

    message = pyqtSignal(str)


class CameraWall(WallToolbar, WallOperatorActions, WallEnlarge, QWidget):
    view_changed = pyqtSignal(str)

    def __init__(self, config: Config, pool: ReaderPool, views: ViewStore, *, screen: str = "main",
                 snapshots: SnapshotService | None = None, export_dir: Path | None = None,
                 operator: str | Callable[[], str] = "", show_list: bool = True,
                 alarm_min_priority: int = 3, ui_scale: float = 1.0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config, self.pool, self.views, self.screen = config, pool, views, screen
        self.snapshots, self.export_dir, self.operator = snapshots, export_dir, operator
        self.tz = config.site.tz
        self.alarm_min_priority = alarm_min_priority
        self.ui_scale = ui_scale
        self.cameras = {c.id: c for c in config.cameras}
        self.villages = {v.id: v.name for v in config.villages}
        self._tile_readers: dict[int, StreamReader] = {}
        self._watching = False  # on screen: its readers decode pictures (see _set_watching)
        self._tours: dict[int, tuple[Tour, float]] = {}
        self._alarms: dict[str, tuple[list[str], str]] = {}  # open alarms on the wall: id -> (cameras, text)
        self._before_alarm: WallView | None = None  # the operator's view, kept aside during the alarm view
        self._alarm_episodes = EpisodeMemory()
        self._max_reader: StreamReader | None = None
        self._max_index: int | None = None
        self._cover: FullWindow | None = None  # holds max_tile over the window while a camera is enlarged
        self.selected = 0
        self.presenting = False  # on a presentation screen (set_presenting)
        self.export_refusal = ""  # why the acting operator may not save pictures or clips ("" if allowed)
        self._hidden_for_presentation: list[QWidget] = []
        self._before_presenting: WallView | None = None  # the operator's view, while a compact one is presented
        self.view = WallView("", "2x2", [])
        self.tiles: list[CameraTile] = []
        self._results = _Results(self)
        self._results.message.connect(self._show_message)
        self._build()
        self.camera_list.setVisible(show_list)
        self.apply_view(views.current(screen) or default_view(config))
        self._frame_timer = QTimer(self)
        self._frame_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._frame_timer.timeout.connect(self.pull_frames)
        self._frame_timer.start(FRAME_INTERVAL_MS)
        self._health_timer = QTimer(self)
        self._health_timer.timeout.connect(self.refresh_health)
        self._health_timer.start(HEALTH_INTERVAL_MS)

    # --- construction ------------------------------------------------------------------------

    def _build(self) -> None:
        bar = self._build_toolbar()
        self.message = QLabel(self)
        self.message.setStyleSheet("color: #9aa4ae;")
        self.grid_host = QWidget(self)
        self.grid_host.setStyleSheet("background: #000;")
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(2)
        self.max_tile = CameraTile(-1, self.tz, self, scale=self.ui_scale)
        self.max_tile.maximised = True
        self.max_tile.double_clicked.connect(lambda _i: self.restore())
        self.max_tile.size_changed.connect(self._max_tile_resized)
        self.max_tile.snapshot_requested.connect(lambda _i: self.snapshot(self._max_index if self._max_index is not None else self.selected))
        self.stack_host = QWidget(self)
        self.stack = QStackedLayout(self.stack_host)
        self.stack.addWidget(self.grid_host)
        self.stack.addWidget(self.max_tile)
        self.camera_list = CameraList(self.config, self)
        self.camera_list.camera_activated.connect(lambda cid: self.assign(self.selected, cid))
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.camera_list)
        splitter.addWidget(self.stack_host)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([round(220 * self.ui_scale), 1600])
        splitter.setCollapsible(1, False)
        self.camera_list.setVisible(True)
        self._splitter = splitter
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.addLayout(bar)
        outer.addWidget(splitter, 1)
        outer.addWidget(self.message)
        self._refresh_boxes()

    def set_camera_list_visible(self, visible: bool) -> None:
        self.camera_list.setVisible(visible)

    def refuse_exports(self, reason: str) -> None:
        """Snapshots and replay clips are not for everyone (the access rules decide, see
        camera ops): `reason` non-empty disables them everywhere on the wall and says why."""
        self.export_refusal = reason
        for button in (self.snapshot_button, self.replay_button, self.play_clip_button):  # recorded video too
            button.setEnabled(not reason)
            button.setToolTip(reason)
        if not reason:
            self.play_clip_button.setToolTip(tr("Play an exported replay or evidence video here"))
        for tile in [*self.tiles, self.max_tile]:
            tile.export_refusal = reason

    def set_presenting(self, presenting: bool) -> None:
        """A 65-inch wall display shows pictures only: no camera list, toolbar, messages or
        selection frame; the view's cameras in the smallest grid that holds them (a 4x4 view of
        three cameras left thirteen black cells on the wall), an empty cell black instead of
        inviting a drag. Leaving shows again exactly the controls and the view of before."""
        if presenting == self.presenting:
            return
        self.presenting = presenting
        if presenting:
            chrome = [self._toolbar.itemAt(i).widget() for i in range(self._toolbar.count())]
            chrome += [self.camera_list, self.message]
            self._hidden_for_presentation = [w for w in chrome if w is not None and not w.isHidden()]
            for widget in self._hidden_for_presentation:
                widget.hide()
        else:
            for widget in self._hidden_for_presentation:
                widget.show()
            self._hidden_for_presentation = []
        for tile in [*self.tiles, self.max_tile]:
            tile.presenting = presenting
            tile.update()
        if presenting:
            self._present_compact()
        else:
            self._end_compact()

    def _present_compact(self) -> None:
        """The populated cells in the smallest grid, unless the view is full or an alarm view is up."""
        cells = [cell for cell in self.view.cells if cell]
        compact = layout_for(len(cells))
        if not cells or self._before_alarm is not None or compact.size >= len(self.view.cells):
            return
        self._before_presenting = WallView(self.view.name, self.view.layout_id, list(self.view.cells))
        self._show_view(WallView("", compact.id, cells + [None] * (compact.size - len(cells))),
                        keep_alarms=True, keep_maximised=True)

    def _end_compact(self) -> None:
        """The view the presentation compacted, whole again."""
        before, self._before_presenting = self._before_presenting, None
        if before is not None:
            self._show_view(before, keep_alarms=True, keep_maximised=True)

    @property
    def operator_view(self) -> WallView:
        """The view to come back to after the room's own pictures: the one kept aside during an
        alarm view, else the one chosen, not its compacted presentation (a copy)."""
        view = self._before_alarm or self._before_presenting or self.view
        return WallView(view.name, view.layout_id, list(view.cells))

    # --- layouts and views -----------------------------------------------------------------

    def apply_view(self, view: WallView, keep_alarms: bool = False, keep_maximised: bool = False) -> None:
        """Show `view` (layout + cell contents); unknown cameras are left empty. An operator's
        choice of view ends the alarm view (the alarm view itself keeps its alarms).
        `keep_maximised`: the room changed the view by itself (an alarm called up or handled):
        the camera the operator enlarged stays enlarged if the new view has it.
        On a presentation screen the view chosen is shown compacted (flood mode's picture or an
        alarm handled there are chosen views too: the end of the presentation keeps them)."""
        self._before_presenting = None
        self._show_view(view, keep_alarms, keep_maximised)
        if self.presenting:
            self._present_compact()

    def _show_view(self, view: WallView, keep_alarms: bool, keep_maximised: bool) -> None:
        if not keep_alarms:
            self._leave_alarm_view()
        enlarged = self._max_reader.camera_id if keep_maximised and self._max_reader is not None else None
        if enlarged is None:
            self.restore()
        view = view.normalised()
        spec = layout(view.layout_id)
        for index in list(self._tile_readers):
            self._set_reader(index, None)
        self._tours.clear()
        while len(self.tiles) < spec.size:
            tile = CameraTile(len(self.tiles), self.tz, self.grid_host, scale=self.ui_scale)
            tile.presenting = self.presenting
            tile.export_refusal = self.export_refusal
            tile.dropped.connect(self.assign)
            tile.double_clicked.connect(self.maximise)
            tile.clicked.connect(self.select)
            tile.snapshot_requested.connect(self.snapshot)
            tile.replay_requested.connect(lambda i: self.export_replay(i, self.replay_seconds.value()))
            tile.clear_requested.connect(lambda i: self.assign(i, None))
            tile.size_changed.connect(self._tile_resized)
            self.tiles.append(tile)
        for tile in self.tiles:
            self.grid.removeWidget(tile)
            tile.hide()
        for r in range(self.grid.rowCount()):
            self.grid.setRowStretch(r, 0)
        for c in range(self.grid.columnCount()):
            self.grid.setColumnStretch(c, 0)
        for index, cell in enumerate(spec.cells):
            tile = self.tiles[index]
            tile.set_alarm("")
            self.grid.addWidget(tile, cell.row, cell.col, cell.rowspan, cell.colspan)
            tile.show()
        for r in range(spec.rows):
            self.grid.setRowStretch(r, 1)
        for c in range(spec.cols):
            self.grid.setColumnStretch(c, 1)
        self.view = WallView(view.name, spec.id, [None] * spec.size)
        for index, cell in enumerate(view.cells):
            self.assign(index, cell, save=False)
        self.select(min(self.selected, spec.size - 1))
        index = self.layout_box.findData(spec.id)
        if index < 0:  # a custom grid: list it so the box names what is shown
            index = self.layout_box.findData("custom")
            self.layout_box.insertItem(index, spec.id, spec.id)
        self.layout_box.setCurrentIndex(index)
        if enlarged is not None:
            self._follow_enlarged(enlarged)
        self.view_changed.emit(view.name)

    def set_layout(self, layout_id: str) -> None:
        """Change the layout, keeping the cameras of the first cells."""
        self.apply_view(WallView(self.view.name, layout(layout_id).id, list(self.view.cells)))

    def save_view(self, name: str) -> None:
        self.view = WallView(name, self.view.layout_id, list(self.view.cells))
        self.views.save_view(self.screen, self.view)
        self._refresh_boxes()

    def load_view(self, name: str) -> bool:
        view = self.views.views(self.screen).get(name)
        if view is None:
            return False
        self.apply_view(view)
        self.views.set_current(self.screen, name)
        return True

    def start_tour(self, index: int, tour: Tour) -> None:
        self.views.save_tour(tour)
        self.assign(index, TOUR_PREFIX + tour.name)
        self._refresh_boxes()

    def assign(self, index: int, cell: str | None, save: bool = True) -> None:
        """Show camera id / "tour:<name>" / nothing in tile `index`."""
        if not 0 <= index < len(self.view.cells):
            return
        self._tours.pop(index, None)
        name = tour_name(cell)
        camera_id = cell
        if name is not None:
            tour = self.views.tours().get(name)
            if tour is None or not tour.cameras:
                cell = camera_id = None
            else:
                self._tours[index] = (tour, time.monotonic())
                camera_id = tour.camera_at(0)
        if camera_id is not None and camera_id not in self.cameras:
            self._show_message(tr("No camera {id} in this configuration", id=camera_id))
            cell = camera_id = None
        self.view.cells[index] = cell
        self._show_camera(index, camera_id)
        self.tiles[index].tour_label = name or ""
        if save and self.view.name:
            self.views.save_view(self.screen, self.view)

    def _show_camera(self, index: int, camera_id: str | None) -> None:
        tile = self.tiles[index]
        camera = self.cameras.get(camera_id) if camera_id else None
        current = self._tile_readers.get(index)
        if camera is not None and current is not None and current.camera_id == camera.id:
            return
        self._set_reader(index, None)
        tile.set_camera(camera, self.villages.get(camera.village, camera.village) if camera else "", camera.sub_url if camera else "")
        if camera is not None:
            reader = self.pool.acquire(camera.id, camera.sub_url, camera.backend, "sub")
            reader.set_display_format(DISPLAY_FORMAT)
            self._set_reader(index, reader)
            self._tile_resized(index)

    def _set_reader(self, index: int, reader: StreamReader | None) -> None:
        old = self._tile_readers.pop(index, None)
        if old is not None:
            if self._watching:
                old.unwatch()
            self.pool.release(old)
        if reader is not None:
            self._tile_readers[index] = reader
            if self._watching:
                reader.watch()

    def _set_watching(self, watching: bool) -> None:
        """Readers decode pictures only for a wall on screen (packet cameras; the others decode
        anyway): hidden behind another page, the wall's cameras cost their demux only."""
        if watching == self._watching:
            return
        self._watching = watching
        readers = list(self._tile_readers.values()) + ([self._max_reader] if self._max_reader is not None else [])
        for reader in readers:
            reader.watch() if watching else reader.unwatch()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._set_watching(True)
        if self._cover is not None and self._cover.held is not None:
            if self._cover.parentWidget() is self.window():
                self._cover.reveal()  # the wall's page is back: so is the camera it had enlarged
            else:
                self.restore()  # the wall moved to another window (a floated panel): back to its grid

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().hideEvent(event)
        self._set_watching(False)
        if self._cover is not None:
            self._cover.hide()  # another page took the wall's place: its enlarged camera goes with it

    def _tile_resized(self, index: int) -> None:
        reader = self._tile_readers.get(index)
        if reader is not None and index >= 0:
            video = self.tiles[index].video_rect()
            reader.set_target_size(video.width(), video.height())

    # --- the two timers ------------------------------------------------------------------------

    def pull_frames(self) -> None:
        """GUI timer: give each visible tile its reader's latest frame if it is new."""
        if self._max_reader is not None:
            frame = self._max_reader.latest()
            if frame is None and self._max_index is not None:  # main stream not up yet: keep the sub stream
                sub = self._tile_readers.get(self._max_index)
                frame = sub.latest() if sub else None
                if frame is not None and frame.seq != self.max_tile.seq:
                    self.max_tile.set_frame(frame)
                    self.max_tile.seq = -frame.seq - 2  # a sub frame: never equal to a main seq
                return
            if frame is not None and frame.seq != self.max_tile.seq:
                self.max_tile.set_frame(frame)
            return
        if not self.isVisible():
            return
        tiles = self.tiles
        for index, reader in self._tile_readers.items():  # tiles with readers are the visible ones
            frame = reader._latest  # noqa: SLF001  (the latest-value slot; read 40x/s per tile)
            if frame is not None:
                tile = tiles[index]
                if frame.seq != tile.seq:
                    tile.set_frame(frame)

    def refresh_health(self) -> None:
        """Badges, tours, the camera list and the online/offline status on the bus."""
        now = time.monotonic()
        for index, (tour, started) in list(self._tours.items()):
            camera_id = tour.camera_at(now - started)
            if camera_id is not None:
                self._show_camera(index, camera_id)
        states: dict[str, StreamState] = {}
        for reader in self.pool.readers():
            if reader.stream != "sub":
                continue
            health = reader.health_snapshot()
            states[reader.camera_id] = health.state
        for index, reader in self._tile_readers.items():
            self.tiles[index].set_health(reader.health_snapshot())
        if self._max_reader is not None:
            self.max_tile.set_health(self._max_reader.health_snapshot())
        self.camera_list.set_states(states)
        self.pool.reap()

    # --- operator actions ----------------------------------------------------------------------

    def select(self, index: int) -> None:
        self.selected = index
        for tile in self.tiles:
            tile.set_selected(tile.index == index)

    def camera_in(self, index: int) -> CameraConfig | None:
        reader = self._tile_readers.get(index)
        return self.cameras.get(reader.camera_id) if reader else None

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        log.info("camera wall: %s", text)

    # --- shutdown ------------------------------------------------------------------------------

    def close_wall(self) -> None:
        """Stop the timers and give back every reader (the pool joins the threads)."""
        self._frame_timer.stop()
        self._health_timer.stop()
        self.restore()
        if self._cover is not None:
            self._cover.dispose()
            self._cover = None
        for index in list(self._tile_readers):
            self._set_reader(index, None)
