"""Compose a broadcast, then confirm it: targets, source, class, volume, repeat.

Page 1 chooses; "Next" prepares the audio on a worker (text-to-speech, or reading the
file's length) and page 2 shows exactly what will play, where, and for how long. An emergency
to every village needs the explicit tick box on page 2 before "Broadcast now" is enabled.
The dialog returns a `BroadcastRequest`; the panel starts the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PyQt6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSlider,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from PyQt6.QtCore import Qt

from controlroom.broadcast.service import BroadcastService
from controlroom.broadcast.jobs import Priority
from controlroom.i18n import tr
from controlroom.broadcast.tts import wav_duration_s
from controlroom.ui.shell.background import run_in_background
from controlroom.ui.broadcast.mic_recorder import MicRecorder


@dataclass
class BroadcastRequest:
    title: str
    source_kind: str
    audio_path: Path
    duration_s: float
    text: str
    villages: list[str]
    speakers: list[str]
    priority: Priority
    volume: int
    repeat: int


def audio_duration_s(path: Path) -> float:
    """Length of a WAV exactly; of an MP3 estimated at 128 kbit/s (speakers report the truth)."""
    if path.suffix.lower() == ".wav":
        return wav_duration_s(path)
    return path.stat().st_size * 8 / 128_000


class ComposeDialog(QDialog):
    def __init__(self, service: BroadcastService, parent: QWidget | None = None, *,
                 preset_zone: str | None = None, preset_priority: Priority = Priority.ANNOUNCEMENT) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("New broadcast"))
        self._service = service
        self._config = service.config
        self.request: BroadcastRequest | None = None
        self._recorder = MicRecorder(self)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_compose_page(preset_zone, preset_priority))
        self.pages.addWidget(self._build_confirm_page())
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.resize(760, 640)

    # -- page 1 --------------------------------------------------------------------------
    def _build_compose_page(self, preset_zone: str | None, preset_priority: Priority) -> QWidget:
        page = QWidget()
        self.title_edit = QLineEdit(tr("Notice"))
        self.source_group = QButtonGroup(page)
        self.tts_radio = QRadioButton(tr("Read a text aloud (Vietnamese voice)"))
        self.file_radio = QRadioButton(tr("Play an audio file (MP3/WAV)"))
        self.mic_radio = QRadioButton(tr("Record from the microphone"))
        for i, radio in enumerate((self.tts_radio, self.file_radio, self.mic_radio)):
            self.source_group.addButton(radio, i)
        self.tts_radio.setChecked(True)
        self.text_edit = QPlainTextEdit()
        self.text_edit.setPlaceholderText(tr("Text to read, e.g. the flood warning for the villages"))
        self.text_edit.setMinimumHeight(self.text_edit.fontMetrics().lineSpacing() * 6)
        self.file_label = QLabel(tr("No file chosen"))
        self.file_button = QPushButton(tr("Choose file…"))
        self.file_button.clicked.connect(self._choose_file)
        self._file: Path | None = None
        self.record_button = QPushButton(tr("Start recording"))
        self.record_button.clicked.connect(self._toggle_recording)
        self.record_label = QLabel("")
        self._recorder.finished.connect(self._recording_saved)
        self._recorder.failed.connect(self.record_label.setText)
        self._recording: Path | None = None

        source_box = QGroupBox(tr("Source"))
        source_layout = QGridLayout(source_box)
        source_layout.addWidget(self.tts_radio, 0, 0, 1, 2)
        source_layout.addWidget(self.text_edit, 1, 0, 1, 2)
        source_layout.addWidget(self.file_radio, 2, 0)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_button)
        file_row.addWidget(self.file_label, 1)
        source_layout.addLayout(file_row, 2, 1)
        source_layout.addWidget(self.mic_radio, 3, 0)
        mic_row = QHBoxLayout()
        mic_row.addWidget(self.record_button)
        mic_row.addWidget(self.record_label, 1)
        source_layout.addLayout(mic_row, 3, 1)

        target_box = QGroupBox(tr("Villages"))
        target_layout = QGridLayout(target_box)
        self.zone_combo = QComboBox()
        self.zone_combo.addItem(tr("— choose a zone —"), None)
        for zone in self._config.zones:
            self.zone_combo.addItem(zone.name, zone.id)
        self.zone_combo.currentIndexChanged.connect(self._apply_zone)
        target_layout.addWidget(self.zone_combo, 0, 0, 1, 2)
        self.village_boxes: dict[str, QCheckBox] = {}
        for i, village in enumerate(self._config.villages):
            box = QCheckBox(village.name)
            box.toggled.connect(self._update_target_count)
            self.village_boxes[village.id] = box
            target_layout.addWidget(box, 1 + i // 2, i % 2)
        self.target_count = QLabel("")
        count_row = 2 + (len(self.village_boxes) + 1) // 2
        target_layout.addWidget(self.target_count, count_row, 0, 1, 2)
        target_layout.setRowStretch(count_row + 1, 1)

        self.priority_combo = QComboBox()
        for priority in Priority:
            self.priority_combo.addItem(priority.label, priority)
        self.priority_combo.setCurrentIndex(list(Priority).index(preset_priority))
        self.volume_slider = QSlider(Qt.Orientation.Horizontal)
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setValue(self._config.broadcast.default_volume)
        self.volume_value = QLabel(str(self.volume_slider.value()))
        self.volume_slider.valueChanged.connect(lambda v: self.volume_value.setText(str(v)))
        volume_row = QHBoxLayout()
        volume_row.addWidget(self.volume_slider, 1)
        volume_row.addWidget(self.volume_value)
        self.repeat_spin = QSpinBox()
        self.repeat_spin.setRange(1, 10)
        form = QFormLayout()
        form.addRow(tr("Title"), self.title_edit)
        form.addRow(tr("Class"), self.priority_combo)
        form.addRow(tr("Volume"), volume_row)
        form.addRow(tr("Play times"), self.repeat_spin)

        self.error_label = QLabel("")
        self.error_label.setObjectName("errorText")
        self.error_label.setWordWrap(True)
        self.next_button = QPushButton(tr("Next: check and confirm"))
        self.next_button.setDefault(True)
        self.next_button.setProperty("role", "primary")
        self.next_button.clicked.connect(self._prepare)
        cancel = QPushButton(tr("Cancel"))
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.error_label, 1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.next_button)

        columns = QHBoxLayout()
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(source_box, 1)
        columns.addLayout(left, 3)
        columns.addWidget(target_box, 2)
        layout = QVBoxLayout(page)
        layout.addLayout(columns, 1)
        layout.addLayout(buttons)
        if preset_zone is not None:
            self.zone_combo.setCurrentIndex(max(0, self.zone_combo.findData(preset_zone)))
        self._update_target_count()
        return page

    def select_villages(self, village_ids: list[str]) -> None:
        for village_id, box in self.village_boxes.items():
            box.setChecked(village_id in village_ids)

    def _apply_zone(self) -> None:
        zone_id = self.zone_combo.currentData()
        if zone_id is not None:
            self.select_villages(self._service.zone_villages(zone_id))

    def chosen_villages(self) -> list[str]:
        return [v for v, box in self.village_boxes.items() if box.isChecked()]

    def _update_target_count(self) -> None:
        speakers = self._service.speakers_in(self.chosen_villages())
        self.target_count.setText(tr("{villages} villages, {speakers} speaker clusters",
                                     villages=len(self.chosen_villages()), speakers=len(speakers)))

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("Choose an audio file"), "", tr("Audio (*.mp3 *.wav)"))
        if path:
            self._file = Path(path)
            self.file_label.setText(self._file.name)
            self.file_radio.setChecked(True)


    def _toggle_recording(self) -> None:
        if self._recorder.recording:
            self._recorder.stop(self._service_media_path("mic"))
            self.record_button.setText(tr("Start recording"))
        elif self._recorder.start():
            self.mic_radio.setChecked(True)
            self.record_button.setText(tr("Stop recording"))
            self.record_label.setText(tr("Recording…"))

    def _recording_saved(self, path: Path, seconds: float) -> None:
        self._recording = path
        self.record_label.setText(tr("Recorded {seconds:.0f} s", seconds=seconds))

    def _service_media_path(self, stem: str) -> Path:
        from datetime import datetime, timezone

        return self._service.media_dir / f"{stem}-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.wav"  # UTC, like tts-*.wav

    def _prepare(self) -> None:
        """Validate page 1, then make the audio on a worker and go to the confirmation page."""
        self.error_label.setText("")
        villages = self.chosen_villages()
        if not villages:
            self.error_label.setText(tr("Choose at least one village."))
            return
        if self.tts_radio.isChecked():
            text = self.text_edit.toPlainText().strip()
            if not text:
                self.error_label.setText(tr("Write the text to read."))
                return
            kind, work = "tts", (lambda: self._service.prepare_tts(text))
        elif self.file_radio.isChecked():
            if self._file is None:
                self.error_label.setText(tr("Choose an audio file."))
                return
            path = self._file
            kind, text, work = "file", "", (lambda: (path, audio_duration_s(path)))
        else:
            if self._recording is None:
                self.error_label.setText(tr("Record a message first."))
                return
            path = self._recording
            kind, text, work = "microphone", "", (lambda: (path, wav_duration_s(path)))
        self.next_button.setEnabled(False)
        self.error_label.setText(tr("Preparing the audio…"))

        def ready(result) -> None:
            audio_path, duration = result
            self.request = BroadcastRequest(
                title=self.title_edit.text().strip() or tr("Notice"), source_kind=kind, audio_path=Path(audio_path),
                duration_s=duration, text=text, villages=villages, speakers=self._service.speakers_in(villages),
                priority=self.priority_combo.currentData(), volume=self.volume_slider.value(), repeat=self.repeat_spin.value())
            self.next_button.setEnabled(True)
            self.error_label.setText("")
            self._show_confirmation()

        def failed(exc: Exception) -> None:
            self.next_button.setEnabled(True)
            self.error_label.setText(str(exc))

        run_in_background(work, ready, failed)

    # -- page 2 --------------------------------------------------------------------------
    def _build_confirm_page(self) -> QWidget:
        page = QWidget()
        self.confirm_heading = QLabel()
        self.confirm_heading.setObjectName("confirmHeading")
        heading_font = self.confirm_heading.font()
        heading_font.setPointSizeF(heading_font.pointSizeF() * 1.5)
        heading_font.setBold(True)
        self.confirm_heading.setFont(heading_font)
        self.confirm_details = QLabel()
        self.confirm_details.setWordWrap(True)
        self.confirm_details.setTextFormat(Qt.TextFormat.PlainText)
        details_font = self.confirm_details.font()
        details_font.setPointSizeF(details_font.pointSizeF() * 1.15)
        self.confirm_details.setFont(details_font)
        self.confirm_check = QCheckBox(tr("I confirm this emergency broadcast to EVERY village"))
        check_font = self.confirm_check.font()
        check_font.setBold(True)
        self.confirm_check.setFont(check_font)
        self.confirm_check.toggled.connect(self._update_confirm_button)
        back = QPushButton(tr("Back"))
        back.clicked.connect(lambda: self.pages.setCurrentIndex(0))
        self.confirm_button = QPushButton(tr("Broadcast now"))
        self.confirm_button.setProperty("role", "danger")
        self.confirm_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(back)
        buttons.addWidget(self.confirm_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.confirm_heading)
        layout.addWidget(self.confirm_details)
        layout.addStretch(1)
        layout.addWidget(self.confirm_check)
        layout.addLayout(buttons)
        return page

    def needs_explicit_confirmation(self) -> bool:
        request = self.request
        return (request is not None and request.priority is Priority.EMERGENCY
                and set(request.villages) == {v.id for v in self._config.villages})

    def _show_confirmation(self) -> None:
        request = self.request
        names = {v.id: v.name for v in self._config.villages}
        minutes, seconds = divmod(round(request.duration_s * request.repeat), 60)
        source = {"tts": tr("Text read aloud"), "file": tr("Audio file {name}", name=request.audio_path.name),
                  "microphone": tr("Microphone recording")}[request.source_kind]
        self.confirm_heading.setText(tr("Check before broadcasting: {priority}", priority=request.priority.label))
        self.confirm_heading.setStyleSheet("color: #f87171;" if request.priority is Priority.EMERGENCY else "")
        lines = [
            tr("Title: {title}", title=request.title),
            tr("Villages ({count}): {names}", count=len(request.villages), names=", ".join(names[v] for v in request.villages)),
            tr("Speaker clusters: {count}", count=len(request.speakers)),
            tr("Source: {source}", source=source),
            tr("Duration: {minutes} min {seconds} s (once)", minutes=minutes, seconds=seconds) if request.repeat == 1 else
            tr("Duration: {minutes} min {seconds} s ({repeat} times)", minutes=minutes, seconds=seconds, repeat=request.repeat),
            tr("Volume: {volume}", volume=request.volume),
        ]
        if request.text:
            lines.append(tr("Text: {text}", text=request.text))
        self.confirm_details.setText("\n".join(lines))
        self.confirm_check.setVisible(self.needs_explicit_confirmation())
        self.confirm_check.setChecked(False)
        self._update_confirm_button()
        self.pages.setCurrentIndex(1)

    def _update_confirm_button(self) -> None:
        self.confirm_button.setEnabled(not self.needs_explicit_confirmation() or self.confirm_check.isChecked())
