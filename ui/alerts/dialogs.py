"""Small dialogs of the alert queue: acknowledge, shelve, raise a manual alert.

Each shows who is acting — the signed-in operator, never a name typed here — because every
transition is recorded with who did it. They only collect input; the panel calls the engine.
"""

from __future__ import annotations

from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from controlroom.access.operators import Operator
from controlroom.alerts.model import Priority
from controlroom.i18n import tr

SHELVE_CHOICES_MIN = (15, 30, 60, 120, 240, 480)


class _OperatorDialog(QDialog):
    def __init__(self, title: str, operator: Operator, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout(self)
        self.operator = QLabel(f"{operator.display_name} ({operator.role.label})")  # from the session, not editable
        self.form.addRow(tr("Operator"), self.operator)
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #ff8a80")

    def _finish_form(self) -> None:
        self.form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        self.form.addRow(buttons)
        self.buttons = buttons

    def _problem(self) -> str:
        return ""

    def _check(self) -> None:
        problem = self._problem()
        if problem:
            self.problem.setText(problem)
            return
        self.accept()


class AcknowledgeDialog(_OperatorDialog):
    def __init__(self, count: int, operator: Operator, parent: QWidget | None = None) -> None:
        super().__init__(tr("Acknowledge alerts"), operator, parent)
        self.form.insertRow(0, QLabel(tr("Acknowledge {n} alert(s).", n=count)))
        self.comment = QLineEdit()
        self.comment.setPlaceholderText(tr("optional"))
        self.form.addRow(tr("Comment"), self.comment)
        self._finish_form()


class ShelveDialog(_OperatorDialog):
    def __init__(self, count: int, operator: Operator, parent: QWidget | None = None) -> None:
        super().__init__(tr("Shelve alerts"), operator, parent)
        self.form.insertRow(0, QLabel(tr("Shelve {n} alert(s): they stay tracked but stop sounding and move down.", n=count)))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(tr("e.g. sensor under maintenance"))
        self.form.addRow(tr("Reason"), self.reason)
        self.duration = QComboBox()
        for minutes in SHELVE_CHOICES_MIN:
            label = tr("{n} minutes", n=minutes) if minutes < 60 else tr("{n} hours", n=minutes // 60)
            self.duration.addItem(label, minutes * 60)
        self.duration.setCurrentIndex(2)
        self.form.addRow(tr("For"), self.duration)
        self._finish_form()

    def _problem(self) -> str:
        return super()._problem() or ("" if self.reason.text().strip() else tr("Give a reason for shelving."))

    def duration_s(self) -> float:
        return float(self.duration.currentData())


class ManualAlertDialog(_OperatorDialog):
    def __init__(self, villages: list[tuple[str, str]], operator: Operator, parent: QWidget | None = None) -> None:
        super().__init__(tr("New manual alert"), operator, parent)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(tr("What happened, where"))
        self.text.setFixedHeight(80)
        self.form.addRow(tr("Alert"), self.text)
        self.priority = QComboBox()
        for priority in sorted(Priority, reverse=True):
            self.priority.addItem(priority.label(), priority)
        self.priority.setCurrentIndex(1)
        self.form.addRow(tr("Priority"), self.priority)
        self.village = QComboBox()
        self.village.addItem(tr("(whole commune)"), None)
        for village_id, name in villages:
            self.village.addItem(name, village_id)
        self.form.addRow(tr("Village"), self.village)
        self._finish_form()

    def _problem(self) -> str:
        return super()._problem() or ("" if self.text.toPlainText().strip() else tr("Describe the alert."))
