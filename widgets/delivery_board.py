"""The live delivery board of one broadcast: every targeted speaker's progress and totals.

Bound to a BroadcastJob snapshot; the panel calls `show_job` again when a BroadcastUpdate for
that job arrives (GUI thread). Run on its own for a look: python -m controlroom.widgets.delivery_board
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from controlroom.broadcast.jobs import RETRYABLE, BroadcastJob, DeliveryState
from controlroom.config import Config
from controlroom.i18n import tr
from controlroom.widgets.flow_layout import FlowLayout

STATE_COLOURS = {
    DeliveryState.PENDING: "#8a8f98",
    DeliveryState.STARTED: "#2f80ed",
    DeliveryState.PLAYED: "#27ae60",
    DeliveryState.REJECTED: "#e67e22",
    DeliveryState.FAILED: "#eb5757",
    DeliveryState.OFFLINE: "#6c6f75",
    DeliveryState.NO_ANSWER: "#eb5757",
    DeliveryState.INTERRUPTED: "#f2c94c",
    DeliveryState.CANCELLED: "#6c6f75",
}


class DeliveryBoard(QWidget):
    retryRequested = pyqtSignal(str)  # job id
    stopRequested = pyqtSignal(str)  # job id

    def __init__(self, config: Config, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._config = config
        self._speakers = {s.id: s for s in config.speakers}
        self._villages = {v.id: v.name for v in config.villages}
        self._job_id: str | None = None
        self.title = QLabel(tr("No broadcast selected"))
        self.title.setObjectName("deliveryTitle")
        self.totals = QLabel("")
        self.totals.setObjectName("deliveryTotals")
        font = self.totals.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.totals.setFont(font)
        self.retry_button = QPushButton(tr("Retry failed speakers"))
        self.retry_button.clicked.connect(lambda: self._job_id and self.retryRequested.emit(self._job_id))
        self.stop_button = QPushButton(tr("Stop broadcast"))
        self.stop_button.clicked.connect(lambda: self._job_id and self.stopRequested.emit(self._job_id))
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([tr("Village"), tr("Speaker"), tr("State"), tr("Detail")])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(False)
        self.title.setWordWrap(True)  # a narrow dock wraps the words instead of cutting the buttons off
        self.totals.setWordWrap(True)
        buttons = FlowLayout()
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.totals)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        self.retry_button.setEnabled(False)
        self.stop_button.setEnabled(False)

    @property
    def job_id(self) -> str | None:
        return self._job_id

    def show_job(self, job: BroadcastJob) -> None:
        self._job_id = job.id
        local = job.created_at.astimezone(self._config.site.tz)
        self.title.setText(tr("{title} — {priority}, {time}, by {operator}", title=job.title, priority=job.priority.label,
                              time=local.strftime("%H:%M:%S %d/%m"), operator=job.started_by()))
        self.totals.setText(job.totals().summary())
        deliveries = sorted(job.deliveries.values(), key=lambda d: (self._speaker_village(d.speaker_id), d.speaker_id))
        self.table.setRowCount(len(deliveries))
        for row, delivery in enumerate(deliveries):
            speaker = self._speakers.get(delivery.speaker_id)
            cells = [
                self._villages.get(self._speaker_village(delivery.speaker_id), ""),
                speaker.name if speaker else delivery.speaker_id,
                delivery.state.label,
                delivery.detail,
            ]
            for column, text in enumerate(cells):
                item = self.table.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(row, column, item)
                item.setText(text)
            state_item = self.table.item(row, 2)
            state_item.setForeground(QColor(STATE_COLOURS[delivery.state]))
            state_item.setData(Qt.ItemDataRole.UserRole, delivery.state.value)
        self.retry_button.setEnabled(any(d.state in RETRYABLE for d in deliveries))
        self.stop_button.setEnabled(not job.finished)

    def _speaker_village(self, speaker_id: str) -> str:
        speaker = self._speakers.get(speaker_id)
        return speaker.village if speaker else ""


if __name__ == "__main__":  # a look at the board with a made-up job
    import sys
    from datetime import datetime, timezone

    from PyQt6.QtWidgets import QApplication

    from controlroom.broadcast.jobs import Priority
    from controlroom.config import demo_config_path, load_config

    app = QApplication(sys.argv)
    config = load_config(demo_config_path())
    now = datetime.now(timezone.utc)
    job = BroadcastJob(title="Cảnh báo lũ", source_kind="tts", source_url="", duration_s=30, priority=Priority.EMERGENCY,
                       volume=90, repeat=2, targets=[s.id for s in config.speakers], operator="trucban", created_at=now)
    for i, speaker_id in enumerate(job.targets):
        job.mark_sent(speaker_id, now)
        job.apply_ack(speaker_id, ["started", "finished", "failed"][i % 3], None, now)
    board = DeliveryBoard(config)
    board.show_job(job)
    board.resize(900, 700)
    board.show()
    sys.exit(app.exec())
