"""The dock panels of the main window, one entry per capability.

Each capability adds ONE `Panel` to `PANELS` (a small edit to this list, nothing else):
`factory(context, parent) -> QWidget` builds the panel's widget from the AppContext: typed
handles to the core's services (``context.core.alerts`` …), the bridge, the session and the
navigator. A factory never builds a service: the core set them up before any window. `title_source` is the English title; its Vietnamese goes into the
capability's own catalog, and the i18n test checks it like a `tr("...")` literal.
`area` is where the dock starts: "center" (the large middle area), "left", "right" or
"bottom". Operators can move, float, close and re-show every panel (View menu); the
layout they leave is restored at the next start.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Literal

from controlroom.i18n import tr

if TYPE_CHECKING:
    from PyQt6.QtWidgets import QWidget

    from controlroom.ui.shell.context import AppContext

Area = Literal["center", "left", "right", "bottom"]


@dataclass(frozen=True)
class Panel:
    id: str  # stable: it names the dock in the saved layout
    title_source: str
    factory: Callable[["AppContext", "QWidget"], "QWidget"]
    area: Area = "center"


def panel_title(panel: Panel) -> str:
    """The panel's title in the UI language (its source text is checked by tests/test_i18n.py)."""
    return tr(panel.title_source)  # the one allowed non-literal tr(): keys come from PANELS


def _readings_table(context: "AppContext", parent: "QWidget") -> "QWidget":
    from controlroom.widgets.readings_table import ReadingsTable

    table = ReadingsTable(context.config, context.core.live, parent)
    context.bridge.readings_changed.connect(table.apply_changed)
    return table


def _device_list(context: "AppContext", parent: "QWidget") -> "QWidget":
    from controlroom.widgets.device_list import DeviceList

    devices = DeviceList(context.config, context.core.live, parent)
    context.bridge.device_status.connect(devices.apply_device_status)
    context.bridge.speaker_status.connect(devices.apply_speaker_status)
    return devices


def _lazy(module: str, factory: str) -> Callable[["AppContext", "QWidget"], "QWidget"]:
    """A panel factory that imports its module only when the panel is built (fast start-up)."""
    def build(context: "AppContext", parent: "QWidget") -> "QWidget":
        return getattr(importlib.import_module(module), factory)(context, parent)
    return build


PANELS: list[Panel] = [
    Panel("readings", "Latest readings", _readings_table, "bottom"),
    Panel("alerts", "Alert queue", _lazy("controlroom.ui.alerts.panel", "create_alert_panel"), "bottom"),
    Panel("sensors", "Sensor dashboard", _lazy("controlroom.ui.sensors.dashboard", "create_dashboard_panel"), "center"),
    Panel("map", "Commune map", _lazy("controlroom.ui.map.panel", "create_map_panel"), "center"),
    Panel("camera_wall", "Camera wall", _lazy("controlroom.ui.cameras.wall_panel", "create_camera_wall_panel"), "center"),
    Panel("graphs", "Sensor graphs", _lazy("controlroom.ui.sensors.graph_panel", "create_graph_panel"), "center"),
    Panel("devices", "Devices and speakers", _device_list, "right"),
    Panel("broadcast", "Loudspeaker broadcast", _lazy("controlroom.ui.broadcast.panel", "create_broadcast_panel"), "right"),
    Panel("flood_duty", "Flood duty", _lazy("controlroom.ui.flood.duty_panel", "create_flood_duty_panel"), "right"),
]
