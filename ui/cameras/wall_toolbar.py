"""The camera wall's toolbar: layout, saved views, tours, snapshot, replay export, and the
alarm view's way back.

A mixin of CameraWall (ui/cameras/wall.py), kept apart so each module has one job: the wall
arranges and paints tiles, this builds the row of controls above them and handles their choices.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QComboBox, QFileDialog, QInputDialog, QPushButton, QSpinBox

from controlroom.cameras.views import PRESET_LAYOUTS, TOUR_PREFIX, Tour
from controlroom.i18n import tr
from controlroom.widgets.flow_layout import FlowLayout


class WallToolbar:
    """Needs from the wall: pool, views, view, screen, selected, export_dir, snapshot(), export_replay(),
    clear_alarm(), set_layout(), load_view(), save_view(), start_tour(), assign(), _show_message()."""

    def _build_toolbar(self) -> FlowLayout:
        """The controls above the tiles, in a row that wraps when the panel is narrow."""
        self.layout_box = QComboBox(self)
        for layout_id in PRESET_LAYOUTS:
            self.layout_box.addItem(layout_id, layout_id)
        self.layout_box.addItem(tr("Custom…"), "custom")
        self.layout_box.activated.connect(self._layout_chosen)
        self.view_box = QComboBox(self)
        self.view_box.setMinimumContentsLength(10)
        self.view_box.setPlaceholderText(tr("Saved views"))
        self.view_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.view_box.activated.connect(self._view_chosen)
        save = QPushButton(tr("Save view"), self)
        save.clicked.connect(self._save_view_clicked)
        self.tour_box = QComboBox(self)
        self.tour_box.setMinimumContentsLength(len(tr("Tour: none")) + 1)  # its resting text whole, in either language
        self.tour_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.tour_box.activated.connect(self._tour_chosen)
        snapshot = self.snapshot_button = QPushButton(tr("Snapshot"), self)
        snapshot.clicked.connect(lambda: self.snapshot(self.selected))
        self.replay_seconds = QSpinBox(self)
        self.replay_seconds.setRange(5, int(self.pool.replay_seconds))
        self.replay_seconds.setValue(min(30, int(self.pool.replay_seconds)))
        self.replay_seconds.setSuffix(" s")
        replay = self.replay_button = QPushButton(tr("Export replay"), self)
        replay.clicked.connect(lambda: self.export_replay(self.selected, self.replay_seconds.value()))
        play = self.play_clip_button = QPushButton(tr("Play a clip…"), self)
        play.setToolTip(tr("Play an exported replay or evidence video here"))
        play.clicked.connect(self._play_clip_clicked)
        self.back_button = QPushButton(tr("Back to my view"), self)
        self.back_button.setToolTip(tr("Leave the alarm view and show your view again (the alarms stay in the queue)"))
        self.back_button.setProperty("role", "danger")
        self.back_button.setStyleSheet("font-weight: bold;")
        self.back_button.clicked.connect(lambda: self.clear_alarm())
        self.back_button.hide()
        bar = FlowLayout()  # wraps to a second row when the wall's panel is narrow (1920x1080)
        self.layout_box.setToolTip(tr("Layout"))
        self.view_box.setToolTip(tr("View"))
        self.tour_box.setToolTip(tr("Tour"))
        self.replay_seconds.setToolTip(tr("Seconds of replay to export"))
        for widget in (self.back_button, self.layout_box, self.view_box, save, self.tour_box, snapshot, self.replay_seconds, replay, play):
            bar.addWidget(widget)
        self._toolbar = bar
        return bar

    def add_toolbar_button(self, text: str, slot, tooltip: str = "") -> QPushButton:
        """A button after the wall's own actions (camera operations add theirs here)."""
        button = QPushButton(text, self)
        button.setToolTip(tooltip)
        button.clicked.connect(lambda _checked=False: slot())
        self._toolbar.addWidget(button)
        return button

    def _refresh_boxes(self) -> None:
        self.view_box.clear()
        for name in sorted(self.views.views(self.screen)):
            self.view_box.addItem(name, name)
        if self.view.name:
            self.view_box.setCurrentIndex(self.view_box.findData(self.view.name))
        self.tour_box.clear()
        self.tour_box.addItem(tr("Tour: none"), None)
        for name in sorted(self.views.tours()):
            self.tour_box.addItem(name, name)
        self.tour_box.addItem(tr("New tour from this view…"), "new")

    def _layout_chosen(self, _row: int) -> None:
        layout_id = self.layout_box.currentData()
        if layout_id == "custom":
            text, ok = QInputDialog.getText(self, tr("Custom layout"), tr("Columns × rows, e.g. 7x6"))
            if not ok:
                return
            layout_id = text.replace("×", "x").replace(" ", "")
        try:
            self.set_layout(layout_id)
        except ValueError:
            self._show_message(tr("Unknown layout {id}", id=layout_id))

    def _view_chosen(self, _row: int) -> None:
        name = self.view_box.currentData()
        if name:
            self.load_view(name)

    def _play_clip_clicked(self) -> None:
        """Pick an exported clip (the replays folder first) and play it beside the wall."""
        from pathlib import Path

        if self.export_refusal:  # recorded video is for those who may export it
            self._show_message(self.export_refusal)
            return

        folder = str(self.export_dir) if self.export_dir is not None and Path(self.export_dir).is_dir() else ""
        path, _filter = QFileDialog.getOpenFileName(self, tr("Play a clip"), folder, tr("Video (*.mp4 *.mkv)"))
        if path:
            self.open_clip(Path(path))

    def open_clip(self, path):
        """A non-modal ClipPlayer, so the wall keeps running beside it (None, said in words, if
        the file cannot play)."""
        from controlroom.ui.cameras.clip_player import ClipError, ClipPlayer

        try:
            player = ClipPlayer(path, self)
        except ClipError as exc:
            self._show_message(str(exc))
            return None
        player.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        player.show()
        return player

    def _save_view_clicked(self) -> None:
        name, ok = QInputDialog.getText(self, tr("Save view"), tr("Name of the view"), text=self.view.name)
        if ok and name.strip():
            self.save_view(name.strip())

    def _tour_chosen(self, _row: int) -> None:
        choice = self.tour_box.currentData()
        if choice == "new":
            cameras = tuple(dict.fromkeys(c for c in self.view.cells if c and not c.startswith(TOUR_PREFIX)))
            name, ok = QInputDialog.getText(self, tr("New tour"), tr("Name of the tour"))
            if ok and name.strip() and cameras:
                dwell, ok = QInputDialog.getInt(self, tr("New tour"), tr("Seconds per camera"), 10, 2, 3600)
                if ok:
                    self.start_tour(self.selected, Tour(name.strip(), cameras, float(dwell)))
        elif choice:
            self.assign(self.selected, TOUR_PREFIX + choice)
