"""Choose what a screen's presentation cycles through, how long each view stays, and whether
the screen is a wall display that presents from every start."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel, QListWidget,
                             QListWidgetItem, QVBoxLayout, QWidget)

from controlroom.i18n import tr


class PresentationDialog(QDialog):
    """`panels`: (id, title) in order; `chosen`: ids in the cycle now; `at_start`: the screen
    presents from every start (F10 alone lasts until the console closes)."""

    def __init__(self, screen_name: str, panels: list[tuple[str, str]], chosen: list[str], dwell_s: float,
                 parent: QWidget | None = None, at_start: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("presentationDialog")
        self.setWindowTitle(tr("Presentation views"))
        self.list = QListWidget()
        for panel_id, title in panels:
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, panel_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if panel_id in chosen else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self.dwell = QDoubleSpinBox()
        self.dwell.setRange(3, 600)
        self.dwell.setDecimals(0)
        self.dwell.setSuffix(" s")
        self.dwell.setValue(dwell_s)
        self.at_start = QCheckBox(tr("A wall display: present this screen at every start"))
        self.at_start.setChecked(at_start)
        form = QFormLayout()
        form.addRow(tr("Time on each view"), self.dwell)
        form.addRow(self.at_start)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Views shown one after another on {screen} (none: the panels as arranged)",
                                   screen=screen_name)))
        layout.addWidget(self.list, 1)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def chosen(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]
