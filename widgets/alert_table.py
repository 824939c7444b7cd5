"""The alert queue as a tree: flat in normal times, grouped by village and kind in a flood.

Bound to an ``AlertSnapshot`` (immutable, from the alert engine); the panel hands it over
with the filters applied. Rows are ordered state -> priority -> newest (ISA-18.2: what needs
action first). In flood mode one row per (village, kind) shows counts and its highest
priority; groups are ordered by that priority, so the worst stays on top. Selection and
expanded groups survive refreshes. Double-click on an alert emits ``alertActivated(id)``.

Run `python -m controlroom.widgets.alert_table` to see it with demo alerts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from PyQt6.QtCore import QModelIndex, Qt, pyqtSignal
from PyQt6.QtGui import QBrush, QColor, QFont, QFontMetrics, QStandardItem, QStandardItemModel
from PyQt6.QtWidgets import QAbstractItemView, QHeaderView, QTreeView, QWidget

from controlroom.alerts.model import Alert, AlertState, Priority, kind_label
from controlroom.alerts.text import alert_description, alert_title
from controlroom.i18n import tr
from controlroom.widgets.two_line_delegate import CONTEXT_ROLE, DETAIL_ROLE, TwoLineDelegate

ID_ROLE = Qt.ItemDataRole.UserRole + 1
GROUP_ROLE = Qt.ItemDataRole.UserRole + 2
COLUMNS = ("Priority", "State", "Time", "Village", "Kind", "Alert", "Acknowledged by")
STATE_COLUMN = 1
TITLE_COLUMN = 5  # the alert's words, with its detail line (and the hidden columns' texts) under them
# Which columns a queue this many average characters wide shows: priority, state and the alert
# always; time and village from 90; all from 130. What a hidden column would say goes into the
# alert's detail line, so nothing needs a sideways scroll or a tooltip.
COLUMNS_BY_WIDTH = ((130, (0, 1, 2, 3, 4, 5, 6)), (90, (0, 1, 2, 3, 5)), (0, (0, 1, 5)))
STATE_COLOURS = {
    AlertState.UNACKNOWLEDGED: "#ff5252",
    AlertState.RETURNED_UNACKNOWLEDGED: "#ffab40",
    AlertState.ACKNOWLEDGED: "#e0e0e0",
    AlertState.SHELVED: "#90a4ae",
    AlertState.OUT_OF_SERVICE: "#78909c",
    AlertState.NORMAL: "#81c784",
}


def column_titles() -> list[str]:
    return [tr("Priority"), tr("State"), tr("Time"), tr("Village"), tr("Kind"), tr("Alert"), tr("Acknowledged by")]


@dataclass(frozen=True)
class AlertGroup:
    """Flood-mode row: the alerts of one village and kind."""

    village: str | None
    kind: str
    alerts: tuple[Alert, ...]

    @property
    def key(self) -> str:
        return f"{self.village}|{self.kind}"

    @property
    def priority(self) -> Priority:
        return max(a.priority for a in self.alerts)

    @property
    def unacknowledged(self) -> int:
        return sum(1 for a in self.alerts if a.needs_action)

    @property
    def shelved(self) -> int:
        return sum(1 for a in self.alerts if a.state is AlertState.SHELVED)

    def state_text(self) -> str:
        """What the group's alerts wait for: shelved ones are put aside, not handled."""
        if self.unacknowledged:
            return tr("{n} need action", n=self.unacknowledged)
        return tr("{n} shelved", n=self.shelved) if self.shelved else tr("all handled")

    def sort_key(self) -> tuple:
        best = min(a.sort_key() for a in self.alerts)
        return (-int(self.priority), -self.unacknowledged, best)


def group_alerts(alerts: list[Alert] | tuple[Alert, ...]) -> list[AlertGroup]:
    groups: dict[tuple, list[Alert]] = {}
    for alert in alerts:
        groups.setdefault((alert.village, alert.kind), []).append(alert)
    made = [AlertGroup(v, k, tuple(sorted(items, key=Alert.sort_key))) for (v, k), items in groups.items()]
    return sorted(made, key=AlertGroup.sort_key)


class AlertTable(QTreeView):
    alertActivated = pyqtSignal(str)
    selectionChangedIds = pyqtSignal(list)

    def __init__(self, tz: tzinfo, village_names: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tz = tz
        self._villages = village_names
        self._model = QStandardItemModel(0, len(COLUMNS), self)
        self._model.setHorizontalHeaderLabels(column_titles())
        self.setModel(self._model)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setRootIsDecorated(False)
        header = self.header()
        header.setStretchLastSection(False)
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(TITLE_COLUMN, QHeaderView.ResizeMode.Stretch)
        # the state on up to two lines: one "Đã trở lại bình thường, chưa xác nhận" sized to its
        # contents took the alert's words to "Mực nướ…" for every row of a 500-px queue
        header.setSectionResizeMode(STATE_COLUMN, QHeaderView.ResizeMode.Fixed)
        self.setWordWrap(True)
        self.setItemDelegateForColumn(TITLE_COLUMN, TwoLineDelegate(self.isColumnHidden, self))
        self._fit_columns()
        self._expanded: set[str] = set()
        self._grouped = False
        self.doubleClicked.connect(self._activated)
        self.expanded.connect(lambda index: self._expanded.add(index.data(GROUP_ROLE) or ""))
        self.collapsed.connect(lambda index: self._expanded.discard(index.data(GROUP_ROLE) or ""))
        self.selectionModel().selectionChanged.connect(lambda *_: self.selectionChangedIds.emit(self.selected_ids()))

    # -- filling ---------------------------------------------------------------------------

    def show_alerts(self, alerts: list[Alert] | tuple[Alert, ...], grouped: bool) -> None:
        selected = set(self.selected_ids())
        current = self.currentIndex().data(ID_ROLE) or self.currentIndex().data(GROUP_ROLE)
        self.setUpdatesEnabled(False)
        self.selectionModel().blockSignals(True)  # a rebuild is not the operator changing the selection
        try:
            self._model.removeRows(0, self._model.rowCount())
            self._grouped = grouped
            self.setRootIsDecorated(grouped)
            if grouped:
                for group in group_alerts(alerts):
                    parent = self._group_row(group)
                    self._model.appendRow(parent)
                    for alert in group.alerts:
                        parent[0].appendRow(self._alert_row(alert))
            else:
                for alert in sorted(alerts, key=Alert.sort_key):
                    self._model.appendRow(self._alert_row(alert))
            self._restore(selected, current)
        finally:
            self.selectionModel().blockSignals(False)
            self.setUpdatesEnabled(True)
        if set(self.selected_ids()) != selected:  # selected alerts left the view (filtered, purged)
            self.selectionChangedIds.emit(self.selected_ids())

    def _alert_row(self, alert: Alert) -> list[QStandardItem]:
        state = alert.state
        local = alert.raised_at.astimezone(self._tz)
        ack = alert.acked_by or ""
        if state is AlertState.SHELVED and alert.shelved_until is not None:
            ack = tr("shelved by {who} until {time}: {reason}", who=alert.shelved_by or "",
                     time=alert.shelved_until.astimezone(self._tz).strftime("%H:%M"), reason=alert.shelve_reason)
        texts = [alert.priority.label(), state.label(), local.strftime("%H:%M:%S %d/%m"),
                 self._villages.get(alert.village or "", alert.village or "—"), kind_label(alert.kind),
                 alert_title(alert), ack]
        items = [QStandardItem(t) for t in texts]
        # under the title: what the hidden village, time and acknowledged-by columns would say (not
        # the kind: the title names it), then the detail
        self._with_detail_line(items, ((3, texts[3]), (2, local.strftime("%H:%M %d/%m")), (6, ack)),
                               alert_description(alert, self._tz))
        items[0].setData(alert.id, ID_ROLE)
        items[0].setBackground(QBrush(QColor(alert.priority.colour)))
        items[0].setForeground(QBrush(QColor("#000000" if alert.priority is Priority.MEDIUM else "#ffffff")))
        items[1].setForeground(QBrush(QColor(STATE_COLOURS[state])))
        if alert.needs_action:
            font = QFont()
            font.setBold(True)
            for item in items:
                item.setFont(font)
        acked = f"\n{tr('Acknowledged by')}: {alert.acked_by}" if alert.acked_by else ""
        for item in items:
            item.setToolTip(f"{alert_title(alert)}\n{alert_description(alert, self._tz)}{acked}\n{alert.source}")
        return items

    def _group_row(self, group: AlertGroup) -> list[QStandardItem]:
        village = self._villages.get(group.village or "", group.village or tr("(no village)"))
        latest = max(a.raised_at for a in group.alerts).astimezone(self._tz)
        texts = [group.priority.label(),
                 group.state_text(),
                 latest.strftime("%H:%M:%S %d/%m"),
                 village, kind_label(group.kind),
                 tr("1 alert") if len(group.alerts) == 1 else tr("{n} alerts", n=len(group.alerts)), ""]
        items = [QStandardItem(t) for t in texts]
        newest = max(group.alerts, key=lambda a: a.raised_at)
        self._with_detail_line(items, ((3, village), (4, texts[4]), (2, latest.strftime("%H:%M %d/%m"))),
                               tr("latest: {title}", title=alert_title(newest)))
        items[0].setData(group.key, GROUP_ROLE)
        items[0].setBackground(QBrush(QColor(group.priority.colour)))
        items[0].setForeground(QBrush(QColor("#000000" if group.priority is Priority.MEDIUM else "#ffffff")))
        font = QFont()
        font.setBold(True)
        for item in items:
            item.setFont(font)
        return items

    @staticmethod
    def _with_detail_line(items: list[QStandardItem], context: tuple[tuple[int, str], ...], detail: str) -> None:
        """The title cell's second line: `context` (column, text) shown while its column is hidden, then the detail."""
        title = items[TITLE_COLUMN]
        title.setData(detail, DETAIL_ROLE)
        title.setData([(c, t) for c, t in context if t], CONTEXT_ROLE)

    def _restore(self, selected: set[str], current: str | None) -> None:
        selection = self.selectionModel()
        for row in range(self._model.rowCount()):
            top = self._model.index(row, 0)
            key = top.data(GROUP_ROLE)
            if key is not None and key in self._expanded:
                self.setExpanded(top, True)
            for index in [top] + [self._model.index(r, 0, top) for r in range(self._model.rowCount(top))]:
                alert_id = index.data(ID_ROLE)
                if alert_id in selected or (key is not None and key == current and index == top):
                    selection.select(index, selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
                if current is not None and (alert_id == current):
                    selection.setCurrentIndex(index, selection.SelectionFlag.NoUpdate)

    # -- reading the selection -------------------------------------------------------------

    def selected_ids(self) -> list[str]:
        """Alert ids of the selected rows; a selected group stands for all its alerts."""
        ids: list[str] = []
        for index in self.selectionModel().selectedRows(0):
            alert_id = index.data(ID_ROLE)
            if alert_id:
                ids.append(alert_id)
            elif index.data(GROUP_ROLE) is not None:
                ids.extend(self._model.index(r, 0, index).data(ID_ROLE) for r in range(self._model.rowCount(index)))
        return list(dict.fromkeys(ids))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """What each alert is, without a sideways scroll: the narrower the queue, the fewer
        columns give up their room to the alert's own words (all of it stays in the row's
        tooltip); a wide queue shows them all."""
        self.header().resizeSection(STATE_COLUMN, self._state_width())
        chars = self.viewport().width() / max(1, self.fontMetrics().averageCharWidth())
        shown = next(columns for least, columns in COLUMNS_BY_WIDTH if chars >= least)
        changed = False
        for column in range(len(COLUMNS)):
            if self.isColumnHidden(column) != (column not in shown):
                self.setColumnHidden(column, column not in shown)
                changed = True
        if changed:  # the detail lines now carry other columns' texts
            self.viewport().update()

    def _state_width(self) -> int:
        """Room for every state's words (bold: an alert needing action) on at most two lines."""
        font = QFont(self.font())
        font.setBold(True)
        metrics = QFontMetrics(font)

        def widest_line(text: str) -> int:
            words = text.split()
            return min([metrics.horizontalAdvance(text)] + [
                max(metrics.horizontalAdvance(" ".join(words[:i])), metrics.horizontalAdvance(" ".join(words[i:])))
                for i in range(1, len(words))])

        texts = [state.label() for state in AlertState] + [self._model.headerData(STATE_COLUMN, Qt.Orientation.Horizontal)]
        return max(widest_line(str(t)) for t in texts) + 3 * metrics.averageCharWidth()

    def row_count(self) -> int:
        return self._model.rowCount()

    def _activated(self, index: QModelIndex) -> None:
        alert_id = index.sibling(index.row(), 0).data(ID_ROLE)
        if alert_id:
            self.alertActivated.emit(alert_id)


def _demo() -> None:  # pragma: no cover - manual look
    import sys
    from datetime import timedelta, timezone

    from PyQt6.QtWidgets import QApplication

    from controlroom.alerts import model as m
    from controlroom.alerts.model import Condition

    app = QApplication(sys.argv)
    now = datetime.now(timezone.utc)
    alerts = []
    for i, (village, kind, prio) in enumerate([("v1", "alarm_level", Priority.CRITICAL), ("v1", "citizen_report", Priority.HIGH),
                                               ("v2", "device_offline", Priority.MEDIUM), ("v2", "stale", Priority.LOW)]):
        cond = Condition(f"sensor/s{i}/level", "high", kind, True, now - timedelta(minutes=i), prio, 3.1 + i, 3.0, 1, village,
                         {"name": f"Trạm {i}", "unit": "m", "label": "Mực nước", "text": "Nước ngập", "category": "flooding"})
        alerts.append(m.apply_condition(None, cond, "demo")[0])
    table = AlertTable(timezone(timedelta(hours=7)), {"v1": "Thôn Một", "v2": "Thôn Hai"})
    table.show_alerts(alerts, grouped="--flood" in sys.argv)
    table.resize(1200, 400)
    table.show()
    app.exec()


if __name__ == "__main__":  # pragma: no cover
    _demo()
