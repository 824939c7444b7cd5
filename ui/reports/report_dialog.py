"""The daily report dialog: pick a day and a folder, build the PDF and XLSX in a named worker
thread with a progress bar, then show where the files are."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PyQt6.QtCore import QDate, QUrl
from PyQt6.QtGui import QDesktopServices
from PyQt6.QtWidgets import (QDateEdit, QDialog, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                             QProgressBar, QPushButton, QVBoxLayout, QWidget)

from controlroom.i18n import tr
from controlroom.paths import data_dir
from controlroom.ui.shell.background import BackgroundJob, run_in_background


def step_label(step: str) -> str:
    return {"alerts": tr("Counting alerts…"), "broadcasts": tr("Reading broadcasts and deliveries…"),
            "sensors": tr("Sensor minimum, maximum and average…"), "cameras": tr("Camera uptime…"),
            "pdf": tr("Writing the PDF…"), "xlsx": tr("Writing the XLSX…"), "done": tr("Done.")}.get(step, step)


def build_files(engine, config, day: date, folder: Path, progress=None) -> list[Path]:
    """Gather and write both files (any thread with a QGuiApplication alive)."""
    from controlroom.reports.daily import build_report
    from controlroom.reports.daily_xlsx import write_xlsx
    from controlroom.ui.reports.daily_pdf import write_pdf

    step = progress or (lambda _p, _s: None)
    report = build_report(engine, config, day, progress=lambda p, s: step(round(p * 0.8), s))
    stem = f"bao-cao-{config.site.id}-{day.isoformat()}"
    step(82, "pdf")
    pdf = write_pdf(report, folder / f"{stem}.pdf")
    step(92, "xlsx")
    xlsx = write_xlsx(report, folder / f"{stem}.xlsx")
    step(100, "done")
    return [pdf, xlsx]


class ReportDialog(QDialog):
    def __init__(self, engine, config, parent: QWidget | None = None, folder: Path | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportDialog")
        self.setWindowTitle(tr("Daily report"))
        self.engine, self.config = engine, config
        self.files: list[Path] = []
        today = datetime.now(ZoneInfo(config.site.timezone)).date()
        self.day = QDateEdit(QDate(today.year, today.month, today.day))
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("dd/MM/yyyy")
        self.folder = QLineEdit(str(folder or data_dir() / "reports"))
        browse = QPushButton(tr("Choose…"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow(tr("Day"), self.day)
        form.addRow(tr("Folder"), row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.status = QLabel(tr("The report holds alerts by kind and village, broadcasts and delivery rates, "
                                "sensor minimum/maximum/average and camera uptime."))
        self.status.setWordWrap(True)
        self.build_button = QPushButton(tr("Build PDF and XLSX"))
        self.build_button.setDefault(True)
        self.build_button.clicked.connect(self.build)
        self.open_button = QPushButton(tr("Open folder"))
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(self.folder.text())))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.build_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._job: BackgroundJob | None = None

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, tr("Folder"), self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def build(self) -> None:
        if not self.build_button.isEnabled():  # one report at a time
            return
        qdate = self.day.date()
        day = date(qdate.year(), qdate.month(), qdate.day())
        folder = Path(self.folder.text()).expanduser()
        self.build_button.setEnabled(False)
        self.progress.setValue(0)
        engine, config = self.engine, self.config
        self._job = run_in_background(lambda progress: build_files(engine, config, day, folder, progress),
                                      self._on_done, self._on_failed, thread_name="daily-report",
                                      on_progress=self._on_step)

    def wait(self, timeout_s: float = 60.0) -> None:
        if self._job is not None:
            self._job.wait(timeout_s)

    def _on_step(self, percent: int, step: str) -> None:
        self.progress.setValue(percent)
        self.status.setText(step_label(step))

    def _on_done(self, files: list) -> None:
        self.files = list(files)
        self.build_button.setEnabled(True)
        self.open_button.setEnabled(True)
        self.status.setText(tr("Saved: {files}", files=", ".join(str(f) for f in files)))

    def _on_failed(self, exc: Exception) -> None:
        self.build_button.setEnabled(True)
        self.status.setText(tr("The report could not be built: {reason}", reason=str(exc) or type(exc).__name__))
