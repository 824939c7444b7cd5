"""Flood mode (chế độ lũ): one key or button puts every screen on the flood picture, and
leaving puts every screen back as it was.

The flood picture: water levels against alarm levels I/II/III and rain (graphs), the
cameras at flood-prone points (the config's "flood" camera group) on the wall, the map
centred on the low-lying villages, alerts filtered to flood kinds, and the broadcast panel
pre-set with the zone of the low-lying villages. What "low-lying" and "flood group" mean
comes from the config; nothing about one commune is written here.

`FloodMode` speaks to panels only through their public methods, and only to those present:
a console without a map still gets the rest of the picture.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from PyQt6.QtCore import QByteArray, QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import QDockWidget, QMainWindow

from controlroom.cameras.views import WallView, layout_for
from controlroom.config import Config

log = logging.getLogger(__name__)

FLOOD_ALERT_KINDS = ("alarm_level", "rate_of_rise", "threshold")  # water level and rain rules
# panels brought to the front on every screen, in this order of preference
FLOOD_PANELS = ("camera_wall", "graphs", "map", "alerts", "broadcast", "sensors", "flood_duty")
# of its column's height, the flood duty panel's: at a 1920 x 1080 console's default split its
# risk banner and stations left the bulletin table no row; half gives the bulletins and the alert
# queue above each a few rows (0.6 left the queue two rows in Vietnamese; at half its counters
# scroll just out of view there)
FLOOD_DUTY_SHARE = 0.5


def is_flood_alert(config: Config, alert) -> bool:
    """A flood alert: a flood rule kind on a water-level or rain sensor, any alert from a
    flood-points camera, or a citizen's report in one of `flood.report_categories` (a
    villager's "water is in the houses" is what flood mode is for). The alert queue's "flood"
    filter."""
    kind, parts = alert.kind, str(alert.source).split("/")
    if kind == "citizen_report":
        return (getattr(alert, "detail", None) or {}).get("category") in config.flood.report_categories
    if len(parts) >= 2 and parts[0] == "sensor":
        sensor = config.sensor(parts[1])
        return kind in FLOOD_ALERT_KINDS and sensor is not None and sensor.kind in ("water_level", "rain")
    if len(parts) >= 2 and parts[0] == "camera":
        groups = config.camera_groups_with("flood_points")
        return any(c.id == parts[1] and c.group in groups for c in config.cameras)
    return False


def flood_cameras(config: Config) -> list[str]:
    """The camera ids of the flood-prone points (groups with role "flood_points"), in config order."""
    groups = config.camera_groups_with("flood_points")
    return [c.id for c in config.cameras if c.group in groups]


def flood_wall_view(config: Config) -> WallView:
    cameras = flood_cameras(config)
    return WallView("flood", layout_for(max(1, len(cameras))).id, cameras)


def low_lying_villages(config: Config) -> list[str]:
    return [v.id for v in config.villages if v.low_lying]


def low_lying_centre(config: Config) -> tuple[float, float] | None:
    """Mean position of the low-lying villages (vùng trũng), where the map centres."""
    places = [(v.lat, v.lon) for v in config.villages if v.low_lying]
    if not places:
        return None
    return sum(p[0] for p in places) / len(places), sum(p[1] for p in places) / len(places)


def flood_zone(config: Config) -> str | None:
    """The broadcast zone of the low-lying villages: exactly them if such a zone exists,
    else the smallest zone holding all of them."""
    wanted = set(low_lying_villages(config))
    if not wanted:
        return None
    exact = [z.id for z in config.zones if set(z.villages) == wanted]
    if exact:
        return exact[0]
    covering = sorted((z for z in config.zones if wanted <= set(z.villages)), key=lambda z: len(z.villages))
    return covering[0].id if covering else None


@dataclass
class _Saved:
    """What flood mode changed, to put back on leaving."""

    window_states: dict[int, QByteArray] = field(default_factory=dict)
    wall_view: Any = None
    alert_kind_index: int | None = None
    graph_index: int | None = None
    preset_zone: Any = None
    restorers: list[Callable[[], None]] = field(default_factory=list)


class FloodMode(QObject):
    """Enter/leave the flood picture on every window. `windows` returns the live list of
    top-level windows (the ScreenManager's), `panels` the panel widgets by id, `presentation`
    the active presentation of a window (or None).

    A presenting window's arrangement of panels belongs to its presentation: flood mode leaves
    it alone (the panels' content still becomes the flood picture), takes the window over when
    the presentation ends (`adopt`), and on leaving hands back the arrangement it saved to a
    presentation started since, for that presentation's own end to restore."""

    changed = pyqtSignal(bool)

    def __init__(self, config: Config, windows: Callable[[], list[QMainWindow]],
                 panels: Callable[[], dict[str, Any]], parent: QObject | None = None,
                 presentation: Callable[[QMainWindow], Any] = lambda _window: None) -> None:
        super().__init__(parent)
        self.config = config
        self._windows = windows
        self._panels = panels
        self._presentation = presentation
        self.active = False
        self._saved: _Saved | None = None

    def toggle(self) -> None:
        self.leave() if self.active else self.enter()

    def enter(self) -> None:
        if self.active:
            return
        saved = _Saved()
        arranged = [w for w in self._windows() if self._presentation(w) is None]
        for window in arranged:
            saved.window_states[id(window)] = window.saveState()
        panels = self._panels()
        self._camera_wall(panels.get("camera_wall"), saved)
        self._graphs(panels.get("graphs"), saved)
        self._map(panels.get("map"))
        self._alerts(panels.get("alerts"), saved)
        self._broadcast(panels.get("broadcast"), saved)
        self._bring_forward(arranged)
        self._saved = saved
        self.active = True
        self.changed.emit(True)

    def leave(self) -> None:
        if not self.active or self._saved is None:
            return
        saved = self._saved
        panels = self._panels()
        wall = panels.get("camera_wall")
        if wall is not None and saved.wall_view is not None:
            wall.apply_view(saved.wall_view)
        graphs = panels.get("graphs")
        if graphs is not None and saved.graph_index is not None:
            graphs.sensor_box.setCurrentIndex(saved.graph_index)
            graphs.show_sensor(graphs.sensor_box.currentData())
        alerts = panels.get("alerts")
        if alerts is not None and saved.alert_kind_index is not None:
            if hasattr(alerts, "set_kind_filter"):
                alerts.set_kind_filter(None)
            alerts.kind_filter.setCurrentIndex(saved.alert_kind_index)
        broadcast = panels.get("broadcast")
        if broadcast is not None and hasattr(broadcast, "preset_zone"):
            broadcast.preset_zone(saved.preset_zone)
        for window in self._windows():
            state = saved.window_states.get(id(window))
            if state is None:
                continue
            presentation = self._presentation(window)
            if presentation is not None:
                presentation.restore_on_leaving(state)
            else:
                window.restoreState(state)
        map_panel = panels.get("map")
        view = getattr(map_panel, "view", None)
        if view is not None:
            lat, lon = self.config.site.map_center
            view.focus(lat, lon, None, self.config.site.map_zoom)
        self._saved = None
        self.active = False
        self.changed.emit(False)

    # -- each panel's part of the picture --------------------------------------------------
    def _camera_wall(self, wall, saved: _Saved) -> None:
        if wall is None or not hasattr(wall, "apply_view") or not flood_cameras(self.config):
            return
        saved.wall_view = wall.operator_view  # not a presentation's compaction of it, nor an alarm view
        wall.apply_view(flood_wall_view(self.config))

    def _graphs(self, graphs, saved: _Saved) -> None:
        if graphs is None or not hasattr(graphs, "show_flood_picture"):
            return
        saved.graph_index = graphs.sensor_box.currentIndex()
        graphs.show_flood_picture()

    def _map(self, map_panel) -> None:
        view = getattr(map_panel, "view", None)
        centre = low_lying_centre(self.config)
        if map_panel is None or centre is None:
            return
        ready = getattr(view, "is_ready", True)
        if view is None or not (ready() if callable(ready) else ready):
            if hasattr(map_panel, "mapReady"):  # the page is still being built: centre once it is up
                map_panel.mapReady.connect(self._map_when_ready)
            return
        view.focus(centre[0], centre[1], None, max(self.config.site.map_zoom, 15))
        speakers = [s.id for s in self.config.speakers if s.village in set(low_lying_villages(self.config))]
        if speakers and hasattr(map_panel, "select_speakers"):
            map_panel.select_speakers(speakers)

    def _map_when_ready(self) -> None:
        map_panel = self._panels().get("map")
        try:
            map_panel.mapReady.disconnect(self._map_when_ready)
        except (TypeError, RuntimeError):
            pass  # already disconnected
        if self.active:
            self._map(map_panel)

    def _alerts(self, alerts, saved: _Saved) -> None:
        if alerts is None or not hasattr(alerts, "kind_filter"):
            return
        saved.alert_kind_index = alerts.kind_filter.currentIndex()
        if hasattr(alerts, "set_kind_filter"):  # several kinds at once, when the panel offers it
            alerts.set_kind_filter(FLOOD_ALERT_KINDS)
            return
        index = alerts.kind_filter.findData("flood")  # the queue's own flood filter, when it has one
        if index < 0:
            index = alerts.kind_filter.findData(FLOOD_ALERT_KINDS[0])
        if index >= 0:
            alerts.kind_filter.setCurrentIndex(index)

    def _broadcast(self, broadcast, saved: _Saved) -> None:
        if broadcast is None or not hasattr(broadcast, "preset_zone"):
            return
        saved.preset_zone = getattr(broadcast, "_preset_zone", None)
        zone = flood_zone(self.config)
        broadcast.preset_zone(zone)

    def adopt(self, window: QMainWindow) -> None:
        """A window whose presentation ended during flood mode: its arrangement now is the
        operator's, to save and put back on leaving; meanwhile it shows the flood panels."""
        if not self.active or self._saved is None or self._presentation(window) is not None:
            return
        self._saved.window_states[id(window)] = window.saveState()
        self._bring_forward([window])

    def _bring_forward(self, windows: list[QMainWindow]) -> None:
        """On each window: show the docks it holds and raise the flood panels among tabs."""
        for window in windows:
            docks = getattr(window, "docks", None)
            if docks is None:  # a ScreenWindow: its docks are the main window's, parented here
                docks = {}
                main = next((w for w in self._windows() if getattr(w, "docks", None)), None)
                if main is not None:
                    docks = {p: d for p, d in main.docks.items() if d.parent() is window}
            own = {p: d for p, d in docks.items() if d.parent() is window}
            for panel_id in reversed(FLOOD_PANELS):
                dock = own.get(panel_id)
                if dock is not None:
                    dock.show()
                    dock.raise_()
            for panel_id in ("camera_wall", "map"):
                if panel_id in own:
                    own[panel_id].raise_()
            duty = own.get("flood_duty")
            if duty is not None and not duty.isFloating():  # after a window's first layout, if it is still to come
                QTimer.singleShot(0, lambda window=window, duty=duty: self._enlarge_duty(window, duty))

    def _enlarge_duty(self, window: QMainWindow, duty: QDockWidget) -> None:
        """The bulletins a flood night is run from: half of the duty panel's column, the panels
        stacked with it sharing the rest (all sizes given, or Qt keeps the others' and the duty
        panel gets little more)."""
        if not self.active or not duty.isVisible():
            return
        area = window.dockWidgetArea(duty)
        others = [d for d in window.findChildren(QDockWidget) if d is not duty and d.isVisible() and not d.isFloating()
                  and window.dockWidgetArea(d) == area and d.x() == duty.x()]
        height = sum(d.height() for d in others) + duty.height()
        rest = round(height * (1 - FLOOD_DUTY_SHARE) / max(1, len(others)))
        window.resizeDocks([*others, duty], [rest] * len(others) + [round(height * FLOOD_DUTY_SHARE)],
                           Qt.Orientation.Vertical)
