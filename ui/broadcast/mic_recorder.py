"""Record a spoken message from the PC microphone into a WAV file for a broadcast.

Audio arrives on the GUI thread in small chunks (QAudioSource pull mode into a QBuffer);
the WAV is written on a worker when recording stops. A PC without a microphone gets a
clear message instead of a silent file.
"""

from __future__ import annotations

import wave
from pathlib import Path

from PyQt6.QtCore import QBuffer, QIODevice, QObject, pyqtSignal
from PyQt6.QtMultimedia import QAudioFormat, QAudioSource, QMediaDevices

from controlroom.i18n import tr
from controlroom.ui.shell.background import run_in_background

SAMPLE_RATE = 22050


class MicRecorder(QObject):
    finished = pyqtSignal(object, float)  # Path, seconds
    failed = pyqtSignal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source: QAudioSource | None = None
        self._buffer: QBuffer | None = None

    @property
    def recording(self) -> bool:
        return self._source is not None

    def start(self) -> bool:
        device = QMediaDevices.defaultAudioInput()
        if device.isNull():
            self.failed.emit(tr("No microphone found on this computer."))
            return False
        audio_format = QAudioFormat()
        audio_format.setSampleRate(SAMPLE_RATE)
        audio_format.setChannelCount(1)
        audio_format.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        if not device.isFormatSupported(audio_format):
            audio_format = device.preferredFormat()
        self._format = audio_format
        self._buffer = QBuffer(self)
        self._buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        self._source = QAudioSource(device, audio_format, self)
        self._source.start(self._buffer)
        return True

    def stop(self, target: Path) -> None:
        if self._source is None or self._buffer is None:
            return
        self._source.stop()
        data = bytes(self._buffer.data())
        rate, channels = self._format.sampleRate(), self._format.channelCount()
        width = self._format.bytesPerSample()
        self._source, self._buffer = None, None

        def write() -> tuple[Path, float]:
            target.parent.mkdir(parents=True, exist_ok=True)
            with wave.open(str(target), "wb") as out:
                out.setnchannels(channels)
                out.setsampwidth(width)
                out.setframerate(rate)
                out.writeframes(data)
            return target, len(data) / float(rate * channels * width)

        run_in_background(write, lambda result: self.finished.emit(*result), lambda exc: self.failed.emit(str(exc)))
