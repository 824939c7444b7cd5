"""The limits drawn on a sensor plot: water-level alarm levels I-III (or a gauge's local marks)
as labelled bands, and a metric's lower/upper thresholds as dashed lines naming their source
(the tooltip). Both add their items to a pyqtgraph PlotItem and keep them for the plot to
restyle."""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtCore import Qt

from controlroom.i18n import format_number, tr
from controlroom.sensors.water_level import alarm_bands

BAND_BRUSHES = {1: (255, 235, 59, 55), 2: (255, 152, 0, 65), 3: (244, 67, 54, 75)}
BAND_TEXT = {1: "#fff176", 2: "#ffb74d", 3: "#ef9a9a"}


class AlarmBands:
    """One band per alarm level, each label kept at the view's left edge as the view moves."""

    def __init__(self, plot_item: pg.PlotItem, levels) -> None:
        self.plot_item = plot_item
        self.regions: list[pg.LinearRegionItem] = []
        self.labels: list[pg.TextItem] = []
        if levels is None:
            return
        if levels.official:
            names = {1: tr("Alarm level I"), 2: tr("Alarm level II"), 3: tr("Alarm level III")}
        else:  # the commune's own marks (a lagoon gauge): never drawn as the state's alarm levels
            names = {1: tr("Commune's mark I"), 2: tr("Commune's mark II"), 3: tr("Commune's mark III")}
        for band in alarm_bands(levels):
            region = pg.LinearRegionItem(values=(band.low, band.high), orientation="horizontal",
                                         movable=False, brush=pg.mkBrush(*BAND_BRUSHES[band.level]),
                                         pen=pg.mkPen(BAND_TEXT[band.level], width=1))
            region.setZValue(-10)
            label = pg.TextItem(f"{names[band.level]} ({format_number(band.low)} m)",
                                color=BAND_TEXT[band.level], anchor=(0, 1))
            plot_item.addItem(region, ignoreBounds=True)
            plot_item.addItem(label, ignoreBounds=True)
            self.regions.append(region)
            self.labels.append(label)
        plot_item.getViewBox().sigRangeChanged.connect(self.place_labels)

    def place_labels(self, *_args) -> None:
        (x0, _x1), _y = self.plot_item.getViewBox().viewRange()
        for label, region in zip(self.labels, self.regions):
            label.setPos(x0, region.getRegion()[0])


LIMIT_PEN = {False: ("#ff8a65", 1.5, "#ffab91"), True: ("#ef5350", 2.0, "#ef9a9a")}  # (line, width, label) by outer


def threshold_names(limits, kind: str = "") -> list[tuple[float, str, bool]]:
    """(value, name, outer) of each configured limit. The outer ones (low_low, high_high) are
    drawn too: a tile saying "past the danger limit" over a graph that shows only the warning
    line leaves the operator to guess where danger starts. A water gauge's limits are the
    commune's warning and danger limits, in the words its tile uses."""
    if limits is None:
        return []
    if kind == "water_level":
        high = tr("The commune's warning limit") if limits.high_high is not None else tr("The commune's limit")
        high_high = tr("The commune's danger limit")
    else:
        high, high_high = tr("Upper limit"), tr("Upper danger limit")
    named = ((limits.low_low, tr("Lower danger limit"), True), (limits.low, tr("Lower limit"), False),
             (limits.high, high, False), (limits.high_high, high_high, True))
    return [(value, name, outer) for value, name, outer in named if value is not None]


def add_threshold_lines(plot_item: pg.PlotItem, limits, unit: str, kind: str = "") -> list[pg.InfiniteLine]:
    """A dashed line per configured limit, labelled with its value and the limit's source."""
    lines: list[pg.InfiniteLine] = []
    for value, text, outer in threshold_names(limits, kind):
        colour, width, label_colour = LIMIT_PEN[outer]
        line = pg.InfiniteLine(pos=value, angle=0, movable=False,
                               pen=pg.mkPen(colour, width=width, style=Qt.PenStyle.DashLine),
                               label=f"{text} {format_number(value)} {unit}",
                               labelOpts={"position": 0.02, "color": label_colour, "anchors": [(0, 1), (0, 1)]})
        line.setToolTip(limits.source)
        plot_item.addItem(line, ignoreBounds=True)
        lines.append(line)
    return lines
