"""The alert queue's looping alarm tone, which rings until new high-priority alerts are acknowledged.

Qt Multimedia is optional: without it (or without a usable audio device) the queue works silently
and ``problem`` says why in the operator's language.
"""

from __future__ import annotations

from importlib import resources

from PyQt6.QtCore import QUrl
from PyQt6.QtWidgets import QWidget

from controlroom.i18n import tr


class AlarmSound:
    """The looping alarm tone (resources/sounds/alarm.wav) via QtMultimedia, if present."""

    def __init__(self, parent: QWidget) -> None:
        self.effect = None
        self.problem = ""
        try:
            from PyQt6.QtMultimedia import QSoundEffect
        except ImportError as exc:  # optional: the queue works silently without it
            self.problem = tr("No sound: Qt Multimedia is not available ({reason})", reason=str(exc))
            return
        # An installed package keeps the WAV as a plain file, so as_file() gives its own path (nothing
        # to clean up); from a zip it would extract a temporary copy that lives as long as the panel.
        self._file = resources.as_file(resources.files("controlroom.resources").joinpath("sounds", "alarm.wav"))
        path = self._file.__enter__()
        self.effect = QSoundEffect(parent)
        self.effect.setSource(QUrl.fromLocalFile(str(path)))
        self.effect.setLoopCount(QSoundEffect.Loop.Infinite.value)
        self.effect.setVolume(0.8)
        self.on_problem = None  # callback(text) when the sound cannot play (no or unsuitable audio device)
        self.effect.statusChanged.connect(self._status_changed)

    def _status_changed(self) -> None:
        from PyQt6.QtMultimedia import QSoundEffect

        if self.effect.status() is QSoundEffect.Status.Error:
            self.problem = tr("The alarm sound cannot play on this computer's audio device.")
            if self.on_problem is not None:
                self.on_problem(self.problem)

    @property
    def playing(self) -> bool:
        return self.effect is not None and self.effect.isPlaying()

    def set_ringing(self, ringing: bool) -> None:
        if self.effect is None or ringing == self.effect.isPlaying():
            return
        self.effect.play() if ringing else self.effect.stop()
