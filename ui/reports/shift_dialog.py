"""The shift log dialog (sổ giao ca): write a note or the handover, and see the shift's notes,
alerts, broadcasts and outages gathered automatically (read in the background)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from PyQt6.QtWidgets import (QComboBox, QDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QTextBrowser,
                             QVBoxLayout, QWidget)

from controlroom.alerts.model import AlertState, kind_label
from controlroom.i18n import tr
from controlroom.reports.shift_log import ShiftLog, ShiftSummary, shift_start
from controlroom.ui.shell.background import run_in_background


def kind_text(kind: str) -> str:
    return {"note": tr("Note"), "incident": tr("Incident"), "handover": tr("Handover")}.get(kind, kind)


def state_text(state: str) -> str:
    """A stored alert state in the UI language (one this version does not know, as stored)."""
    try:
        return AlertState(state).label()
    except ValueError:
        return state


def summary_html(summary: ShiftSummary, tz: ZoneInfo, device_names: dict[str, str] | None = None) -> str:
    """The shift in the operator's words: alert states in the UI language, devices by name."""
    names = device_names or {}

    def at(ts: datetime) -> str:
        ts = ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts
        return ts.astimezone(tz).strftime("%H:%M %d/%m")

    def section(title: str, lines: list[str]) -> str:
        body = "".join(f"<li>{line}</li>" for line in lines) or f"<li><i>{tr('None')}</i></li>"
        return f"<h3>{title} ({len(lines)})</h3><ul>{body}</ul>"

    from html import escape

    return "".join([
        section(tr("Notes"), [f"{at(n['ts'])} · {escape(n['operator'])} · {kind_text(n['kind'])}: {escape(n['text'])}"
                              for n in summary.notes]),
        section(tr("Alerts"), [f"{at(a['ts'])} · {escape(a['title'] or kind_label(a['kind']))} "
                               f"({escape(state_text(a['state']))})" for a in summary.alerts]),
        section(tr("Broadcasts"), [f"{at(b['ts'])} · {escape(b['title'])} · {escape(b['operator'])}"
                                   for b in summary.broadcasts]),
        section(tr("Outages"), [f"{at(o['ts'])} · {escape(names.get(o['device_id'], o['device_id']))}"
                                for o in summary.outages]),
    ])


class ShiftDialog(QDialog):
    def __init__(self, shift_log: ShiftLog, session, tz: ZoneInfo, parent: QWidget | None = None,
                 device_names: dict[str, str] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shiftDialog")
        self.setWindowTitle(tr("Shift log and handover"))
        self.shift_log, self.session, self.tz = shift_log, session, tz
        self.device_names = device_names or {}
        self.view = QTextBrowser()
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(tr("What the next shift must know…"))
        self.text.setMaximumHeight(120)
        self.kind = QComboBox()
        for kind in ("note", "incident", "handover"):
            self.kind.addItem(kind_text(kind), kind)
        self.add_button = QPushButton(tr("Add to the log"))
        self.add_button.clicked.connect(self.add)
        self.status = QLabel("")
        row = QHBoxLayout()
        row.addWidget(self.kind)
        row.addStretch(1)
        row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("This shift (last 12 hours)")))
        layout.addWidget(self.view, 1)
        layout.addWidget(self.text)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.resize(720, 640)
        self.refresh()

    def refresh(self) -> None:
        now = datetime.now(timezone.utc)
        run_in_background(lambda: self.shift_log.summary(shift_start(now)),
                          lambda s: self.view.setHtml(summary_html(s, self.tz, self.device_names)),
                          lambda exc: self.status.setText(tr("Cannot read the shift log: {reason}", reason=str(exc))))

    def add(self) -> None:
        operator = self.session.operator
        if operator is None:
            self.status.setText(tr("Sign in first."))
            return
        try:
            future = self.shift_log.add(operator, self.text.toPlainText(), self.kind.currentData())
        except ValueError:
            self.status.setText(tr("Write something first."))
            return
        self.text.clear()
        self.status.setText(tr("Saved."))
        run_in_background(lambda: future.result(30), lambda _r: self.refresh(),
                          lambda exc: self.status.setText(tr("Not saved: {reason}", reason=str(exc))))
