"""On an attached console, a red line across the top while the site's service is down or
silent: the room's duties run there, so the operator must know at once that no alarm is being
judged and no command carried out (a status-bar label alone is easy to miss at 3 a.m.)."""

from __future__ import annotations

from datetime import datetime, timezone

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QLabel, QSizePolicy, QWidget

from controlroom.i18n import tr

DOWN_QSS = "QLabel { background: #b71c1c; color: white; font-weight: bold; padding: 4px 12px; }"


class ServiceDownBanner(QLabel):
    def __init__(self, core, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serviceDownBanner")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._core = core
        self._shown = ""
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(1000)
        self.refresh()

    def refresh(self) -> None:
        """Only a change of text touches the widget (one check per second)."""
        status = self._core.service_watch.status
        now = datetime.now(timezone.utc)
        text = ""
        if status.presence == "offline" or status.silent(now):
            last = status.last_heard()
            when = last.astimezone(self._core.config.site.tz).strftime("%H:%M") if last else "?"
            text = tr("The room's service is not running (last heard {when}): no alarm is judged, no bulletin is "
                      "repeated and no command is carried out. Start it again or call the technician.", when=when)
        if text != self._shown:
            self._shown = text
            self.setText(text)
            self.setStyleSheet(DOWN_QSS if text else "")
            self.setToolTip(text)
