"""The alert queue panel: what needs action, in priority order, even during a flood.

Pulls the engine's latest ``AlertSnapshot`` on a 250 ms timer (a latest-value slot, no
signal per alert), applies the operator's filters and shows it in ``AlertTable``. A red
banner says plainly when the queue is in flood mode (alerts grouped by village and kind).
Acknowledge / shelve / manual alerts go to the engine, which records who and when and
shares the change with the other console. New high-priority alerts sound an alarm until
they are acknowledged (or silenced). Double-click opens the alert's source: the camera,
the sensor graph, the place on the map.
"""

from __future__ import annotations

import logging
import threading
import weakref

from PyQt6 import sip
from PyQt6.QtCore import QTimer, pyqtSignal
from PyQt6.QtGui import QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from controlroom.alerts.engine import AlertEngine, AlertSnapshot
from controlroom.alerts.inbox import EngineBusy
from controlroom.alerts.model import (
    KINDS,
    Alert,
    AlertState,
    Priority,
    kind_label,
)
from controlroom.alerts.cap_export import export_alerts
from controlroom.i18n import tr
from controlroom.access.operators import Operator, PermissionDenied
from controlroom.ui.flood.flood_mode import is_flood_alert
from controlroom.paths import data_dir
from controlroom.ui.alerts.dialogs import AcknowledgeDialog, ManualAlertDialog, ShelveDialog
from controlroom.ui.alerts.history_view import AlertHistoryView
from controlroom.ui.shell.background import run_in_background
from controlroom.widgets.alarm_sound import AlarmSound
from controlroom.widgets.alert_table import AlertTable
from controlroom.widgets.flow_layout import FlowLayout
from controlroom.widgets.role_gate import gate

log = logging.getLogger(__name__)
PULL_MS = 250
SOON_MS = 30


class AlertPanel(QWidget):
    alertSelected = pyqtSignal(str)  # one alert selected (the map pans to it through the navigator)
    _engineChanged = pyqtSignal()  # emitted on the engine thread, delivered queued on the GUI thread

    def __init__(self, context, engine: AlertEngine, parent: QWidget | None = None, sound: bool = True) -> None:
        super().__init__(parent)
        self.context = context
        self.engine = engine
        self.config = context.config
        self._version = -1
        self._snapshot: AlertSnapshot | None = None
        self._silenced: set[tuple] = set()
        self.ringing = False
        self.min_sound_priority = Priority.parse(self.config.alerts.sound_min_priority)
        villages = {v.id: v.name for v in self.config.villages}

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #b71c1c; color: white; font-weight: bold; padding: 6px; border-radius: 3px;")
        self.banner.hide()

        self.village_filter = QComboBox()
        self.village_filter.addItem(tr("All villages"), None)
        for village in self.config.villages:
            self.village_filter.addItem(village.name, village.id)
        self.kind_filter = QComboBox()
        self.kind_filter.addItem(tr("All kinds"), None)
        self.kind_filter.addItem(tr("Flood: water levels, rain, flood-point cameras, flood reports"), "flood")  # flood mode picks it
        for kind in KINDS:
            self.kind_filter.addItem(kind_label(kind), kind)
        self.priority_filter = QComboBox()
        self.priority_filter.addItem(tr("All priorities"), Priority.LOW)
        for priority in (Priority.MEDIUM, Priority.HIGH, Priority.CRITICAL):
            self.priority_filter.addItem(tr("{p} and above", p=priority.label()), priority)
        self.show_normal = QCheckBox(tr("Show returned to normal"))
        self.group_box = QCheckBox(tr("Group by village"))
        for widget in (self.village_filter, self.kind_filter, self.priority_filter):
            widget.currentIndexChanged.connect(self._force_refresh)
        self.show_normal.toggled.connect(self._force_refresh)
        self.group_box.toggled.connect(self._force_refresh)

        filters = FlowLayout()  # rows wrap in a narrow dock instead of widening it
        filters.addWidget(QLabel(tr("Filter:")))
        for widget in (self.village_filter, self.kind_filter, self.priority_filter, self.show_normal, self.group_box):
            filters.addWidget(widget)

        self.ack_button = QPushButton(tr("Acknowledge"))
        self.ack_button.setToolTip(tr("Acknowledge the selected alerts (Ctrl+K)"))
        self.shelve_button = QPushButton(tr("Shelve…"))
        self.unshelve_button = QPushButton(tr("Unshelve"))
        self.service_button = QPushButton(tr("Out of service / back"))
        self.manual_button = QPushButton(tr("New alert…"))
        self.export_button = QPushButton(tr("Export CAP…"))
        self.silence_button = QPushButton(tr("Silence"))
        self.ack_button.clicked.connect(self.acknowledge_selected)
        self.shelve_button.clicked.connect(self.shelve_selected)
        self.unshelve_button.clicked.connect(self.unshelve_selected)
        self.service_button.clicked.connect(self.toggle_service_selected)
        self.manual_button.clicked.connect(self.new_manual_alert)
        self.export_button.clicked.connect(self.export_selected)
        self.silence_button.clicked.connect(self.silence)
        QShortcut(QKeySequence("Ctrl+K"), self, activated=self.acknowledge_selected)
        self._role_buttons = [(self.ack_button, "alert.acknowledge"), (self.shelve_button, "alert.shelve"),
                              (self.unshelve_button, "alert.shelve"), (self.service_button, "alert.out_of_service"),
                              (self.manual_button, "alert.raise")]
        actions = FlowLayout()
        for button in (self.ack_button, self.shelve_button, self.unshelve_button, self.service_button,
                       self.manual_button, self.export_button, self.silence_button):
            actions.addWidget(button)

        self.table = AlertTable(self.config.site.tz, villages, self)
        self.table.alertActivated.connect(self.open_source)
        self.table.selectionChangedIds.connect(self._selection_changed)
        # At least the header and four alerts, however the docks around it are sized (at 3840x2160
        # the queue was squeezed to its header under a tall flood-duty dock).
        row = self.table.fontMetrics().height() + 8
        self.table.setMinimumHeight(self.table.header().sizeHint().height() + 4 * row + 2 * self.table.frameWidth())

        self.kpis = QLabel()
        self.kpis.setWordWrap(True)
        self.kpis.setStyleSheet("padding: 2px 4px;")
        self.history = AlertHistoryView(engine, context.core.engine, self.config.site.id, self.config.site.tz)
        self.history.setMaximumHeight(self.fontMetrics().height() * 5)
        self.status = QLabel()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.banner)
        layout.addLayout(filters)
        layout.addLayout(actions)
        # the counters above the list: where the column is short (flood mode, 1920 x 1080, the
        # buttons wrapped in Vietnamese) what scrolls out of view is the history, not "Cần xử lý: 9"
        layout.addWidget(self.kpis)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.history)
        layout.addWidget(self.status)

        context.session.changed.connect(self._apply_role)
        context.session.locked_changed.connect(self._apply_role)
        self._apply_role()

        self.sound = AlarmSound(self) if sound and self.config.alerts.sound else None
        if self.sound is not None:
            self.sound.on_problem = self.status.setText
            if self.sound.problem:
                self.status.setText(self.sound.problem)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.pull)
        self._timer.start(PULL_MS)  # fallback and clock-driven KPI refresh
        self._soon = QTimer(self)  # a change pulls within SOON_MS, coalescing bursts (floods)
        self._soon.setSingleShot(True)
        self._soon.setInterval(SOON_MS)
        self._soon.timeout.connect(self.pull)
        self._change_posted = threading.Event()
        self._engineChanged.connect(self._schedule_pull)  # a bound slot: disconnected when the panel goes
        _listen_while_alive(engine, self)
        self.pull()

    # -- refresh ---------------------------------------------------------------------------

    def pull(self) -> None:
        snapshot = self.engine.snapshot()
        if snapshot.version != self._version:
            self._version = snapshot.version
            self._refresh(snapshot)

    def _schedule_pull(self) -> None:
        self._change_posted.clear()
        if not self._soon.isActive():
            self._soon.start()

    def _force_refresh(self, *_args) -> None:
        self._version = -1
        self.pull()

    def visible_alerts(self, snapshot: AlertSnapshot) -> list[Alert]:
        village, kind = self.village_filter.currentData(), self.kind_filter.currentData()
        minimum = self.priority_filter.currentData() or Priority.LOW
        show_normal = self.show_normal.isChecked()
        return [a for a in snapshot.alerts
                if (village is None or a.village == village)
                and (kind is None or a.kind == kind or (kind == "flood" and is_flood_alert(self.config, a)))
                and a.priority >= minimum and (show_normal or a.state is not AlertState.NORMAL)]

    def _refresh(self, snapshot: AlertSnapshot) -> None:
        self._snapshot = snapshot
        grouped = snapshot.flood or self.group_box.isChecked()
        visible = self.visible_alerts(snapshot)
        self.table.show_alerts(visible, grouped)
        k = snapshot.kpis
        if snapshot.flood:
            self.banner.setText(tr("ALERT FLOOD: {n} new alerts in the last {m} minutes. Alerts are grouped by village and kind, "
                                   "highest priority on top. Handle the top groups first.", n=k.alerts_in_window, m=round(k.window_s / 60)))
        self.banner.setVisible(snapshot.flood)
        need = sum(1 for a in snapshot.alerts if a.needs_action)
        shelved = sum(1 for a in snapshot.alerts if a.state is AlertState.SHELVED)
        hidden = need - sum(1 for a in visible if a.needs_action)
        # an empty list under "Need action: 16" reads as a fault: say the filters hide them
        note = tr("The filters hide {hidden} of the {need} alerts that need action.", hidden=hidden, need=need) + "\n" if hidden else ""
        self.kpis.setText(note + tr("Need action: {need} · Shelved: {shelved} · New alerts in {m} min: {n} · Chattering: {c} · "
                             "Time in flood: {f} min ({p} %)", need=need, shelved=shelved, m=round(k.window_s / 60),
                             n=k.alerts_in_window, c=k.chattering, f=round(k.time_in_flood_s / 60),
                             p=round(k.flood_share * 100)))
        self._update_sound(snapshot)
        self.history.follow(snapshot)

    def _ringing_keys(self, snapshot: AlertSnapshot) -> set[tuple]:
        return {(a.id, a.raise_count, int(a.priority)) for a in snapshot.alerts
                if a.state is AlertState.UNACKNOWLEDGED and a.priority >= self.min_sound_priority}

    def _update_sound(self, snapshot: AlertSnapshot) -> None:
        keys = self._ringing_keys(snapshot)
        self._silenced &= keys
        self.ringing = bool(keys - self._silenced)
        if self.sound is not None:
            self.sound.set_ringing(self.ringing)
        self.silence_button.setEnabled(self.ringing)

    def silence(self) -> None:
        """Stop the tone for the alerts ringing now (ISA-18.2 silence); a new one rings again."""
        if self._snapshot is not None:
            self._silenced |= self._ringing_keys(self._snapshot)
            self._update_sound(self._snapshot)

    def _selection_changed(self, ids: list[str]) -> None:
        """The operator selected rows: tell the map, and show the alert's recorded history."""
        if len(ids) == 1:
            self.alertSelected.emit(ids[0])
            self.context.navigator.focus_alert(ids[0])
        self.history.select(ids[0] if ids else None)

    # -- operator actions ------------------------------------------------------------------

    def acting(self) -> Operator:
        """Who acts: the session's signed-in operator (NOBODY while signed out or locked)."""
        return self.context.session.acting_operator()

    def _may(self, action: str) -> Operator | None:
        """The acting operator if their role allows `action`; otherwise say why, before any dialog."""
        operator = self.acting()
        if not operator.may(action):
            self.status.setText(str(PermissionDenied(operator, action)))
            return None
        return operator

    def _apply_role(self, *_args) -> None:
        """Buttons the acting operator's role cannot use are disabled, with the reason as tooltip."""
        gate(self.acting(), self._role_buttons)
        self.status.setText("")  # nothing said to the previous operator stays on screen

    def _allowed(self, call) -> bool:
        try:
            call()
        except PermissionDenied as exc:  # the role does not allow it: say so, change nothing
            self.status.setText(str(exc))
            return False
        except EngineBusy:  # far behind: say so rather than let it reach Qt (which would end the console)
            self.status.setText(tr("The alert engine is busy; try again in a moment."))
            return False
        except ValueError as exc:
            self.status.setText(str(exc))
            return False
        return True

    def _still(self, action: str) -> Operator | None:
        """After a dialog: the console may have been locked or changed hands while it was open."""
        return self._may(action)

    def _selected_or_say(self) -> list[str]:
        ids = self.table.selected_ids()
        if not ids:
            self.status.setText(tr("Select one or more alerts first."))
        return ids

    def acknowledge_selected(self) -> None:
        ids = self._selected_or_say()
        operator = ids and self._may("alert.acknowledge")
        if not operator:
            return
        dialog = AcknowledgeDialog(len(ids), operator, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and (operator := self._still("alert.acknowledge")):
            if self._allowed(lambda: self.engine.acknowledge(ids, operator, dialog.comment.text().strip())):
                self.status.setText(tr("Acknowledged {n} alert(s).", n=len(ids)))

    def shelve_selected(self) -> None:
        ids = self._selected_or_say()
        operator = ids and self._may("alert.shelve")
        if not operator:
            return
        dialog = ShelveDialog(len(ids), operator, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and (operator := self._still("alert.shelve")):
            if self._allowed(lambda: self.engine.shelve(ids, operator, dialog.reason.text(), dialog.duration_s())):
                self.status.setText(tr("Shelved {n} alert(s).", n=len(ids)))

    def unshelve_selected(self) -> None:
        ids = self._selected_or_say()
        operator = ids and self._may("alert.shelve")
        if operator:
            self._allowed(lambda: self.engine.unshelve(ids, operator))

    def toggle_service_selected(self) -> None:
        ids = self._selected_or_say()
        operator = ids and self._may("alert.out_of_service")
        if not operator or self._snapshot is None:
            return
        alerts = [a for a in self._snapshot.alerts if a.id in set(ids)]
        back = all(a.out_of_service for a in alerts)
        self._allowed(lambda: self.engine.set_in_service(ids, operator, in_service=back, reason=tr("by operator")))

    def new_manual_alert(self) -> None:
        operator = self._may("alert.raise")
        if not operator:
            return
        villages = [(v.id, v.name) for v in self.config.villages]
        dialog = ManualAlertDialog(villages, operator, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and (operator := self._still("alert.raise")):
            self._allowed(lambda: self.engine.raise_manual(operator, dialog.text.toPlainText(),
                                                           dialog.priority.currentData(), dialog.village.currentData()))

    def export_selected(self) -> None:
        ids = set(self.table.selected_ids())
        if self._snapshot is None:
            return
        alerts = [a for a in self._snapshot.alerts if a.id in ids] or list(self.visible_alerts(self._snapshot))
        if not alerts:
            self.status.setText(tr("Nothing to export."))
            return
        folder = QFileDialog.getExistingDirectory(self, tr("Export alerts as CAP 1.2 XML"), str(data_dir() / "cap"))
        if not folder:
            return
        config = self.config
        run_in_background(lambda: export_alerts(alerts, config, folder),
                          lambda paths: self.status.setText(tr("Exported {n} CAP file(s) to {folder}", n=len(paths), folder=folder)),
                          lambda exc: self.status.setText(tr("CAP export failed: {reason}", reason=str(exc))))

    # -- opening the source ----------------------------------------------------------------

    def open_source(self, alert_id: str) -> None:
        """Camera -> camera wall, sensor/device -> its graph, always -> the place on the map."""
        alert = self._snapshot.get(alert_id) if self._snapshot else None
        if alert is None:
            return
        navigator = self.context.navigator
        parts = alert.source.split("/")
        opened = []
        if parts[0] == "camera" and len(parts) > 1 and navigator.open_camera(parts[1]):
            opened.append(tr("camera"))
        sensor_id = parts[1] if parts[0] == "sensor" and len(parts) > 1 else None
        if parts[0] == "device" and len(parts) > 1:
            sensor_id = next((s.id for s in self.config.sensors if s.status_device_id == parts[1]), None)
        metric = parts[2] if parts[0] == "sensor" and len(parts) > 2 else None
        if sensor_id and navigator.show_sensor(sensor_id, metric):
            opened.append(tr("graph"))
        if navigator.focus_alert(alert.id, bring_forward=True):
            opened.append(tr("map"))
        self.status.setText(tr("Opened: {what}", what=", ".join(opened)) if opened else
                            tr("No view for {source} is open.", source=alert.source))


def _listen_while_alive(engine: AlertEngine, panel: AlertPanel) -> None:
    """Tell `panel` of engine changes (engine thread) until it is gone, then stop listening.

    Not a lambda on the panel's `destroyed` signal: PyQt may run that while it tears the
    wrapper down, and that crashed a test run."""
    ref = weakref.ref(panel)

    def notify(_snapshot) -> None:
        alive = ref()
        try:
            if alive is not None and not sip.isdeleted(alive):
                if not alive._change_posted.is_set():  # one queued event at a time, however fast the engine goes
                    alive._change_posted.set()
                    alive._engineChanged.emit()
                return
        except RuntimeError:  # deleted between the check and the emit
            pass
        remove()

    remove = engine.add_listener(notify)


def create_alert_panel(context, parent: QWidget) -> AlertPanel:
    """Panel factory (ui.panels): the queue of the core's alert engine."""
    return AlertPanel(context, context.core.alerts, parent)
