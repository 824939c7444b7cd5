"""The main window's status bar: the site's service, broker link, database, feeds, message
rate, dropped payloads.

Updated by a 1 s timer that only reads counters the core keeps (no blocking call, no I/O on
the GUI thread), plus ConnectionState events from the bridge for immediate link changes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QLabel, QStatusBar, QWidget

from controlroom.domain import ConnectionState
from controlroom.feeds.client_ids import console_host
from controlroom.i18n import format_number, tr
from controlroom.ui.shell.source_health import source_health
from controlroom.widgets.elided_label import ElidedLabel
from controlroom.service.watch import ServiceStatus

BACKLOG_WARN = 100  # readings waiting at the service before the status bar says so


@dataclass
class CoreStats:
    """A snapshot of the counters shown in the status bar."""

    broker_connected: bool = False
    database_ok: bool = True
    database_detail: str = ""
    sensors_live: int = 0
    sensors_stale: int = 0
    devices_offline: int = 0
    rate: float = 0.0
    rows_written: int = 0
    write_queue: int = 0
    dropped: Counter = field(default_factory=Counter)


def read_core_stats(core, now: datetime | None = None) -> CoreStats:
    """Read the core's counters (plain attribute reads under the core's own locks)."""
    now = now or datetime.now(timezone.utc)
    stats = CoreStats()
    feed_stats = core.feed.stats
    stats.broker_connected = feed_stats.connected
    stats.rate = feed_stats.rate
    stats.dropped = Counter({str(k): int(v) for k, v in feed_stats.rejects.items() if v})
    writer_stats = core.storage.stats
    stats.database_ok = writer_stats.database_connected is not False
    stats.database_detail = writer_stats.last_error or ""
    stats.rows_written = writer_stats.rows_written
    stats.write_queue = writer_stats.queue_depth
    for sensor in core.config.sensors:
        last = core.live.last_reading_time(sensor.id)
        if last is not None and now - last <= timedelta(seconds=sensor.live_limit_s):
            stats.sensors_live += 1
        else:
            stats.sensors_stale += 1
    # a console closed for the night is no device fault: the devices list shows it under Consoles
    stats.devices_offline = sum(1 for s in core.live.devices().values()
                                if not s.online and console_host(core.config, s.device_id) is None)
    stats.devices_offline += sum(1 for s in core.live.speakers().values() if s.state == "offline")
    return stats


class ControlRoomStatusBar(QStatusBar):
    def __init__(self, context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self._core = context.core
        self._broker_text = context.broker_description
        self._broker_detail = context.broker_detail
        self._ever_connected = False
        self.operator_label = self._label("operator")
        self._session = context.session
        self._session.changed.connect(self._show_operator)
        self._session.locked_changed.connect(self._show_operator)
        self._show_operator()
        self.simulation_label = self._label("simulation")
        self._show_simulation(context.simulation_speed)
        self.service_label = self._label("service")
        self.sources_label = self._label("sources")
        self.sources_label.hide()
        self.broker_label = self._label("broker")
        self.database_label = self._label("database")
        self.feeds_label = self._label("feeds")
        self.rate_label = self._label("rate")
        self.dropped_label = self._label("dropped")
        self.stats = CoreStats()
        self._refusals_shown = 0
        context.bridge.connection_state.connect(self._on_connection_state)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(1000)
        self.refresh()

    def _label(self, name: str) -> QLabel:
        label = ElidedLabel(parent=self)  # squeezed: "…", never a number cut off; never widens the window
        label.setObjectName(f"status_{name}")
        self.addPermanentWidget(label)
        return label

    def _on_connection_state(self, state: ConnectionState) -> None:
        if state.link == "broker":
            self.stats.broker_connected = state.connected
            self._ever_connected |= state.connected
            self._show_broker()
        elif state.link == "database":
            self.stats.database_ok = state.connected
            self.stats.database_detail = state.detail
            self._show_database()

    def refresh(self) -> None:
        self.stats = read_core_stats(self._core)
        self._ever_connected |= self.stats.broker_connected
        self._show_service(datetime.now(timezone.utc))
        self._show_sources(datetime.now(timezone.utc))
        self._show_refusal()
        self._show_broker()
        self._show_database()
        s = self.stats
        self.feeds_label.setText(
            tr("Feeds: {live} sensors live / {stale} stale / {offline} devices offline", live=s.sensors_live, stale=s.sensors_stale, offline=s.devices_offline)
        )
        self._set_level(self.feeds_label, "warn" if s.sensors_stale or s.devices_offline else "ok")
        self.rate_label.setText(tr("{rate} msg/s", rate=format_number(s.rate, 1)))
        total = sum(s.dropped.values())
        self.dropped_label.setText(tr("Dropped: {n}", n=total))
        self._set_level(self.dropped_label, "warn" if total else "ok")
        if total:
            reasons = "\n".join(f"{reason}: {count}" for reason, count in s.dropped.most_common())
            self.dropped_label.setToolTip(tr("Dropped payloads by reason:") + "\n" + reasons)
        else:
            self.dropped_label.setToolTip(tr("No payload has been dropped."))

    def _show_operator(self, *_args) -> None:
        """Who is signed in, and as what: always in sight."""
        operator = self._session.operator
        if operator is None:
            self.operator_label.setText(tr("Not signed in"))
            self._set_level(self.operator_label, "warn")
        else:
            role = operator.role.label
            text = (tr("Signed in: {name}", name=operator.display_name) if role.casefold() in operator.display_name.casefold()
                    else tr("Signed in: {name} ({role})", name=operator.display_name, role=role))
            self.operator_label.setText(text + (" — " + tr("locked") if self._session.locked else ""))
            self._set_level(self.operator_label, "ok")

    def _show_simulation(self, speed: float | None) -> None:
        """Say plainly when the simulator, not a river, drives the readings (and how fast)."""
        self.simulation_label.setVisible(speed is not None)
        if speed is None:
            return
        shown = f"{speed:g}"
        self.simulation_label.setText(tr("SIMULATION ×{speed}", speed=shown))
        self.simulation_label.setToolTip(tr("The demo's simulator sends these readings; its weather and river run "
                                            "{speed} times faster than real time.", speed=shown))
        self._set_level(self.simulation_label, "warn")

    def _show_service(self, now: datetime) -> None:
        """Whether the site's service is up, as its retained presence and health say."""
        status = self._core.service_watch.status
        health = status.health
        text, level = service_line(status, now, self._core.config.site.tz)
        self.service_label.setText(text)
        self._set_level(self.service_label, level)
        if health:
            self.service_label.setToolTip(
                tr("Host {host}, process {pid}: {rate} readings/s stored, {open} alerts open",
                   host=health.get("host", "?"), pid=health.get("pid", "?"), rate=health.get("readings_per_s", "?"),
                   open=health.get("alerts_open", "?"))
                + "\n" + tr("Readings waiting to be stored: {n}", n=health.get("ingest_backlog", "?")))
        else:
            self.service_label.setToolTip(tr("No service has announced itself for this commune: this "
                                             "console runs the duties itself."))
        if self._core.commands is not None and status.presence != "online":
            self.service_label.setToolTip(tr("This console is a client of the service: while the service is down, "
                                             "no alarm is judged, no bulletin repeats and no command is carried out."))

    def _show_sources(self, now: datetime) -> None:
        """Vendors' devices and stations: from the service's health, or this core's own sources."""
        sources = self._core.service_watch.status.health.get("sources")
        if not sources and getattr(self._core, "devices", None) is not None and self._core.devices.mappers:
            sources = [source.as_json() for source in self._core.devices.stats()]
        self.sources_label.setVisible(bool(sources))
        if not sources or not isinstance(sources, list):
            return
        text, level, tooltip = source_health([s for s in sources if isinstance(s, dict)], now)
        self.sources_label.setText(text)
        self.sources_label.setToolTip(tooltip)
        self._set_level(self.sources_label, level)

    def _show_refusal(self) -> None:
        """An attached console's command the service refused or never answered: said once, in
        the operator's words, for long enough to read."""
        commands = self._core.commands
        if commands is not None and commands.refused != self._refusals_shown:
            self._refusals_shown = commands.refused
            self.showMessage(tr("Not carried out: {reason}", reason=commands.last_refusal), 20_000)

    def _show_broker(self) -> None:
        where, detail = self._broker_text, self._broker_detail
        self.broker_label.setToolTip(where if detail in where else f"{where}\n{detail}")
        if self.stats.broker_connected:  # where it is: in the tooltip, the bar is full
            self.broker_label.setText(tr("Broker: connected"))
            self._set_level(self.broker_label, "ok")
        elif self._ever_connected:
            self.broker_label.setText(tr("Broker: reconnecting ({where})", where=where))
            self._set_level(self.broker_label, "error")
        else:
            self.broker_label.setText(tr("Broker: connecting ({where})", where=where))
            self._set_level(self.broker_label, "warn")

    def _show_database(self) -> None:
        if self.stats.database_ok:
            self.database_label.setText(tr("Database: OK"))
            self.database_label.setToolTip(
                tr("{rows} readings saved, {queue} waiting to be written", rows=self.stats.rows_written, queue=self.stats.write_queue)
            )
            self._set_level(self.database_label, "ok")
        else:
            self.database_label.setText(tr("Database: error"))
            self.database_label.setToolTip(self.stats.database_detail)
            self._set_level(self.database_label, "error")

    @staticmethod
    def _set_level(label: QLabel, level: str) -> None:
        """The theme colours labels by their `level` property (ok / warn / error)."""
        if label.property("level") != level:
            label.setProperty("level", level)
            label.style().unpolish(label)
            label.style().polish(label)


def service_line(status: ServiceStatus, now: datetime, tz) -> tuple[str, str]:
    """The status bar's words on the service, and their level (ok, warn, error). A backlog is
    news only when it is large: a reading or two in flight at the report is normal."""
    health, when = status.health, _clock(status.since(), tz)
    if status.presence == "unknown":
        return tr("Service: none"), "ok"
    if status.presence == "offline":
        return tr("Service: DOWN (last heard {when})", when=when), "error"
    if status.silent(now):
        return tr("Service: not reporting (since {when})", when=_clock(status.last_heard(), tz)), "warn"
    if health.get("database") == "down":
        return tr("Service: up, its database is DOWN"), "error"
    backlog = health.get("ingest_backlog") or 0
    if isinstance(backlog, int) and backlog >= BACKLOG_WARN:
        return tr("Service: up since {when}, {n} readings waiting", when=when, n=backlog), "warn"
    return tr("Service: up since {when}", when=when), "ok"


def _clock(moment: datetime | None, tz) -> str:
    """The commune's wall-clock time, with the date when it is not today."""
    if moment is None:
        return "?"
    local = moment.astimezone(tz)
    return local.strftime("%H:%M" if local.date() == datetime.now(tz).date() else "%H:%M %d/%m")
