"""Flood duty panel (trực ban lũ): risk level banner, warning bulletins, duty log, damage report.

F8 (anywhere in the app) opens a warning bulletin pre-filled from the live station state;
Enter issues it: two operator actions from "the river is over alarm level III" to "the
warning is queued on every low-lying village's speakers". Service calls that write or
synthesise speech run on one named worker thread; results come back through a signal.
The panel drives ``core.flood`` (a FloodDuty the core set up); the map and the graphs show
the risk levels themselves.
"""

from __future__ import annotations

import logging
from typing import Callable

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QKeySequence, QShortcut
from PyQt6.QtWidgets import (QDialog, QDialogButtonBox, QDoubleSpinBox, QFrame, QHBoxLayout, QHeaderView, QInputDialog,
                             QLabel, QListWidget, QScrollArea, QPlainTextEdit, QPushButton, QSpinBox, QTableWidget,
                             QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from controlroom.access.operators import PermissionDenied
from controlroom.widgets.role_gate import gate
from controlroom.broadcast.service import BroadcastUpdate
from controlroom.flood.bulletins import ACTIVE, BulletinDraft, NoWarningZone
from controlroom.i18n import format_number, tr
from controlroom.ui.shell.background import SerialWorker
from controlroom.widgets.flow_layout import FlowLayout
from controlroom.widgets.risk_banner import RiskBanner

log = logging.getLogger(__name__)

def state_label(state: str) -> str:
    return {"active": tr("Active (repeating)"), "superseded": tr("Superseded"),
            "cancelled": tr("Cancelled")}.get(state, state)


class ComposeDialog(QDialog):
    """The pre-filled bulletin: text, villages, speakers and repeat interval; Enter issues it."""

    def __init__(self, draft: BulletinDraft, village_names: dict[str, str], parent: QWidget | None = None,
                 scale: float = 1.0) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Flood warning bulletin"))
        self.draft = draft
        layout = QVBoxLayout(self)
        villages = ", ".join(village_names[v] for v in draft.villages)
        head = QLabel(tr("Risk level not known · {villages} · {speakers} speakers · emergency broadcast",
                         villages=villages, speakers=len(draft.speakers)) if draft.risk_level is None else
                      tr("Risk level {n} · {villages} · {speakers} speakers · emergency broadcast", n=draft.risk_level,
                         villages=villages, speakers=len(draft.speakers)))
        head.setWordWrap(True)
        head.setStyleSheet(f"font-weight: bold; font-size: {round(15 * scale)}px;")
        layout.addWidget(head)
        self.text = QPlainTextEdit(draft.text, self)
        self.text.setMinimumSize(round(640 * scale), round(200 * scale))
        self.text.setStyleSheet(f"font-size: {round(15 * scale)}px;")
        layout.addWidget(self.text)
        row = QHBoxLayout()
        row.addWidget(QLabel(tr("Repeat every (minutes)")))
        self.interval = QSpinBox(self)
        self.interval.setRange(5, 24 * 60)
        self.interval.setValue(round(draft.interval_s / 60))
        row.addWidget(self.interval)
        row.addStretch(1)
        layout.addLayout(row)
        buttons = QDialogButtonBox(self)
        self.issue_button = buttons.addButton(tr("Issue now (Enter)"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(tr("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        self.issue_button.setDefault(True)
        self.issue_button.setProperty("role", "danger")
        self.issue_button.setStyleSheet("font-weight: bold; padding: 6px 18px;")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.issue_button.setFocus()

    def result_draft(self) -> BulletinDraft:
        from dataclasses import replace
        return replace(self.draft, text=self.text.toPlainText().strip(), interval_s=self.interval.value() * 60.0)


def two_lines(text: str) -> str:
    """A column header broken at the space nearest its middle (one word stays one line)."""
    spaces = [i for i, c in enumerate(text) if c == " "]
    if not spaces:
        return text
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return text[:cut] + "\n" + text[cut + 1:]


class FloodDutyPanel(QWidget):
    issued = pyqtSignal(str)  # bulletin id, once its broadcast is queued

    def __init__(self, context, duty, operator_source: Callable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.duty = duty
        self.config = context.config
        self._operator = operator_source
        self.worker = SerialWorker("flood-duty", on_error=self.report_error)
        scale = context.ui_scale
        self._scale = scale
        self._names = {v.id: v.name for v in self.config.villages}
        self.compose_dialog: ComposeDialog | None = None
        self.cancel_dialog: QInputDialog | None = None
        layout = QVBoxLayout(self)
        self.banner = RiskBanner(self, scale)
        layout.addWidget(self.banner)
        self.stations = QLabel(self)
        self.stations.setWordWrap(True)
        layout.addWidget(self.stations)
        # The bulletins are watched all night, the forecast entered now and then: the forecast has
        # a tab of its own, and the other tabs scroll inside (the tallest does not set the panel's
        # height), so the bulletin table has the room a 1920 x 1080 console's right column gives.
        # Short titles, the whole words in their tooltips: the four fit that column.
        self.tabs = QTabWidget(self)
        self.tabs.setElideMode(Qt.TextElideMode.ElideRight)
        self.tabs.setUsesScrollButtons(False)
        layout.addWidget(self.tabs, 1)
        from controlroom.ui.flood.duty_tabs import DamageTab, DutyLogTab
        self.duty_tab = DutyLogTab(self)
        self.damage_tab = DamageTab(self)
        self._damage_page = _scrolling(self.damage_tab)
        for tab, title, words in ((self._bulletins_tab(), tr("Bulletins"), tr("Warning bulletins")),
                                  (_scrolling(self._forecast_tab()), tr("Forecast"), tr("Forecast water level (m)")),
                                  (_scrolling(self.duty_tab), tr("Duty log"), tr("Duty log")),
                                  (self._damage_page, tr("Damage report"), tr("Quick damage report"))):
            self.tabs.setTabToolTip(self.tabs.addTab(tab, title), words)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)

        self.shortcut = QShortcut(QKeySequence(Qt.Key.Key_F8), self.window() or self)
        self.shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
        self.shortcut.activated.connect(self.open_warning)
        self._role_buttons = [(self.warn_button, "broadcast.emergency"), (self.cancel_button, "broadcast.emergency"),
                              (self.set_forecast_button, "flood.risk_level"),
                              (self.clear_forecast_button, "flood.risk_level"),
                              *self.duty_tab.role_controls(), *self.damage_tab.role_controls()]
        context.session.changed.connect(self._apply_role)
        context.session.locked_changed.connect(self._apply_role)
        self._apply_role()
        self.duty.bulletins.listeners.append(lambda _bid: self._dirty.__setitem__(0, True))
        self._dirty = [True]
        self._timer = QTimer(self)
        self._timer.setObjectName("flood-duty-refresh")
        self._timer.timeout.connect(self.refresh)
        self._timer.start(1000)
        self._ticks = 0
        self.refresh()

    # -- operator -------------------------------------------------------------------------
    def operator(self):
        return self._operator()

    def report_error(self, error: Exception) -> None:
        self.notify(str(error), error=True)

    def notify(self, text: str, error: bool = False) -> None:
        """A line at the bottom of the panel (not a modal box: the officer keeps working)."""
        self.status.setText(text)
        self.status.setStyleSheet("color: white; background: #c62828; padding: 4px;" if error else "padding: 4px;")

    # -- risk -----------------------------------------------------------------------------
    def refresh(self) -> None:
        monitor = self.duty.monitor
        self.banner.show_zone(monitor, self.config.flood.bulletin_zone)
        state = monitor.governing_station(self.config.flood.bulletin_zone)
        lines = []
        for s in monitor.stations():
            if s.height_m is None:
                continue
            if not monitor.is_live(s):  # a restart, a silent gauge: its last level, dated, as history
                when = f"{s.ts.astimezone(self.config.site.tz):%H:%M %d/%m}"
                text = (tr("{name}: {h} m at {time}, an old reading: risk level {r} held until a new one") if s.risk.level
                        else tr("{name}: {h} m at {time}, an old reading: no risk level from it"))  # silence lowers no level
                lines.append(text.format(name=s.name, h=format_number(s.height_m), time=when, r=s.risk.level))
                continue
            whole = None if s.trend_cm_h is None else round(s.trend_cm_h)
            trend = "" if whole is None else tr(", {t} cm/h", t=f"{whole:+d}" if whole else "0").replace("/", "/\u2060")
            roman = ("I", "II", "III")[max(0, s.alarm_level - 1)]
            if s.risk.official:
                text = (tr("{name}: {h} m, below alarm level I{trend} → risk level {r}") if s.alarm_level == 0
                        else tr("{name}: {h} m, alarm level {a}{trend} → risk level {r}"))
            else:  # the commune's own marks (a lagoon gauge, copied levels): never called alarm levels
                text = (tr("{name}: {h} m, below the commune's mark I{trend} → risk level {r}") if s.alarm_level == 0
                        else tr("{name}: {h} m, the commune's mark {a}{trend} → risk level {r}"))
            lines.append(text.format(name=s.name, h=format_number(s.height_m), a=roman, trend=trend, r=s.risk.level))
        self.stations.setText("\n".join(lines) or tr("No water level received yet."))
        if state is not None and state.height_m is not None and not self._forecast_touched:
            self.forecast.blockSignals(True)
            self.forecast.setValue(state.height_m)  # a starting point for the officer's forecast
            self.forecast.blockSignals(False)
        self._ticks += 1
        if self._ticks % 30 == 1:
            self.worker.run(self.damage_tab.check_reminder, self._show_reminder)
        if self._dirty[0]:
            self._dirty[0] = False
            self._fill_bulletins()

    def apply_event(self, event: object) -> None:
        """A bulletin's broadcast moved on (a speaker played it): its delivery column is refilled
        on the next tick. On an attached console the service's job updates arrive this way."""
        if isinstance(event, BroadcastUpdate):
            self._dirty[0] = True

    def _show_reminder(self, due) -> None:
        if not due:
            self.damage_tab.deadline.setStyleSheet("")
            self.tabs.setTabText(self.tabs.indexOf(self._damage_page), tr("Damage report"))
            return
        tz = self.config.site.tz
        event, deadline, number = due[0]
        self.damage_tab.deadline.setText(tr("Reminder: quick report no. {n} is due by {t}; send it to: {to}",
                                            n=number, t=f"{deadline.astimezone(tz):%H:%M %d/%m}",
                                            to="; ".join(self.config.flood.report_recipients) or "—"))
        self.damage_tab.deadline.setStyleSheet("color: white; background: #c62828; font-weight: bold; padding: 4px;")
        self.tabs.setTabText(self.tabs.indexOf(self._damage_page), tr("Damage report") + " ⚠")

    def set_forecast(self, clear: bool = False) -> None:
        state = self.duty.monitor.governing_station(self.config.flood.bulletin_zone)
        if state is None:
            return
        operator = self.operator()
        if not operator.may("flood.risk_level"):  # signed out, or a role below duty officer
            self.report_error(PermissionDenied(operator, "flood.risk_level"))
            return
        value = None if clear else self.forecast.value()
        self.duty.monitor.set_forecast(state.sensor_id, value, source=operator.username)
        self.refresh()

    # -- forecast -------------------------------------------------------------------------
    def _forecast_tab(self) -> QWidget:
        tab = QWidget(self)
        layout = QVBoxLayout(tab)
        hint = QLabel(tr("The water level the hydro-meteorological service forecasts: the risk level "
                         "follows the higher of the forecast and the measured level."), tab)
        hint.setWordWrap(True)
        layout.addWidget(hint)
        row = FlowLayout()  # wraps in a narrow dock instead of widening it
        row.addWidget(QLabel(tr("Forecast water level (m)"), tab))
        self.forecast = QDoubleSpinBox(tab)
        self.forecast.setRange(0.0, 20.0)
        self.forecast.setDecimals(2)
        self.forecast.setSingleStep(0.1)
        row.addWidget(self.forecast)
        self._forecast_touched = False
        self.forecast.valueChanged.connect(lambda _v: setattr(self, "_forecast_touched", True))
        self.set_forecast_button = QPushButton(tr("Set forecast"), tab)
        self.set_forecast_button.clicked.connect(self.set_forecast)
        self.clear_forecast_button = QPushButton(tr("Clear forecast"), tab)
        self.clear_forecast_button.clicked.connect(lambda: self.set_forecast(clear=True))
        row.addWidget(self.set_forecast_button)
        row.addWidget(self.clear_forecast_button)
        layout.addLayout(row)
        layout.addStretch(1)
        return tab

    # -- bulletins ------------------------------------------------------------------------
    def _bulletins_tab(self) -> QWidget:
        tab = QWidget(self)
        layout = QVBoxLayout(tab)
        row = FlowLayout()
        zone = next((z.name for z in self.config.zones if z.id == self.config.flood.bulletin_zone), None)
        self.warn_button = QPushButton(tr("Flood warning: {zone}… (F8)", zone=zone) if zone  # the commune's own words
                                       else tr("Flood warning… (F8)"), tab)
        self.warn_button.setProperty("role", "danger")  # the theme's red, and its grey when the role may not
        self.warn_button.setStyleSheet(f"font-weight: bold; font-size: {round(15 * self._scale)}px; padding: 8px 16px;")
        self.warn_button.clicked.connect(self.open_warning)
        row.addWidget(self.warn_button)
        self.cancel_button = QPushButton(tr("Cancel selected bulletin"), tab)
        self.cancel_button.clicked.connect(self.cancel_selected)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self.table = QTableWidget(0, 6, tab)
        # short headers on two lines, the full words in the tooltip: all six columns fit the
        # ~500-px right column of a 1920x1080 console with room to spare
        headers = [(tr("Issued"), tr("Issued")), (tr("State"), tr("State")), (tr("Risk"), tr("Risk level")),
                   (tr("Sent"), tr("Times sent: the first broadcast and each repeat")), (tr("Next"), tr("Next repeat")),
                   (tr("Heard"), tr("Delivered (last)"))]
        for column, (short, full) in enumerate(headers):
            header = QTableWidgetItem(two_lines(short))
            header.setToolTip(full)
            self.table.setHorizontalHeaderItem(column, header)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._show_history)
        layout.addWidget(self.table, 2)
        # the life of a bulletin shows once one is selected: until then the table has the room
        self.history_title = QLabel(tr("Life of the selected bulletin"), tab)
        self.history = QListWidget(tab)
        layout.addWidget(self.history_title)
        layout.addWidget(self.history, 1)
        self.history_title.hide()
        self.history.hide()
        return tab

    def _apply_role(self, *_args) -> None:
        """What the signed-in role cannot do is disabled, with the reason as its tooltip."""
        gate(self.operator(), self._role_buttons)

    def open_warning(self) -> None:
        """F8: the bulletin pre-filled from the live station state, ready to issue with Enter."""
        operator = self.operator()
        if not operator.may("broadcast.emergency"):  # refused before the dialog, not after it
            self.report_error(PermissionDenied(operator, "broadcast.emergency"))
            return
        self.tabs.setCurrentIndex(0)
        try:
            draft = self.duty.bulletins.compose()
        except NoWarningZone as exc:  # the configuration names no zone: say what to fix
            self.report_error(exc)
            return
        dialog = ComposeDialog(draft, self._names, self, self._scale)
        self.compose_dialog = dialog
        dialog.accepted.connect(lambda: self.issue(dialog.result_draft()))
        dialog.open()

    def issue(self, draft: BulletinDraft) -> None:
        operator = self.operator()
        self.worker.run(lambda: self.duty.bulletins.issue(draft, operator),
                        lambda bulletin: (self._dirty.__setitem__(0, True), self.issued.emit(bulletin.id)))

    def cancel_selected(self) -> None:
        """Ask first, with the reason for the duty log: one click stopped a flood warning's
        repeats, with nothing to say why."""
        bulletin = self._selected()
        if bulletin is None or bulletin.state != ACTIVE:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle(tr("Stop the flood warning"))
        dialog.setLabelText(tr("The warning issued at {t} will not be repeated on the loudspeakers again. Why? "
                               "(kept in the duty log, e.g. the water has gone down)",
                               t=f"{bulletin.issued_at.astimezone(self.config.site.tz):%H:%M %d/%m}"))
        dialog.setOkButtonText(tr("Stop the warning"))
        dialog.setCancelButtonText(tr("Keep it"))
        for label in dialog.findChildren(QLabel):  # the question wraps instead of stretching the dialog
            label.setWordWrap(True)
        dialog.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 32)
        self.cancel_dialog = dialog

        def stop() -> None:
            operator, reason = self.operator(), dialog.textValue().strip()
            self.worker.run(lambda: self.duty.bulletins.cancel(bulletin.id, operator, reason))

        dialog.accepted.connect(stop)
        dialog.open()

    def _selected(self):
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        bid = self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        return next((b for b in self.duty.bulletins.bulletins() if b.id == bid), None)

    def _fill_bulletins(self) -> None:
        tz = self.config.site.tz
        selected = self._selected()
        items = self.duty.bulletins.bulletins()
        self.table.setRowCount(len(items))
        for row, b in enumerate(items):
            last = b.job_ids[-1] if b.job_ids else None
            delivery = self.duty.bulletins.delivery(last) if last else None
            cells = [b.issued_at.astimezone(tz).strftime("%H:%M %d/%m"), state_label(b.state),
                     str(b.risk_level), str(b.repeats_done + 1),  # issuing sent it once: "0" read as never
                     b.next_due_at.astimezone(tz).strftime("%H:%M") if b.next_due_at and b.state == ACTIVE else "—",
                     f"{delivery[0]}/{delivery[1]}" if delivery else "—"]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 0:
                    item.setData(Qt.ItemDataRole.UserRole, b.id)
                self.table.setItem(row, col, item)
            if selected is not None and b.id == selected.id:
                self.table.selectRow(row)

    def _show_history(self) -> None:
        bulletin = self._selected()
        self.history_title.setVisible(bulletin is not None)
        self.history.setVisible(bulletin is not None)
        if bulletin is None:
            return
        tz = self.config.site.tz

        def show(rows):
            self.history.clear()
            labels = {"bulletin.issued": tr("Issued"), "bulletin.repeat": tr("Repeated"),
                      "bulletin.superseded": tr("Superseded"), "bulletin.cancelled": tr("Cancelled")}
            for ts, actor, action, detail in rows:
                extra = ""
                if action == "bulletin.repeat":
                    delivery = self.duty.bulletins.delivery(detail.get("job", ""))
                    extra = tr(" #{n}, delivered {d}", n=detail.get("n"),
                               d=f"{delivery[0]}/{delivery[1]}" if delivery else f"?/{detail.get('speakers', '?')}")
                elif action == "bulletin.cancelled" and detail.get("reason"):
                    extra = f": {detail['reason']}"
                self.history.addItem(f"{ts.astimezone(tz):%H:%M:%S %d/%m}  {labels.get(action, action)}{extra}  ({actor})")

        self.worker.run(lambda: self.duty.bulletins.history(bulletin.id), show)

    def shutdown(self) -> None:
        self._timer.stop()
        self.worker.stop()


def _scrolling(page: QWidget) -> QScrollArea:
    """`page` in a frameless scroll area: a tall page scrolls rather than raise the panel's minimum."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(page)
    return area


def create_flood_duty_panel(context, parent: QWidget) -> QWidget:
    """Panel factory for ui/panels.py: the core's flood duty, acted on by the session's operator."""
    panel = FloodDutyPanel(context, context.core.flood, context.session.acting_operator, parent)
    context.bridge.other_event.connect(panel.apply_event)
    context.on_shutdown(panel.shutdown)
    return panel
