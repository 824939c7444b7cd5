"""The daily programme editor: a week grid (entries × weekdays) and an entry form.

Each row is one programme entry at its local time; a tick in a weekday column means it plays
that day. Ticking a cell saves at once; "Add" and "Edit" open the entry form; "Remove"
deletes. Saving is refused with the core's message when the role does not allow it.
"""

from __future__ import annotations

import re

from PyQt6.QtCore import Qt, QTime
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from controlroom.broadcast.programme import ProgrammeStore
from controlroom.config import Config, ScheduledBroadcastConfig
from controlroom.i18n import tr
from controlroom.access.operators import Operator, PermissionDenied


def weekday_names() -> list[str]:
    return [tr("Mon"), tr("Tue"), tr("Wed"), tr("Thu"), tr("Fri"), tr("Sat"), tr("Sun")]


class EntryForm(QDialog):
    """One programme entry: title, time, days, zone, text to read, class, volume."""

    def __init__(self, config: Config, entry: ScheduledBroadcastConfig | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Programme entry"))
        self._entry = entry
        self.title_edit = QLineEdit(entry.title if entry else "")
        self.time_edit = QTimeEdit(QTime.fromString(entry.time, "HH:mm") if entry else QTime(6, 0))
        self.time_edit.setDisplayFormat("HH:mm")
        self.day_boxes = [QCheckBox(name) for name in weekday_names()]
        days = QHBoxLayout()
        for i, box in enumerate(self.day_boxes):
            box.setChecked(i in (entry.weekdays if entry else range(7)))
            days.addWidget(box)
        self.zone_combo = QComboBox()
        for zone in config.zones:
            self.zone_combo.addItem(zone.name, zone.id)
        if entry:
            self.zone_combo.setCurrentIndex(max(0, self.zone_combo.findData(entry.zone)))
        self.text_edit = QPlainTextEdit(entry.text if entry else "")
        self.priority_combo = QComboBox()
        self.priority_combo.addItem(tr("Routine"), "routine")
        self.priority_combo.addItem(tr("Announcement"), "announcement")
        if entry:
            self.priority_combo.setCurrentIndex(self.priority_combo.findData(entry.priority))
        self.volume_spin = QSpinBox()
        self.volume_spin.setRange(0, 100)
        self.volume_spin.setValue(entry.volume if entry else config.broadcast.default_volume)
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow(tr("Title"), self.title_edit)
        form.addRow(tr("Time"), self.time_edit)
        form.addRow(tr("Days"), days)
        form.addRow(tr("Zone"), self.zone_combo)
        form.addRow(tr("Text to read"), self.text_edit)
        form.addRow(tr("Class"), self.priority_combo)
        form.addRow(tr("Volume"), self.volume_spin)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("Save"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

    def entry(self) -> ScheduledBroadcastConfig:
        title = self.title_edit.text().strip()
        entry_id = self._entry.id if self._entry else (re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") or "entry")[:40]
        return ScheduledBroadcastConfig(
            id=entry_id, title=title, time=self.time_edit.time().toString("HH:mm"),
            weekdays=[i for i, box in enumerate(self.day_boxes) if box.isChecked()], zone=self.zone_combo.currentData(),
            text=self.text_edit.toPlainText().strip(), priority=self.priority_combo.currentData(),
            volume=self.volume_spin.value())

    def _accept(self) -> None:
        if not self.title_edit.text().strip():
            self.error_label.setText(tr("Give the entry a title."))
        elif not self.text_edit.toPlainText().strip():
            self.error_label.setText(tr("Write the text to read."))
        else:
            self.accept()


class ProgrammeEditor(QDialog):
    def __init__(self, store: ProgrammeStore, config: Config, operator: Operator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Daily broadcast programme"))
        self._store = store
        self._config = config
        self._operator = operator
        self._zones = {z.id: z.name for z in config.zones}
        self.table = QTableWidget(0, 10)
        self.table.setHorizontalHeaderLabels([tr("Time"), tr("Title"), tr("Zone")] + weekday_names())
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.cellDoubleClicked.connect(lambda row, _col: self.edit_row(row))
        self.table.itemChanged.connect(self._day_toggled)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        add = QPushButton(tr("Add…"))
        add.clicked.connect(lambda: self._open_form(None))
        edit = QPushButton(tr("Edit…"))
        edit.clicked.connect(lambda: self.edit_row(self.table.currentRow()))
        remove = QPushButton(tr("Remove"))
        remove.clicked.connect(self._remove_current)
        close = QPushButton(tr("Close"))
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for button in (add, edit, remove):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.resize(900, 420)
        self.refresh()

    def refresh(self) -> None:
        self.table.blockSignals(True)
        entries = self._store.entries()
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            cells = [entry.time, entry.title, self._zones.get(entry.zone, entry.zone)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, entry.id)
                self.table.setItem(row, column, item)
            for day in range(7):
                item = QTableWidgetItem()
                item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
                item.setCheckState(Qt.CheckState.Checked if day in entry.weekdays else Qt.CheckState.Unchecked)
                item.setData(Qt.ItemDataRole.UserRole, entry.id)
                self.table.setItem(row, 3 + day, item)
        self.table.blockSignals(False)

    def _entry_at(self, row: int) -> ScheduledBroadcastConfig | None:
        item = self.table.item(row, 0)
        if item is None:
            return None
        return next((e for e in self._store.entries() if e.id == item.data(Qt.ItemDataRole.UserRole)), None)

    def _save(self, entry: ScheduledBroadcastConfig) -> bool:
        try:
            self._store.save(entry, self._operator)
        except PermissionDenied as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText(tr("Saved: {title} at {time}", title=entry.title, time=entry.time))
        return True

    def _day_toggled(self, item: QTableWidgetItem) -> None:
        entry = self._entry_at(item.row())
        if entry is None or item.column() < 3:
            return
        days = {d for d in range(7) if self.table.item(item.row(), 3 + d).checkState() == Qt.CheckState.Checked}
        self._save(entry.model_copy(update={"weekdays": sorted(days)}))
        self.refresh()

    def edit_row(self, row: int) -> None:
        entry = self._entry_at(row)
        if entry is not None:
            self._open_form(entry)

    def _open_form(self, entry: ScheduledBroadcastConfig | None) -> None:
        form = EntryForm(self._config, entry, self)
        if form.exec() == QDialog.DialogCode.Accepted:
            self._save(form.entry())
            self.refresh()

    def _remove_current(self) -> None:
        entry = self._entry_at(self.table.currentRow())
        if entry is None:
            return
        try:
            self._store.remove(entry.id, self._operator)
        except PermissionDenied as exc:
            self.message.setText(str(exc))
            return
        self.refresh()
