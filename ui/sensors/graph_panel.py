"""The graphs panel: the graph view on the core's database, live points from the bridge, and
the flood risk banner of the core's flood duty above the flood picture."""

from __future__ import annotations

from PyQt6.QtWidgets import QWidget

from controlroom.ui.sensors.graph_ranges import data_clock, engine_reader
from controlroom.ui.sensors.graph_view import GraphView


def create_graph_panel(context, parent: QWidget) -> GraphView:
    """Panel factory (ui/shell/panels.py)."""
    from controlroom.ui.shell.background import run_in_background
    from controlroom.ui.shell.docks import bring_to_front
    from controlroom.widgets.risk_banner import RiskBanner

    config = context.config
    view = GraphView(config, engine_reader(context.core.engine, config.site.id), run_in_background, parent,
                     ui_scale=context.ui_scale, bind_series=context.bridge.bind_series, now_fn=data_clock(context.core.live))
    if context.config.sensors:
        view.show_flood_picture()
    banner = view.banner = RiskBanner(view, context.ui_scale)
    view.layout().insertWidget(0, banner)
    banner.setVisible(bool(context.core.flood.monitor.stations()))
    monitor, zone = context.core.flood.monitor, config.flood.bulletin_zone
    banner.follow_zone(monitor, zone)
    context.navigator.provide("sensor", lambda sensor_id, metric=None: (view.show_sensor(sensor_id, metric),
                                                                       bring_to_front(view)))
    return view
