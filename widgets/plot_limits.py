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


def add_threshold_lines(plot_item: pg.PlotItem, limits, unit: str) -> list[pg.InfiniteLine]:
    """A dashed line per configured limit, labelled with its value and the limit's source."""
    lines: list[pg.InfiniteLine] = []
    if limits is None:
        return lines
    for value, text in ((limits.low, tr("Lower limit")), (limits.high, tr("Upper limit"))):
        if value is None:
            continue
        line = pg.InfiniteLine(pos=value, angle=0, movable=False,
                               pen=pg.mkPen("#ff8a65", width=1.5, style=Qt.PenStyle.DashLine),
                               label=f"{text} {format_number(value)} {unit}",
                               labelOpts={"position": 0.02, "color": "#ffab91", "anchors": [(0, 1), (0, 1)]})
        line.setToolTip(limits.source)
        plot_item.addItem(line, ignoreBounds=True)
        lines.append(line)
    return lines
