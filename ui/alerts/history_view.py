"""The selected alert's life under the queue: who did what, and when.

What the service stored is the record (read in a worker, never on the GUI thread), merged with
the transitions of this console's own engine when it runs one. Read again when the selected
alert changes, and until the stored rows show the change: the writer stores it a moment after
the queue shows it.
"""

from __future__ import annotations

import logging

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QPlainTextEdit, QWidget

from controlroom.alerts.engine import AlertEngine, AlertSnapshot
from controlroom.alerts.model import history_action_label, history_state_label
from controlroom.i18n import tr
from controlroom.ui.shell.background import run_in_background

log = logging.getLogger(__name__)
RELOAD_MS = 300  # after the selected alert changed
RETRY_MS = 1000  # while the stored history does not show the change yet
RETRIES = 10
SHOWN = 30  # newest transitions listed


class AlertHistoryView(QPlainTextEdit):
    def __init__(self, alerts: AlertEngine, database, site_id: str, tz, parent: QWidget | None = None) -> None:
        """`alerts`: the queue's engine (or mirror); `database`: the SQLAlchemy engine it stores in."""
        super().__init__(parent)
        self.setReadOnly(True)
        self.setPlaceholderText(tr("Select an alert to see who did what, and when."))
        self._alerts, self._database, self._site_id, self._tz = alerts, database, site_id, tz
        self._alert_id: str | None = None
        self._snapshot: AlertSnapshot | None = None
        self._stored: list[dict] = []
        self._seen: tuple | None = None  # the selected alert's state when its history was last read
        self._retries = 0
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.timeout.connect(self._load)

    def select(self, alert_id: str | None) -> None:
        """The operator selected this alert (or none)."""
        if alert_id != self._alert_id:
            self._alert_id, self._stored = alert_id, []
            self._seen, self._retries = self._state(), 0
            self._load()
        self._show()

    def follow(self, snapshot: AlertSnapshot) -> None:
        """A new queue snapshot: read the stored history again if the selected alert changed."""
        self._snapshot = snapshot
        seen = self._state()
        if seen != self._seen:
            self._seen, self._retries = seen, RETRIES
            self._reload.start(RELOAD_MS)
        self._show()

    def _state(self) -> tuple | None:
        """What of the selected alert a stored transition records (not its value, which moves)."""
        alert = self._snapshot.get(self._alert_id) if self._snapshot and self._alert_id else None
        if alert is None:
            return None
        return alert.state, alert.priority, alert.raise_count, alert.acked_at, alert.op_at, alert.out_of_service

    def _load(self) -> None:
        alert_id = self._alert_id
        if alert_id is None:
            return
        from controlroom.alerts.store import load_history

        database, site_id = self._database, self._site_id
        run_in_background(lambda: (alert_id, load_history(database, site_id, alert_id)), self._loaded,
                          lambda exc: log.warning("alert history not loaded: %s", exc))

    def _loaded(self, result) -> None:
        alert_id, rows = result
        if alert_id != self._alert_id:
            return
        self._stored = rows
        self._show()
        alert = self._snapshot.get(alert_id) if self._snapshot else None
        behind = alert is not None and (not rows or rows[0]["to_state"] != alert.state.value)
        if behind and self._retries > 0:  # the writer has not stored the change yet
            self._retries -= 1
            self._reload.start(RETRY_MS)

    def _show(self) -> None:
        if self._alert_id is None:
            self.clear()
            return
        entries: dict[tuple, tuple] = {}
        for row in self._stored:
            detail = row.get("detail") if isinstance(row.get("detail"), dict) else {}
            entry = (row["ts"], detail.get("action", ""), row.get("from_state"), row["to_state"], row["actor"],
                     row.get("comment") or "")
            entries[(entry[0].isoformat(timespec="milliseconds"), entry[1], entry[3])] = entry
        for e in self._alerts.history(self._alert_id):
            entry = (e.ts, e.action, e.from_state.value if e.from_state else None, e.to_state.value, e.actor, e.comment)
            entries[(e.ts.isoformat(timespec="milliseconds"), e.action, e.to_state.value)] = entry
        lines = []
        for ts, action, before, after, actor, comment in sorted(entries.values(), key=lambda x: x[0], reverse=True)[:SHOWN]:
            lines.append(tr("{time} {action}: {before} → {after}, by {actor}{comment}",
                            time=ts.astimezone(self._tz).strftime("%H:%M:%S %d/%m"), action=history_action_label(action),
                            before=history_state_label(before), after=history_state_label(after),
                            actor=actor if actor != "system" else tr("system"), comment=f" — {comment}" if comment else ""))
        self.setPlainText("\n".join(lines))
