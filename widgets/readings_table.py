"""A table of the latest value of every configured sensor metric (sensor/<id>/<metric>).

One row per metric, in config order: sensor name, metric label, value with unit, local time
of the reading (the site's zone) and its state. A value older than 3 x the sensor's
reporting interval is shown as stale (amber), a metric that never reported as "no data":
the table never shows an old number as if it were current. Values are read from the core's
LiveState (the table keeps no copy); the bridge says which addresses changed each tick
(``apply_changed``) and a 1 s timer re-ages the rows.

Run `python -m controlroom.widgets.readings_table` to see it with demo data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from PyQt6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from controlroom.config import Config, metric_label
from controlroom.domain import Reading
from controlroom.i18n import format_number, tr
from controlroom.live_state import LiveState


LIVE = "live"
STALE = "stale"
NO_DATA = "no_data"

STATE_COLOURS = {LIVE: QColor("#4ade80"), STALE: QColor("#fbbf24"), NO_DATA: QColor("#94a3b8")}

COL_SENSOR, COL_METRIC, COL_VALUE, COL_TIME, COL_STATE = range(5)


def format_value(value: float, unit: str) -> str:
    """Enough decimals to read a change, not more: 2,37 m, 41,2 µg/m³, 1204 µg/m³ (in Vietnamese)."""
    magnitude = abs(value)
    decimals = 2 if magnitude < 10 else 1 if magnitude < 1000 else 0
    text = format_number(value, decimals)
    return f"{text} {unit}" if unit and unit != "pH" else text


@dataclass
class _Row:
    address: str
    sensor_name: str
    metric_label: str
    unit: str
    stale_after: timedelta
    state: str = NO_DATA  # as last painted: a change repaints the row


class ReadingsModel(QAbstractTableModel):
    def __init__(self, config: Config, live: LiveState, clock: Callable[[], datetime] | None = None, parent=None) -> None:
        super().__init__(parent)
        self._live = live
        self._tz = config.site.tz
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._rows: list[_Row] = []
        self._index: dict[str, int] = {}
        for sensor in config.sensors:
            for metric_id, metric in sensor.metrics.items():
                self._add_row(
                    _Row(
                        address=f"sensor/{sensor.id}/{metric_id}",
                        sensor_name=sensor.name,
                        metric_label=metric_label(metric_id, metric),
                        unit=metric.unit,
                        stale_after=timedelta(seconds=sensor.live_limit_s),
                    )
                )
        self._headers = [tr("Sensor"), tr("Metric"), tr("Value"), tr("Time"), tr("State")]
        self._state_text = {LIVE: tr("live"), STALE: tr("stale"), NO_DATA: tr("no data")}

    def _add_row(self, row: _Row) -> None:
        self._index[row.address] = len(self._rows)
        self._rows.append(row)

    # Qt model API
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else 5

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (COL_VALUE, COL_TIME):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column in (COL_SENSOR, COL_METRIC):
            return row.address
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.UserRole):
            return None
        reading = self._live.reading(row.address)  # value and state from the same reading
        state = self._state(row, reading, self._clock())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column, reading, state)
        if role == Qt.ItemDataRole.UserRole:
            return state
        if column in (COL_VALUE, COL_TIME, COL_STATE):  # foreground
            return STATE_COLOURS[state] if state != LIVE or column == COL_STATE else None
        return None

    def _display(self, row: _Row, column: int, reading: Reading | None, state: str) -> str:
        if column == COL_SENSOR:
            return row.sensor_name
        if column == COL_METRIC:
            return row.metric_label
        if column == COL_STATE:
            return "● " + self._state_text[state]
        if reading is None:
            return "—"
        if column == COL_VALUE:
            return format_value(reading.value, row.unit)
        local = reading.ts.astimezone(self._tz)
        if local.date() != self._clock().astimezone(self._tz).date():
            return local.strftime("%d/%m %H:%M:%S")
        return local.strftime("%H:%M:%S")

    # updates (GUI thread)
    def apply_changed(self, latest: dict[str, Reading]) -> None:
        """The bridge's tick: these addresses changed (their values are in the live state)."""
        now = self._clock()
        changed = []
        for address, reading in latest.items():
            position = self._index.get(address)
            if position is not None:
                self._rows[position].state = self._state(self._rows[position], reading, now)
                changed.append(position)
        if changed:
            self.dataChanged.emit(self.index(min(changed), COL_VALUE), self.index(max(changed), COL_STATE))

    def reage(self) -> None:
        """Recompute live/stale against the clock; repaint only if a state changed."""
        now = self._clock()
        changed = []
        for position, row in enumerate(self._rows):
            state = self._state(row, self._live.reading(row.address), now)
            if state != row.state:
                row.state = state
                changed.append(position)
        if changed:
            self.dataChanged.emit(self.index(min(changed), COL_VALUE), self.index(max(changed), COL_STATE))

    @staticmethod
    def _state(row: _Row, reading: Reading | None, now: datetime) -> str:
        if reading is None:
            return NO_DATA
        return STALE if now - reading.ts > row.stale_after else LIVE

    def row_of(self, address: str) -> int | None:
        return self._index.get(address)

    def counts(self) -> dict[str, int]:
        result = {LIVE: 0, STALE: 0, NO_DATA: 0}
        for row in self._rows:
            result[row.state] += 1
        return result


class ReadingsTable(QTableView):
    """The live readings view; `apply_changed` is connected to CoreBridge.readings_changed."""

    def __init__(self, config: Config, live: LiveState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readingsTable")
        self.model_ = ReadingsModel(config, live, parent=self)
        self.setModel(self.model_)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(COL_SENSOR, QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setDefaultSectionSize(round(self.fontMetrics().height() * 1.5))
        self.model_.reage()
        # Sized once, then left to the operator: ResizeToContents re-measured every row on each
        # update and held the GUI thread for hundreds of ms during an ingest flood.
        widest_value = self.fontMetrics().horizontalAdvance("-00000,00 µg/m³")
        for column in (COL_METRIC, COL_VALUE, COL_TIME, COL_STATE):
            self.resizeColumnToContents(column)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            width = max(header.sectionSize(column), widest_value if column == COL_VALUE else 0)
            header.resizeSection(column, width + self.fontMetrics().horizontalAdvance("00"))
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.model_.reage)
        self._timer.start(1000)

    def apply_changed(self, latest: dict[str, Reading]) -> None:
        self.model_.apply_changed(latest)


if __name__ == "__main__":
    import random
    import sys

    from PyQt6.QtWidgets import QApplication

    from controlroom.bus import EventBus
    from controlroom.config import demo_config_path, load_config

    app = QApplication(sys.argv)
    demo = load_config(demo_config_path())
    bus = EventBus()
    live = LiveState(bus)
    table = ReadingsTable(demo, live)
    addresses = [(s.id, m) for s in demo.sensors for m in s.metrics][:-3]  # the last three stay "no data"

    def tick() -> None:
        now = datetime.now(timezone.utc)
        readings = [Reading(s, m, now, random.uniform(0, 80)) for s, m in addresses]
        bus.publish_batch(readings)
        table.apply_changed({r.address: r for r in readings})

    feeder = QTimer()
    feeder.timeout.connect(tick)
    feeder.start(1000)
    table.resize(900, 600)
    table.show()
    sys.exit(app.exec())
