"""WaterLevelTile: a river station's level, its trend in cm/h and the alarm level reached.

Colours follow the level reached (below I, I, II, III); numbers come from
controlroom.sensors.water_level. A stale station is greyed with the time of its last value.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QWidget

from controlroom.i18n import format_number, tr
from controlroom.sensors.status import trend_arrow
from controlroom.widgets.sensor_tile import TileFrame

LEVEL_COLOURS = {0: "#1b5e20", 1: "#f9a825", 2: "#ef6c00", 3: "#c62828"}
LEVEL_TEXT = {0: "#ffffff", 1: "#000000", 2: "#000000", 3: "#ffffff"}


def level_text(level: int, official: bool = True) -> str:
    """The level reached; a gauge without official alarm levels says its marks are local."""
    if not official:
        return {
            0: tr("Below the commune's mark I"),
            1: tr("Above the commune's mark I"),
            2: tr("Above the commune's mark II"),
            3: tr("Above the commune's mark III"),
        }[level]
    return {
        0: tr("Below alarm level I"),
        1: tr("Above alarm level I"),
        2: tr("Above alarm level II"),
        3: tr("Above alarm level III"),
    }[level]


def limit_text(passed: int, limits: int) -> str:
    """A gauge with only the commune's limits (high, then high-high): which it is past."""
    if passed == 0:
        return tr("Within the commune's limits")
    if passed >= 2 or limits == 1:
        return tr("Past the commune's danger limit") if limits >= 2 else tr("Past the commune's limit")
    return tr("Past the commune's warning limit")


class WaterLevelTile(TileFrame):
    def __init__(self, address: str, station_name: str, parent: QWidget | None = None, official: bool = True,
                 source: str = "", limits: int = 0) -> None:
        """`official`: the station's alarm levels are the state's (else local marks, said so,
        with where they come from as the tooltip). `limits`: a gauge with no alarm levels at all
        (a lagoon's) shows how many of the commune's own limits (1 or 2) it is past instead."""
        super().__init__(address, parent)
        self.official = official
        self.limits = limits
        if not official:
            self.setToolTip(tr("The commune's own marks, not official alarm levels: {source}", source=source))
        self.setMinimumSize(220, 160)
        self.exceeded = 0
        # the station's name and the small lines wrap rather than shrink to one line: on a tall
        # narrow tile (a wall display) one line of "Trend: not enough data yet …" was 8 px high
        self.title_label = self.scaled_label(0.08, bold=True, wrap=True)
        self.title_label.setText(station_name)
        self.value_label = self.scaled_label(0.24, bold=True)
        self.value_label.setText("—")
        self.level_label = self.scaled_label(0.09, bold=True)
        self.trend_label = self.scaled_label(0.07, wrap=True)
        self.next_label = self.scaled_label(0.06, wrap=True)
        self.level_label.setText(tr("No data yet"))

    def show_level(self, level_m: float, trend_cm_h: float | None, exceeded: int,
                   next_level: tuple[int, float] | None, stale_text: str = "",
                   trend_span_s: float | None = None) -> None:
        """`trend_span_s`: how many seconds of data the trend rests on (30 minutes when None)."""
        self.exceeded = exceeded
        arrow = trend_arrow(trend_cm_h, dead_zone=1.0)
        self.value_label.setText(f"{format_number(level_m)} m {arrow}".rstrip())
        self.level_label.setText(limit_text(exceeded, self.limits) if self.limits else level_text(exceeded, self.official))
        if trend_cm_h is None:
            self.trend_label.setText(tr("Trend: not enough data yet (needs 4 minutes)"))
        else:
            sign = "+" if round(trend_cm_h, 1) > 0 else ""
            minutes = 30 if trend_span_s is None else max(1, min(30, round(trend_span_s / 60)))
            text = tr("Trend: {value} cm/h (last {minutes} min)", value=sign + format_number(trend_cm_h, 1),
                      minutes=minutes)
            self.trend_label.setText(text.replace("/", "/\u2060"))  # a wrapped line never ends in "cm/"
        if stale_text:
            self.next_label.setText(stale_text)
        elif next_level is None:
            self.next_label.setText(tr("Every limit of the commune passed") if self.limits else
                                    tr("Level III exceeded") if self.official else tr("The commune's mark III exceeded"))
        elif self.limits:
            number, metres = next_level
            self.next_label.setText(tr("At the commune's limit") if metres < 0.005 else
                                    tr("{distance} m below the commune's limit", distance=format_number(metres)).replace(" m ", "\u00a0m ", 1))
        else:
            number, metres = next_level
            roman = {1: "I", 2: "II", 3: "III"}[number]
            distance = format_number(metres)
            words = (tr("{distance} m below level {level}", distance=distance, level=roman) if self.official
                     else tr("{distance} m below mark {level}", distance=distance, level=roman))
            if distance == format_number(0):  # "0,00 m below level I" under "Below level I": the river is at it
                words = (tr("At alarm level {level}", level=roman) if self.official
                         else tr("At the commune's mark {level}", level=roman))
            # a wrapped line never ends in "0,70" nor starts with a lone "I": no-break spaces there
            words = words.replace(f"{distance} m", f"{distance}\u00a0m")
            head, space, last = words.rpartition(" ")
            self.next_label.setText(f"{head}\u00a0{last}" if space and last == roman else words)
        # a lagoon gauge past its warning limit is orange, past its danger limit red (as II, III)
        shade = min(3, exceeded + (1 if self.limits and exceeded else 0)) if self.limits else exceeded
        if stale_text:
            self.set_state("stale")
            colour = "#ffffff"
        else:
            self.set_state(f"level_{shade}", LEVEL_COLOURS[shade])
            colour = LEVEL_TEXT[shade]
        self.colour_text(colour)
        self.fit_labels()
