"""The daily report (báo cáo ngày) for the commune and the province: what happened in one
local day, gathered from the database. Pure data, no Qt, no formatting: `report_xlsx` and
`ui/report_pdf` lay it out.

Contents: alert counts by kind and by village, broadcasts and their delivery rates, sensor
min/max/average per metric (from the hourly rollups), and camera uptime (from the device
status history). The day is a calendar day in the site's time zone; rows are stored in UTC.
The report header names the commune and the province only (districts were abolished on
1 July 2025).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from controlroom.access.accounts import operator_names
from controlroom.config import Config
from controlroom.storage.models import (alerts, broadcast_deliveries, broadcasts, device_status_history, devices,
                                        rollup_hour, to_ms)

DELIVERED = {"played", "started"}  # a speaker that started playing counts as reached

Progress = Callable[[int, str], None]  # (percent, step name)


@dataclass
class SensorStats:
    sensor_id: str
    sensor_name: str
    metric: str
    unit: str
    minimum: float
    maximum: float
    average: float
    count: int


@dataclass
class BroadcastLine:
    id: str
    created_at: datetime  # local time
    operator: str
    title: str
    speakers: int
    delivered: int

    @property
    def rate(self) -> float | None:
        return self.delivered / self.speakers if self.speakers else None


@dataclass
class CameraUptime:
    camera_id: str
    camera_name: str
    online_s: float
    known_s: float  # seconds of the day for which the state is known

    @property
    def ratio(self) -> float | None:
        return self.online_s / self.known_s if self.known_s > 0 else None


@dataclass
class DailyReport:
    site_name: str
    unit_name: str
    province: str
    day: date
    generated_at: datetime  # local
    alerts_by_kind: dict[str, int] = field(default_factory=dict)
    alerts_by_village: dict[str, int] = field(default_factory=dict)  # village name (or "—") -> count
    alerts_total: int = 0
    broadcasts: list[BroadcastLine] = field(default_factory=list)
    sensors: list[SensorStats] = field(default_factory=list)
    cameras: list[CameraUptime] = field(default_factory=list)

    @property
    def delivery_rate(self) -> float | None:
        total = sum(b.speakers for b in self.broadcasts)
        return sum(b.delivered for b in self.broadcasts) / total if total else None

    @property
    def camera_uptime(self) -> float | None:
        known = sum(c.known_s for c in self.cameras)
        return sum(c.online_s for c in self.cameras) / known if known else None


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The local calendar day as a UTC [start, end)."""
    start = datetime.combine(day, time(0), tz).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(timezone.utc)
    return start, end


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts.astimezone(timezone.utc)


def build_report(engine: Engine, config: Config, day: date, progress: Progress | None = None,
                 now: datetime | None = None) -> DailyReport:
    """Gather one day's report. Runs queries: call it off the GUI thread."""
    tz = ZoneInfo(config.site.timezone)
    step = progress or (lambda _p, _s: None)
    start, end = day_bounds(day, tz)
    site = config.site
    report = DailyReport(site.name, site.unit_name, site.province, day,
                         (now or datetime.now(timezone.utc)).astimezone(tz))
    with engine.connect() as conn:
        step(5, "alerts")
        _alerts(conn, config, start, end, report)
        step(30, "broadcasts")
        _broadcasts(conn, config, start, end, tz, report)
        step(55, "sensors")
        _sensors(conn, config, start, end, report)
        step(80, "cameras")
        _cameras(conn, config, start, end, report)
    step(100, "done")
    return report


def _alerts(conn, config: Config, start: datetime, end: datetime, report: DailyReport) -> None:
    names = {v.id: v.name for v in config.villages}
    rows = conn.execute(select(alerts.c.rule, alerts.c.detail).where(
        alerts.c.site_id == config.site.id, alerts.c.raised_at >= start, alerts.c.raised_at < end)).all()
    kinds: Counter[str] = Counter()
    villages: Counter[str] = Counter()
    for rule, detail in rows:
        detail = detail if isinstance(detail, dict) else {}
        kinds[str(detail.get("kind") or rule or "?")] += 1
        village = detail.get("village")
        villages[names.get(village, village) if village else "—"] += 1
    report.alerts_total = len(rows)
    report.alerts_by_kind = dict(kinds.most_common())
    report.alerts_by_village = dict(villages.most_common())


def _broadcasts(conn, config: Config, start: datetime, end: datetime, tz: ZoneInfo, report: DailyReport) -> None:
    rows = conn.execute(select(broadcasts.c.id, broadcasts.c.created_at, broadcasts.c.operator, broadcasts.c.title)
                        .where(broadcasts.c.site_id == config.site.id, broadcasts.c.created_at >= start,
                               broadcasts.c.created_at < end, broadcasts.c.kind != "stop")
                        .order_by(broadcasts.c.created_at)).all()
    if not rows:
        return
    names = operator_names(conn, config.site.id)  # a name in the report, not an account
    results: dict[str, list[str]] = defaultdict(list)
    ids = [r.id for r in rows]
    for chunk in range(0, len(ids), 500):
        for bid, result in conn.execute(select(broadcast_deliveries.c.broadcast_id, broadcast_deliveries.c.result).where(
                broadcast_deliveries.c.site_id == config.site.id,
                broadcast_deliveries.c.broadcast_id.in_(ids[chunk:chunk + 500]))):
            results[bid].append(result)
    for row in rows:
        got = results.get(row.id, [])
        operator = names.get(row.operator, row.operator)
        report.broadcasts.append(BroadcastLine(row.id, _utc(row.created_at).astimezone(tz), operator, row.title or "",
                                               len(got), sum(1 for r in got if r in DELIVERED)))


def _sensors(conn, config: Config, start: datetime, end: datetime, report: DailyReport) -> None:
    r = rollup_hour.c
    rows = conn.execute(select(r.sensor_id, r.metric, func.min(r.min), func.max(r.max), func.sum(r.sum), func.sum(r.count))
                        .where(r.site_id == config.site.id, r.bucket_ms >= to_ms(start), r.bucket_ms < to_ms(end))
                        .group_by(r.sensor_id, r.metric).order_by(r.sensor_id, r.metric)).all()
    sensors = {s.id: s for s in config.sensors}
    for sensor_id, metric, low, high, total, count in rows:
        if not count:
            continue
        sensor = sensors.get(sensor_id)
        known = sensor.metrics.get(metric) if sensor is not None else None
        unit = known.unit if known is not None else ""
        label = (known.label or metric) if known is not None else metric
        report.sensors.append(SensorStats(sensor_id, sensor.name if sensor else sensor_id, label, unit,
                                          float(low), float(high), float(total) / count, int(count)))


def _cameras(conn, config: Config, start: datetime, end: datetime, report: DailyReport) -> None:
    """Uptime from the status history: the state before the day carries into it; a camera
    with no history at all has an unknown uptime (not zero)."""
    ids = [c.id for c in config.cameras]
    if not ids:
        return
    h = device_status_history.c
    before: dict[str, bool] = {}
    changes: dict[str, list[tuple[datetime, bool]]] = defaultdict(list)
    for device_id, ts, online in conn.execute(select(h.device_id, h.ts, h.online).where(
            h.site_id == config.site.id, h.device_id.in_(ids), h.ts < end).order_by(h.device_id, h.ts)):
        ts = _utc(ts)
        if ts < start:
            before[device_id] = online
        else:
            changes[device_id].append((ts, online))
    current = {row.device_id: row.online for row in conn.execute(
        select(devices.c.device_id, devices.c.online).where(devices.c.site_id == config.site.id, devices.c.device_id.in_(ids)))}
    horizon = min(end, datetime.now(timezone.utc))
    for camera in config.cameras:
        state = before.get(camera.id)
        since = start
        online_s = known_s = 0.0
        for ts, online in changes.get(camera.id, []):
            if state is not None:
                span = (ts - since).total_seconds()
                known_s += span
                online_s += span if state else 0.0
            state, since = online, ts
        if state is None and camera.id in current and not changes.get(camera.id):
            state = current[camera.id]
        if state is not None and horizon > since:
            span = (horizon - since).total_seconds()
            known_s += span
            online_s += span if state else 0.0
        report.cameras.append(CameraUptime(camera.id, camera.name, online_s, known_s))
