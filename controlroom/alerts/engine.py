"""The alert engine of one console: rules -> ISA-18.2 alert states -> shared queue.

Bus callbacks (feed thread) only enqueue; one named worker thread (``alert-engine``) owns
every alert, evaluates the rules, runs the timers (on/off delays, stale data, shelving
expiry), detects floods, publishes each state change retained on
``<site>/room/alert/<id>`` and persists it through the storage writer. Views pull the
latest immutable ``AlertSnapshot`` (a latest-value slot) or register a listener.

Other consoles' messages are merged (see ``alert_model.merge_remote``); our own echoes are
ignored, and merged state is not re-published, so two consoles never ping-pong.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from controlroom.alerts import model as model
from controlroom.alerts.backlog import LateReadings
from controlroom.alerts.inbox import AlertInbox, ReadingRun
from controlroom.alerts.kpis import AlertKpis, FloodMonitor
from controlroom.alerts.model import Alert, AlertChanged, AlertEvent, Condition, Priority
from controlroom.alerts.payload import from_payload, to_payload
from controlroom.alerts.readings import AqiHours, ReadingEvaluator
from controlroom.alerts.rules import compile_rules
from controlroom.alerts.text import alert_title
from controlroom.bus import EventBus
from controlroom.config import Config
from controlroom.access.operators import Operator, authorize
from controlroom.domain import CitizenReport, DeviceStatus, Reading, RoomAlertMessage

log = logging.getLogger(__name__)
UTC = timezone.utc
TICK_S = 1.0
MAX_BATCH = 5000
MAX_QUEUED_READINGS = 200_000  # ~2-4 s of a flat-out flood; a commune sends a few per second
MAX_QUEUED_ACTIONS = 10_000  # device statuses, reports, shared alerts, operator actions
HISTORY = 2000  # recent transitions kept in memory for the view
_STOP = object()


@dataclass(frozen=True)
class AlertSnapshot:
    """What a view needs, immutable: alerts sorted for the queue, flood flag and KPIs."""

    version: int
    alerts: tuple[Alert, ...]
    kpis: AlertKpis
    taken_at: datetime

    @property
    def flood(self) -> bool:
        return self.kpis.flood

    def get(self, alert_id: str) -> Alert | None:
        return next((a for a in self.alerts if a.id == alert_id), None)


class AlertEngine:
    def __init__(self, config: Config, bus: EventBus, *, feed: Any = None, storage: Any = None,
                 console_id: str | None = None, tick_s: float = TICK_S) -> None:
        self.config = config
        self.site_id = config.site.id
        self.bus = bus
        self.feed = feed
        self.storage = storage
        self.console_id = console_id or getattr(feed, "client_id", None) or f"console-{uuid.uuid4().hex[:8]}"
        self.tick_s = tick_s
        self._inbox = AlertInbox(MAX_QUEUED_READINGS, MAX_QUEUED_ACTIONS)
        self._alerts: dict[str, Alert] = {}
        self._history: deque[AlertEvent] = deque(maxlen=HISTORY)
        self.started_at = datetime.now(UTC)
        aqi_hours = AqiHours()
        self.rules = compile_rules(config, self.started_at, aqi_hours.function)
        self._late = LateReadings(config)
        self._batch_now = datetime.now(UTC)
        acfg = config.alerts
        self.flood = FloodMonitor(acfg.flood_count, acfg.flood_window_s, acfg.chatter_count, acfg.chatter_window_s,
                                  time.monotonic())
        self._listeners: list[Callable[[AlertSnapshot], None]] = []
        self._unsubscribe: list[Callable[[], None]] = []
        self._thread: threading.Thread | None = None
        self._version = 0
        self._last_kpi_refresh = 0.0
        self._snapshot = AlertSnapshot(0, (), self.flood.kpis(time.monotonic()), self.started_at)
        self.counters = {"readings": 0, "evaluations": 0, "published": 0, "remote_applied": 0, "remote_rejected": 0,
                         "persist_errors": 0, "late_readings": 0}
        self._readings = ReadingEvaluator(self.rules, self._late, aqi_hours, bus, self._apply, self.counters)

    # -- life cycle ------------------------------------------------------------------------

    def start(self, live: Any = None) -> None:
        """Subscribe and start the worker. `live` (LiveState) seeds device states that arrived
        before the engine existed (retained status topics are delivered only once)."""
        if self._thread is not None:
            return
        inbox = self._inbox
        self._unsubscribe.append(self.bus.subscribe(Reading, lambda r: inbox.put_readings((r,)),
                                                    batch=inbox.put_readings))
        for event_type in (DeviceStatus, CitizenReport, RoomAlertMessage):
            self._unsubscribe.append(self.bus.subscribe(event_type, inbox.put, batch=lambda run: inbox.put(list(run))))
        if live is not None:
            for status in live.devices().values():
                inbox.put(status)
        self._thread = threading.Thread(target=self._run, name="alert-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._thread is not None:
            self._inbox.put_control(_STOP)
            self._thread.join(timeout)
            self._thread = None

    # -- views (any thread) ----------------------------------------------------------------

    def snapshot(self) -> AlertSnapshot:
        return self._snapshot

    def add_listener(self, callback: Callable[[AlertSnapshot], None]) -> Callable[[], None]:
        """`callback(snapshot)` on the engine thread after each change; keep it quick."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    @property
    def shed_readings(self) -> int:
        """Readings not evaluated because the engine was too far behind (still stored)."""
        return self._inbox.shed_readings

    def history(self, alert_id: str | None = None) -> list[AlertEvent]:
        events = list(self._history)
        return [e for e in events if alert_id is None or e.alert_id == alert_id]

    # -- operator actions (any thread; applied on the engine thread) -----------------------

    def acknowledge(self, alert_ids: Iterable[str], operator: Operator, comment: str = "") -> None:
        ids = list(alert_ids)
        operator = self._authorized(operator, "alert.acknowledge")
        self._act(lambda now: [model.acknowledge(a, operator, comment, now, self.console_id) for a in self._pick(ids)])

    def shelve(self, alert_ids: Iterable[str], operator: Operator, reason: str, duration_s: float) -> None:
        if not reason.strip():
            raise ValueError("a shelving reason is required")
        duration = timedelta(seconds=min(max(duration_s, 1.0), self.config.alerts.max_shelve_s))
        ids = list(alert_ids)
        operator = self._authorized(operator, "alert.shelve")
        self._act(lambda now: [model.shelve(a, operator, reason.strip(), duration, now, self.console_id) for a in self._pick(ids)])

    def unshelve(self, alert_ids: Iterable[str], operator: Operator) -> None:
        ids = list(alert_ids)
        operator = self._authorized(operator, "alert.shelve")
        self._act(lambda now: [model.unshelve(a, operator, now, self.console_id) for a in self._pick(ids)])

    def set_in_service(self, alert_ids: Iterable[str], operator: Operator, in_service: bool, reason: str = "") -> None:
        ids = list(alert_ids)
        operator = self._authorized(operator, "alert.out_of_service")
        self._act(lambda now: [model.set_out_of_service(a, operator, reason, in_service, now, self.console_id)
                                     for a in self._pick(ids)])

    def raise_manual(self, operator: Operator, text: str, priority: Priority, village: str | None = None,
                     source: str | None = None) -> str:
        """An operator's own alert (e.g. a phoned-in report); returns its id."""
        if not text.strip():
            raise ValueError("the alert needs a text")
        source = source or f"manual/{uuid.uuid4().hex[:10]}"
        operator = self._authorized(operator, "alert.raise")
        now = datetime.now(UTC)
        cond = Condition(source, "manual", "manual", True, now, priority=priority, village=village,
                         detail={"text": text.strip(), "operator": operator})

        def apply(_now: datetime):
            change = model.apply_condition(self._alerts.get(cond.alert_id), cond, self.console_id)
            if change is not None and change[1] is not None:
                change = (change[0], AlertEvent(change[1].alert_id, now, "raise", None, change[0].state, operator,
                                                text.strip(), self.console_id))
            return [change]

        self._act(apply)
        return cond.alert_id

    def _act(self, action: Callable[[datetime], list]) -> None:
        """Queue an operator's change for the engine thread (EngineBusy if it is far behind)."""
        self._inbox.put(action, action=True)

    def _authorized(self, operator: Operator, action: str) -> str:
        """The operator's name once their role allows `action` (PermissionDenied otherwise).
        Only an Operator from a session acts: never a typed name. The audit entry is written
        with the change itself (alerts.store.write_alerts), once it has happened."""
        if not isinstance(operator, Operator):
            raise TypeError(f"{action} needs the signed-in Operator, not {type(operator).__name__}")
        authorize(operator, action)
        return _operator(operator.username)

    def _pick(self, ids: list[str]) -> list[Alert]:
        return [self._alerts[i] for i in ids if i in self._alerts]

    # -- the worker ------------------------------------------------------------------------

    def _run(self) -> None:
        next_tick = time.monotonic()
        running = True
        while running:
            try:
                first = self._inbox.get(timeout=max(0.0, next_tick - time.monotonic()))
                batch = [first]
            except queue.Empty:
                batch = []
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._inbox.get_nowait())
                except queue.Empty:
                    break
            changes: list[tuple[Alert, AlertEvent | None, bool]] = []  # (alert, event, publish)
            taken_at = datetime.now(UTC)
            for entry in batch:
                if entry is _STOP:
                    running = False
                    continue
                if type(entry) is ReadingRun:
                    self._readings.evaluate(entry, entry.arrived_at, changes)
                    continue
                self._batch_now = taken_at
                for item in entry if type(entry) is list else (entry,):
                    try:
                        self._handle(item, changes)
                    except Exception:  # one bad event must not stop alerting; logged with its type
                        log.exception("alert engine failed on %s", type(item).__name__)
            if time.monotonic() >= next_tick:
                try:
                    self._tick(datetime.now(UTC), changes)
                except Exception:
                    log.exception("alert engine tick failed")
                next_tick = time.monotonic() + self.tick_s
            if changes or batch:
                self._commit(changes)

    def _handle(self, item: Any, changes: list) -> None:
        if isinstance(item, Reading):
            self._on_reading(item, changes)
        elif isinstance(item, RoomAlertMessage):
            self._on_remote(item, changes)
        elif isinstance(item, DeviceStatus):  # sensors' status topics, and cameras (camera_health)
            detector = self.rules.devices.get(item.device_id) or self.rules.cameras.get(item.device_id)
            if detector is not None:
                self._apply(detector.feed(item.ts, not item.online), changes)
        elif isinstance(item, CitizenReport):
            self._on_report(item, changes)
        elif callable(item):
            for change in item(datetime.now(UTC)):
                if change is not None:
                    self._alerts[change[0].id] = change[0]
                    changes.append((change[0], change[1], True))

    def _on_reading(self, reading: Reading, changes: list) -> None:
        self._readings.evaluate((reading,), self._batch_now, changes)

    def _on_report(self, report: CitizenReport, changes: list) -> None:
        rule = self.rules.report_rule
        if rule is None:
            return
        priority = Priority.parse(rule.categories.get(report.category, rule.priority))
        detail = {"text": report.text, "category": report.category, "reporter": report.reporter,
                  "lat": report.lat, "lon": report.lon, "photo_url": report.photo_url, "name": report.category}
        cond = Condition(f"report/{report.report_id}", "report", "citizen_report", True, report.ts, priority=priority,
                         village=self._nearest_village(report.lat, report.lon), detail=detail)
        if cond.alert_id in self._alerts:
            return  # a redelivered report is the same report
        self._apply(cond, changes)

    def _nearest_village(self, lat: float | None, lon: float | None) -> str | None:
        if lat is None or lon is None:
            return None
        return min(self.config.villages, key=lambda v: (v.lat - lat) ** 2 + (v.lon - lon) ** 2).id

    def _apply(self, cond: Condition | None, changes: list) -> None:
        if cond is None:
            return
        change = model.apply_condition(self._alerts.get(cond.alert_id), cond, self.console_id)
        if change is None:
            return
        alert, event = change
        self._alerts[alert.id] = alert
        changes.append((alert, event, event is not None))

    def _on_remote(self, message: RoomAlertMessage, changes: list) -> None:
        local = self._alerts.get(message.alert_id)
        if not message.state:  # cleared retained message: drop ours if it is settled
            if local is not None and local.state is model.AlertState.NORMAL:
                del self._alerts[local.id]
                changes.append((local, None, False))
            return
        if message.state.get("console") == self.console_id and local is not None:
            return  # our own echo
        remote = self._remote_alert(message)
        if remote is None:
            return
        merged = model.merge_remote(local, remote)
        if merged is None:
            return
        self.counters["remote_applied"] += 1
        self._alerts[merged.id] = merged
        actor = merged.acked_by if (merged.acked and not (local and local.acked)) else (remote.console or "remote")
        event = AlertEvent(merged.id, datetime.now(UTC), "remote", local.state if local else None, merged.state,
                           actor or "remote", "", remote.console)
        changes.append((merged, event, False))

    def _remote_alert(self, message: RoomAlertMessage) -> Alert | None:
        """The shared alert a message carries; None for another site's or a malformed one (counted, logged)."""
        if message.state.get("site") not in (None, self.site_id):
            return None
        try:
            return from_payload(message.alert_id, message.state)
        except ValueError as exc:
            self.counters["remote_rejected"] += 1
            log.warning("ignored shared alert %s: %s", message.alert_id, exc)
            return None

    def _tick(self, now: datetime, changes: list) -> None:
        for summary in self._late.quiet(time.monotonic()):
            self.bus.publish(summary)
        for detector in self.rules.tickers():
            self._apply(detector.tick(now), changes)
        for detector in self.rules.stale.values():
            self._apply(detector.tick(now), changes)
        for alert in list(self._alerts.values()):
            if alert.shelved_until is not None and alert.shelved_until <= now:
                change = model.unshelve(alert, model.SYSTEM, now, self.console_id)
                if change is not None:
                    self._alerts[alert.id] = change[0]
                    changes.append((change[0], change[1], True))
        keep = timedelta(seconds=self.config.alerts.keep_normal_s)
        for alert in list(self._alerts.values()):
            settled_at = max(t for t in (alert.changed_at, alert.acked_at, alert.op_at) if t is not None)
            if alert.state is model.AlertState.NORMAL and now - settled_at > keep:
                del self._alerts[alert.id]
                self.flood.forget(alert.id)
                if alert.kind in model.EVENT_KINDS and self.feed is not None:
                    self.feed.publish(f"room/alert/{alert.id}", b"", qos=1, retain=True)  # clears the retained copy
                changes.append((alert, None, False))

    def _commit(self, changes: list) -> None:
        mono = time.monotonic()
        events = [e for _, e, _ in changes if e is not None]
        for event in events:
            self._history.append(event)
            if event.to_state is model.AlertState.UNACKNOWLEDGED and event.action in ("raise", "realarm"):
                self.flood.annunciated(event.alert_id, mono, new_episode=event.action == "raise")
        self.flood.update(mono)
        latest: dict[str, Alert] = {}
        changed: dict[str, AlertChanged] = {}
        for alert, _, publish in changes:
            current = self._alerts.get(alert.id)
            changed[alert.id] = AlertChanged(current or alert, removed=current is None)
            if publish and current is alert:
                latest[alert.id] = alert
        if changed:
            self.bus.publish_batch(list(changed.values()))
        if self.feed is not None:
            for alert in latest.values():
                payload = to_payload(alert, self.site_id)
                payload["title"] = alert_title(alert)  # for readers that do not render (map tooltip, IOC)
                self.feed.publish(f"room/alert/{alert.id}", payload, qos=1, retain=True)
                self.counters["published"] += 1
        if self.storage is not None and events:
            stored = {e.alert_id: self._alerts[e.alert_id] for e in events if e.alert_id in self._alerts}
            self._persist(list(stored.values()), events)
        previous = self._snapshot
        kpis = self.flood.kpis(mono)
        same_counts = (kpis.flood, kpis.alerts_in_window, kpis.chattering) == (
            previous.kpis.flood, previous.kpis.alerts_in_window, previous.kpis.chattering)
        if not changes and same_counts and mono - self._last_kpi_refresh < 5.0:
            return  # only the clocks moved: refresh the KPI panel every few seconds
        self._last_kpi_refresh = mono
        self._version += 1
        ordered = tuple(sorted(self._alerts.values(), key=Alert.sort_key))
        self._snapshot = AlertSnapshot(self._version, ordered, kpis, datetime.now(UTC))
        for listener in list(self._listeners):
            try:
                listener(self._snapshot)
            except Exception:
                log.exception("alert listener %r failed", listener)

    def _persist(self, changed: list[Alert], events: list[AlertEvent]) -> None:
        from controlroom.alerts.store import write_alerts

        site_id = self.site_id
        try:
            future = self.storage.execute(lambda connection: write_alerts(connection, site_id, changed, events))
        except RuntimeError as exc:  # writer stopped (shutdown): the broker still has the state
            self.counters["persist_errors"] += 1
            log.warning("alert state not stored: %s", exc)
            return
        future.add_done_callback(self._persist_done)

    def _persist_done(self, future) -> None:
        if future.exception() is not None:
            self.counters["persist_errors"] += 1
            log.error("storing alerts failed: %s", future.exception())


def _operator(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValueError("an operator name is required")
    return name[:64]
