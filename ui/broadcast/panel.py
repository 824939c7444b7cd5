"""The broadcast panel: speakers by village with live status, recent jobs, delivery board.

The map and flood mode drive it through `select_speaker`, `select_village` and
`preset_zone`; the panel opens the compose dialog pre-filled with that choice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QLabel,
    QFileDialog,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from controlroom.broadcast.service import BroadcastRefused, BroadcastService, BroadcastUpdate
from controlroom.broadcast.jobs import Priority
from controlroom.broadcast.programme import ProgrammeStore
from controlroom.broadcast.store import broadcast_log_csv
from controlroom.domain import SpeakerStatus
from controlroom.i18n import tr
from controlroom.access.operators import Operator, PermissionDenied
from controlroom.widgets.role_gate import gate
from controlroom.service.client import CommandFailed
from controlroom.ui.shell.background import run_in_background
from controlroom.ui.shell.docks import bring_to_front
from controlroom.ui.broadcast.compose import BroadcastRequest, ComposeDialog
from controlroom.ui.broadcast.programme_editor import ProgrammeEditor
from controlroom.ui.reports.export_paths import suggested_export_path
from controlroom.widgets.hint_list import HintList
from controlroom.widgets.delivery_board import DeliveryBoard
from controlroom.widgets.flow_layout import FlowLayout

log = logging.getLogger(__name__)

LOG_EXPORT_DAYS = 31
SPEAKER_COLOURS = {"idle": "#27ae60", "playing": "#2f80ed", "fault": "#eb5757", "offline": "#8a8f98"}


def speaker_state_label(state: str) -> str:
    return {"idle": tr("idle"), "playing": tr("playing"), "fault": tr("fault"), "offline": tr("offline")}.get(state, state)


class BroadcastPanel(QWidget):
    def __init__(self, service: BroadcastService, acting_operator: Callable[[], Operator],
                 parent: QWidget | None = None, programme: ProgrammeStore | None = None) -> None:
        """`acting_operator()` says who a broadcast is started by (the session's operator)."""
        super().__init__(parent)
        self.service = service
        self.programme = programme
        self._acting_operator = acting_operator
        config = service.config
        self._preset_zone: str | None = None
        self._preset_villages: list[str] = []

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([tr("Speaker"), tr("State"), tr("Volume")])
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self._village_items: dict[str, QTreeWidgetItem] = {}
        self._speaker_items: dict[str, QTreeWidgetItem] = {}
        for village in config.villages:
            village_item = QTreeWidgetItem([village.name, "", ""])
            village_item.setData(0, Qt.ItemDataRole.UserRole, ("village", village.id))
            self.tree.addTopLevelItem(village_item)
            self._village_items[village.id] = village_item
        for speaker in config.speakers:
            item = QTreeWidgetItem([speaker.name, speaker_state_label("offline"), ""])
            item.setData(0, Qt.ItemDataRole.UserRole, ("speaker", speaker.id))
            item.setForeground(1, QColor(SPEAKER_COLOURS["offline"]))
            self._village_items[speaker.village].addChild(item)
            self._speaker_items[speaker.id] = item
        self.tree.expandAll()
        for column in range(3):
            self.tree.resizeColumnToContents(column)
        states = [speaker_state_label(state) for state in SPEAKER_COLOURS]  # "playing" later fits as "idle" does
        self.tree.setColumnWidth(1, max(self.tree.columnWidth(1), max(map(self.fontMetrics().horizontalAdvance, states))
                                        + self.fontMetrics().horizontalAdvance("MM")))

        self.new_button = QPushButton(tr("New broadcast…"))
        self.new_button.clicked.connect(lambda: self.compose())
        self.emergency_button = QPushButton(tr("Emergency broadcast…"))
        self.emergency_button.setProperty("role", "danger")
        self.emergency_button.clicked.connect(lambda: self.compose(priority=Priority.EMERGENCY))
        self.programme_button = QPushButton(tr("Daily programme…"))
        self.programme_button.clicked.connect(self.open_programme)
        self.programme_button.setEnabled(programme is not None)
        self.export_button = QPushButton(tr("Export broadcast log…"))
        self.export_button.clicked.connect(self._export_log)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)

        self.jobs = HintList(tr("No broadcasts in this list yet. “New broadcast…” starts one; "
                                "“Export broadcast log…” gives the whole log."))
        self.jobs.currentItemChanged.connect(self._job_selected)
        self.board = DeliveryBoard(config)
        self.board.retryRequested.connect(self.retry)
        self.board.stopRequested.connect(lambda job_id: self.service.stop_job(job_id, self.operator))

        left = QWidget()
        left_layout = QVBoxLayout(left)
        buttons = FlowLayout()  # rows wrap in a narrow dock instead of cutting the labels off
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.emergency_button)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.tree, 1)
        bottom_buttons = FlowLayout()
        bottom_buttons.addWidget(self.programme_button)
        bottom_buttons.addWidget(self.export_button)
        left_layout.addLayout(bottom_buttons)
        left_layout.addWidget(self.status_label)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.jobs)
        right.addWidget(self.board)
        right.setStretchFactor(1, 3)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 2)
        left.setMinimumWidth(self.tree.sizeHintForColumn(0) + self.fontMetrics().horizontalAdvance("M" * 14))
        right.setSizes([200, 600])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        for status in service.speaker_statuses().values():
            self.apply_speaker_status(status)

    @property
    def operator(self) -> Operator:
        return self._acting_operator()

    # -- inputs from the bridge ----------------------------------------------------------
    def apply_speaker_status(self, status: SpeakerStatus) -> None:
        item = self._speaker_items.get(status.speaker_id)
        if item is None:
            return
        item.setText(1, speaker_state_label(status.state))
        item.setForeground(1, QColor(SPEAKER_COLOURS.get(status.state, "#8a8f98")))
        item.setText(2, "" if status.volume is None else str(status.volume))

    def apply_event(self, event: object) -> None:
        if isinstance(event, BroadcastUpdate):
            self._refresh_job(event.job_id)

    # -- driven by the map and flood mode -------------------------------------------------
    def select_speaker(self, speaker_id: str) -> None:
        item = self._speaker_items.get(speaker_id)
        if item is not None:
            self.tree.clearSelection()
            item.setSelected(True)
            self.tree.scrollToItem(item)

    def select_village(self, village_id: str) -> None:
        self.tree.clearSelection()
        for speaker_id, item in self._speaker_items.items():
            if item.parent() is self._village_items.get(village_id):
                item.setSelected(True)
        if village_id in self._village_items:
            self.tree.scrollToItem(self._village_items[village_id])

    def preset_zone(self, zone_id: str | None) -> None:
        """Flood mode pre-sets the low-lying villages zone for the next broadcast."""
        self._preset_zone = zone_id

    def selected_villages(self) -> list[str]:
        villages = []
        for item in self.tree.selectedItems():
            kind, ident = item.data(0, Qt.ItemDataRole.UserRole)
            village = ident if kind == "village" else next(s.village for s in self.service.config.speakers if s.id == ident)
            if village not in villages:
                villages.append(village)
        return villages

    # -- actions ---------------------------------------------------------------------------
    def compose(self, priority: Priority = Priority.ANNOUNCEMENT) -> ComposeDialog:
        dialog = ComposeDialog(self.service, self, preset_zone=self._preset_zone, preset_priority=priority)
        if self.selected_villages() and self._preset_zone is None:
            dialog.select_villages(self.selected_villages())
        dialog.accepted.connect(lambda: self.start(dialog.request))
        dialog.open()
        return dialog

    def start(self, request: BroadcastRequest) -> None:
        """Start the job on a worker (publishing copies the audio file)."""
        self.status_label.setText(tr("Sending to {count} speaker clusters…", count=len(request.speakers)))

        def work():
            return self.service.start_job(
                title=request.title, audio_path=request.audio_path, duration_s=request.duration_s,
                targets=request.speakers, priority=request.priority, volume=request.volume, repeat=request.repeat,
                operator=self.operator, source_kind=request.source_kind, text=request.text)

        run_in_background(work, self._job_started, self._job_failed)

    def _job_started(self, job) -> None:
        self.status_label.setText("")
        self._refresh_job(job.id, select=True)

    def _job_failed(self, exc: Exception) -> None:
        known = isinstance(exc, (BroadcastRefused, PermissionDenied, CommandFailed))  # already in the operator's words
        message = str(exc) if known else tr("The broadcast could not start: {reason}", reason=str(exc))
        self.status_label.setText(message)
        QMessageBox.warning(self, tr("Broadcast"), message)

    def retry(self, job_id: str) -> None:
        run_in_background(lambda: self.service.retry(job_id, self.operator), lambda chosen: self._refresh_job(job_id),
                          self._job_failed)

    def _refresh_job(self, job_id: str, select: bool = False) -> None:
        job = self.service.job(job_id)
        if job is None:
            return
        text = f"{job.created_at.astimezone(self.service.config.site.tz):%H:%M}  {job.title} — {job.totals().summary()}"
        for row in range(self.jobs.count()):
            item = self.jobs.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == job_id:
                item.setText(text)
                break
        else:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, job_id)
            self.jobs.insertItem(0, item)
            while self.jobs.count() > 200:  # the database keeps the full log
                self.jobs.takeItem(self.jobs.count() - 1)
        if select:
            self.jobs.setCurrentItem(item)
        if self.board.job_id == job_id or select:
            self.board.show_job(job)

    def apply_role(self, *_args) -> None:
        """What the acting operator's role cannot start is disabled, with the reason as tooltip
        (the core refuses it anyway; this says so before a dialog is filled in)."""
        gate(self.operator, ((self.new_button, "broadcast.start"), (self.emergency_button, "broadcast.emergency"),
                             (self.programme_button, "broadcast.programme")))
        if self.programme is None:  # no programme in this commune's config: nothing to change
            self.programme_button.setEnabled(False)

    def open_programme(self) -> ProgrammeEditor:
        editor = ProgrammeEditor(self.programme, self.service.config, self.operator, self)
        editor.open()
        return editor

    def _export_log(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Export broadcast log"),
                                              suggested_export_path("nhat-ky-phat-thanh", ".csv"), tr("CSV (*.csv)"))
        if path:
            self.export_log(Path(path), days=LOG_EXPORT_DAYS)

    def export_log(self, path: Path, days: int) -> None:
        """Write the last `days` of the broadcast log as CSV (UTF-8 with BOM) on a worker."""
        engine, config = self.service.engine, self.service.config

        def work() -> Path:
            end = datetime.now(timezone.utc)
            path.write_text(broadcast_log_csv(engine, config, end - timedelta(days=days), end), encoding="utf-8-sig")
            return path

        run_in_background(work, lambda p: self.status_label.setText(tr("Broadcast log saved: {path}", path=str(p))),
                          self._job_failed)

    def _job_selected(self, current: QListWidgetItem | None, _previous) -> None:
        if current is not None:
            job = self.service.job(current.data(Qt.ItemDataRole.UserRole))
            if job is not None:
                self.board.show_job(job)


def create_broadcast_panel(context, parent: QWidget) -> QWidget:
    """Panel factory for ui/panels.py: the core's broadcasting, acted on by the session's operator."""
    broadcasting = context.core.broadcast
    panel = BroadcastPanel(broadcasting.service, context.session.acting_operator, parent,
                           programme=broadcasting.programme)
    context.session.changed.connect(panel.apply_role)
    context.session.locked_changed.connect(panel.apply_role)
    panel.apply_role()
    context.bridge.speaker_status.connect(panel.apply_speaker_status)
    context.bridge.other_event.connect(panel.apply_event)
    context.navigator.provide("speaker", lambda speaker_id: (panel.select_speaker(speaker_id), bring_to_front(panel)))
    context.navigator.provide("village", lambda village_id: (panel.select_village(village_id), bring_to_front(panel)))
    return panel
