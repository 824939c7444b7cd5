"""Camera wall logic without Qt: layouts, tours, saved views per screen, alarm -> cameras.

- A `Layout` is a grid of `Cell`s; "1+5" and "1+7" put one large cell in the top-left corner
  of a 3x3 / 4x4 grid, the way Milestone XProtect and Genetec name them. "CxR" (e.g. "7x6") is a
  custom grid of C columns and R rows.
- A `Tour` cycles a named set of cameras in one tile with a dwell time (a "carousel").
- A `WallView` is a named layout with what each cell shows: a camera id, "tour:<name>", or
  nothing. Views are saved per screen in a JSON file and the last one is restored at start.
  The file is written on a background thread (no disk writes on the GUI thread).
"""

from __future__ import annotations

import json
import logging
import math
import os
import queue
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from controlroom.alerts.model import Alert
from controlroom.config import CameraConfig, Config

log = logging.getLogger(__name__)

PRESET_LAYOUTS = ("1", "2x2", "3x3", "4x4", "5x5", "1+5", "1+7")
TOUR_PREFIX = "tour:"
MAX_GRID = 8


@dataclass(frozen=True)
class Cell:
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1


@dataclass(frozen=True)
class Layout:
    id: str
    cols: int
    rows: int
    cells: tuple[Cell, ...]

    @property
    def size(self) -> int:
        return len(self.cells)


def _grid(layout_id: str, cols: int, rows: int) -> Layout:
    return Layout(layout_id, cols, rows, tuple(Cell(r, c) for r in range(rows) for c in range(cols)))


def _one_plus(layout_id: str, n: int) -> Layout:
    """One (n-1)x(n-1) cell top-left of an n x n grid, small cells along the right and bottom."""
    big = n - 1
    cells = [Cell(0, 0, big, big)]
    cells += [Cell(r, n - 1) for r in range(big)]
    cells += [Cell(n - 1, c) for c in range(n)]
    return Layout(layout_id, n, n, tuple(cells))


def layout(layout_id: str) -> Layout:
    """The layout named `layout_id`; raises ValueError for an unknown or oversized one."""
    text = layout_id.strip().lower().removeprefix("custom:")
    if text == "1":
        return _grid("1", 1, 1)
    if text == "1+5":
        return _one_plus("1+5", 3)
    if text == "1+7":
        return _one_plus("1+7", 4)
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if match:
        cols, rows = int(match.group(1)), int(match.group(2))
        if 1 <= cols <= MAX_GRID and 1 <= rows <= MAX_GRID:
            return _grid(f"{cols}x{rows}", cols, rows)
    raise ValueError(f"unknown layout {layout_id!r}: use one of {', '.join(PRESET_LAYOUTS)} or CxR up to {MAX_GRID}x{MAX_GRID}")


def layout_for(count: int) -> Layout:
    """The smallest square-ish grid holding `count` tiles (e.g. 41 -> 7x6)."""
    count = max(1, count)
    cols = max(1, min(MAX_GRID, math.ceil(math.sqrt(count))))
    rows = max(1, min(MAX_GRID, math.ceil(count / cols)))
    while cols * rows < count and cols < MAX_GRID:
        cols += 1
    return layout(f"{cols}x{rows}")


@dataclass(frozen=True)
class Tour:
    """A named set of cameras shown one after another in a tile, `dwell_s` seconds each."""

    name: str
    cameras: tuple[str, ...]
    dwell_s: float = 10.0

    def position(self, elapsed_s: float) -> tuple[int, float]:
        """(index of the camera to show, seconds until the next one) `elapsed_s` after start."""
        if not self.cameras:
            return 0, math.inf
        dwell = max(1.0, self.dwell_s)
        step = int(max(0.0, elapsed_s) // dwell)
        return step % len(self.cameras), dwell - (max(0.0, elapsed_s) - step * dwell)

    def camera_at(self, elapsed_s: float) -> str | None:
        return self.cameras[self.position(elapsed_s)[0]] if self.cameras else None


@dataclass
class WallView:
    """A named arrangement: layout id and, per cell, a camera id, "tour:<name>" or None."""

    name: str
    layout_id: str
    cells: list[str | None] = field(default_factory=list)

    def normalised(self) -> "WallView":
        size = layout(self.layout_id).size
        cells = (list(self.cells) + [None] * size)[:size]
        return WallView(self.name, self.layout_id, cells)


DEFAULT_VIEW_MAX = 16  # tiles of a first start's view (4x4): more are chosen, not imposed


def default_view(config: Config, layout_id: str | None = None, name: str = "default") -> WallView:
    """The first cameras in config order, entrances and flood points first, in the smallest
    grid that holds them up to 4x4 (a commune of three cameras got a 4x4 of thirteen empty
    cells at its first start)."""
    order = {"entrances": 0, "flood_points": 1}
    roles = {g.id: g.role for g in config.camera_groups}
    cameras = sorted(config.cameras, key=lambda c: order.get(roles.get(c.group), 2))
    layout_id = layout_id or layout_for(min(len(cameras), DEFAULT_VIEW_MAX)).id
    size = layout(layout_id).size
    return WallView(name, layout_id, [c.id for c in cameras[:size]]).normalised()


class ViewStore:
    """Named views per screen and tours, in one JSON file. Thread-safe; saves in background.

    File shape: {"screens": {"<screen>": {"current": name, "views": {name: view}}},
    "tours": {name: {"cameras": [...], "dwell_s": s}}}. A broken file is kept aside as
    ``.broken`` and the store starts empty (the operator is told via the log)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._data: dict[str, Any] = {"screens": {}, "tours": {}}
        self._load()
        self._pending: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("screens", {}), dict):
                raise ValueError("not a views file")
            self._data = {"screens": data.get("screens", {}), "tours": data.get("tours", {})}
        except (OSError, ValueError) as exc:
            log.warning("camera views file %s unreadable (%s); starting with no saved views", self.path, exc)
            try:
                self.path.replace(self.path.with_suffix(".broken"))
            except OSError as move_error:
                log.warning("cannot move %s aside: %s", self.path, move_error)

    # --- views ---------------------------------------------------------------------------------

    def views(self, screen: str) -> dict[str, WallView]:
        with self._lock:
            raw = self._data["screens"].get(screen, {}).get("views", {})
            out = {}
            for name, item in raw.items():
                try:
                    out[name] = WallView(name, str(item["layout_id"]), list(item.get("cells", []))).normalised()
                except (KeyError, TypeError, ValueError) as exc:
                    log.warning("saved view %r on %s ignored: %s", name, screen, exc)
            return out

    def current(self, screen: str) -> WallView | None:
        with self._lock:
            name = self._data["screens"].get(screen, {}).get("current")
        return self.views(screen).get(name) if name else None

    def save_view(self, screen: str, view: WallView, make_current: bool = True) -> None:
        view = view.normalised()
        with self._lock:
            entry = self._data["screens"].setdefault(screen, {"current": None, "views": {}})
            entry["views"][view.name] = {"layout_id": view.layout_id, "cells": view.cells}
            if make_current:
                entry["current"] = view.name
        self._schedule_save()

    def set_current(self, screen: str, name: str) -> None:
        with self._lock:
            self._data["screens"].setdefault(screen, {"current": None, "views": {}})["current"] = name
        self._schedule_save()


    # --- tours ---------------------------------------------------------------------------------

    def tours(self) -> dict[str, Tour]:
        with self._lock:
            out = {}
            for name, item in self._data["tours"].items():
                try:
                    out[name] = Tour(name, tuple(item["cameras"]), float(item.get("dwell_s", 10.0)))
                except (KeyError, TypeError, ValueError) as exc:
                    log.warning("saved tour %r ignored: %s", name, exc)
            return out

    def save_tour(self, tour: Tour) -> None:
        with self._lock:
            self._data["tours"][tour.name] = {"cameras": list(tour.cameras), "dwell_s": tour.dwell_s}
        self._schedule_save()

    # --- persistence ---------------------------------------------------------------------------

    def _schedule_save(self) -> None:
        with self._lock:
            snapshot = json.dumps(self._data, ensure_ascii=False, indent=1)
            self._pending.put(snapshot)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._drain, name="camera-views-writer", daemon=True)
                self._thread.start()

    def _drain(self) -> None:
        while True:
            latest = None
            try:
                while True:
                    latest = self._pending.get_nowait()
            except queue.Empty:
                pass
            if latest is None:
                with self._lock:  # _schedule_save puts under this lock: no save slips past our exit
                    if self._pending.empty():
                        self._thread = None
                        return
                continue
            self._write(latest)

    def _write(self, text: str) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            log.error("cannot save camera views to %s: %s", self.path, exc)

    def flush(self, timeout_s: float = 5.0) -> None:
        """Wait until pending saves are on disk (shutdown, tests)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)


# --- alarm pop-up: which cameras look at an alert ------------------------------------------------

def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(min(1.0, a)))


def nearest_cameras(cameras: Iterable[CameraConfig], lat: float, lon: float, radius_m: float, limit: int) -> list[str]:
    ranked = sorted((distance_m(lat, lon, c.lat, c.lon), c.id) for c in cameras)
    return [cid for d, cid in ranked if d <= radius_m][:limit]


def cameras_for_alert(config: Config, alert: Alert, radius_m: float = 800.0, limit: int = 4) -> list[str]:
    """Camera ids that show an alert's place, nearest first (may be empty).

    A ``camera/<id>`` source (or cameras named in its detail) names the camera; a sensor or
    device source, or ``detail.lat/lon`` (citizen reports), gives a position; else the
    alert's village gives its cameras."""
    cameras = {c.id: c for c in config.cameras}
    source, detail = alert.source, alert.detail
    named = [c for c in ([detail.get("camera_id")] + list(detail.get("cameras") or [])) if isinstance(c, str) and c in cameras]
    if source.startswith("camera/") and source.split("/")[1] in cameras:
        named.insert(0, source.split("/")[1])
    if named:
        return list(dict.fromkeys(named))[:limit]
    position = None
    if isinstance(detail.get("lat"), (int, float)) and isinstance(detail.get("lon"), (int, float)):
        position = (float(detail["lat"]), float(detail["lon"]))
    if position is None and source.startswith(("sensor/", "device/")):
        sensor = config.sensor(source.split("/")[1]) or next(
            (s for s in config.sensors if s.status_device_id == source.split("/")[1]), None)
        if sensor is not None:
            position = (sensor.lat, sensor.lon)
    if position is not None:
        found = nearest_cameras(cameras.values(), position[0], position[1], radius_m, limit)
        if found:
            return found
    village = alert.village
    if village:
        in_village = [c for c in config.cameras if c.village == village]
        roles = {g.id: g.role for g in config.camera_groups}
        in_village.sort(key=lambda c: {"flood_points": 0, "entrances": 1}.get(roles.get(c.group), 2))
        return [c.id for c in in_village][:limit]
    return []


def tour_name(cell: str | None) -> str | None:
    return cell[len(TOUR_PREFIX):] if cell and cell.startswith(TOUR_PREFIX) else None
