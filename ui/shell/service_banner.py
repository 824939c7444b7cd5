"""A coloured line across the top when the console and the site's service are not as they
should be, because a status-bar label alone is easy to miss at 3 a.m.:

- attached console, service down or silent (red): the room's duties run there, so no alarm is
  judged and no command carried out until it is back;
- console running the duties itself (started before the service), service now up (amber): both
  would judge alarms and repeat bulletins; "Connect to the service" restarts this console
  attached to it (nothing is lost: the service stores and repeats everything).
"""

from __future__ import annotations

from datetime import datetime, timezone

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from controlroom.i18n import tr

EXIT_RECONNECT = 75  # run_gui starts the console again, attached (controlroom.cli.main.EXIT_RECONNECT)
DOWN_QSS = "QLabel { background: #b71c1c; color: white; font-weight: bold; padding: 4px 12px; }"
BESIDE_QSS = "QWidget#serviceBanner { background: #ffb300; } QLabel { color: #1f1200; font-weight: bold; padding: 4px 12px; }"


class ServiceBanner(QWidget):
    def __init__(self, core, parent: QWidget | None = None, actions: bool = True) -> None:
        """`actions` False (the lock screen): the warning only, no button anyone could press."""
        super().__init__(parent)
        self._actions = actions
        self.setObjectName("serviceBanner")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._core = core
        self._attached = core.commands is not None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(self)
        self.label.setObjectName("serviceDownBanner")
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.label)
        self.reconnect = QPushButton(tr("Connect to the service"), self)
        self.reconnect.setObjectName("reconnectButton")
        self.reconnect.clicked.connect(lambda: QApplication.instance().exit(EXIT_RECONNECT))
        self.reconnect.hide()
        layout.addWidget(self.reconnect)
        self._shown = ""
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(1000)
        self.refresh()

    def refresh(self) -> None:
        """Only a change of text touches the widgets (one check per second)."""
        status = self._core.service_watch.status
        now = datetime.now(timezone.utc)
        text = ""
        if self._attached and (status.presence == "offline" or status.silent(now)):
            last = status.last_heard()
            when = last.astimezone(self._core.config.site.tz).strftime("%H:%M") if last else "?"
            text = tr("The room's service is not running (last heard {when}): no alarm is judged, no bulletin is "
                      "repeated and no command is carried out. Start it again or call the technician.", when=when)
        elif not self._attached and status.presence == "online" and not status.silent(now):
            text = tr("The room's service is running now, and this console still runs the duties itself: "
                      "connect to the service so alarms and bulletins are handled once.")
        if text == self._shown:
            return
        self._shown = text
        self.label.setText(text)
        self.label.setToolTip(text)
        beside = bool(text) and not self._attached
        self.reconnect.setVisible(beside and self._actions)
        self.setStyleSheet(BESIDE_QSS if beside else "")
        self.label.setStyleSheet(DOWN_QSS if text and self._attached else "")
        self.setAutoFillBackground(beside)
