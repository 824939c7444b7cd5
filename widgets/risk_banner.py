"""Risk level banner (cấp độ rủi ro thiên tai): the level in its Decision 18/2021 colour, the
station and height that set it, and whether it comes from a measurement or a forecast.

Bound to plain values (``show_risk``), or to the core's flood monitor and a zone
(``show_zone``); the flood panel, presentation mode and the flood picture can all place one.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from controlroom.flood.monitor import FloodRiskMonitor
from controlroom.flood.risk import FORECAST, RISK_COLOURS, RISK_TEXT_COLOURS
from controlroom.i18n import format_number, tr


def risk_name(level: int) -> str:
    return {0: tr("below alarm level I"), 1: tr("low risk"), 2: tr("moderate risk"), 3: tr("high risk"),
            4: tr("very high risk"), 5: tr("disaster")}.get(level, "")


class RiskBanner(QWidget):
    def __init__(self, parent: QWidget | None = None, scale: float = 1.0) -> None:
        super().__init__(parent)
        self._scale = scale
        self.setObjectName("riskBanner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(round(14 * scale), round(8 * scale), round(14 * scale), round(8 * scale))
        layout.setSpacing(round(2 * scale))
        self.title = QLabel(self)
        self.detail = QLabel(self)
        self.title.setWordWrap(True)
        self.detail.setWordWrap(True)
        self.source = QLabel(self)
        self.source.setWordWrap(True)
        for label in (self.title, self.detail, self.source):
            layout.addWidget(label)
        self.level = -1
        self.show_risk(0, "", None, "", "")

    def show_risk(self, level: int, station: str, height_text: str | None, basis: str, clause: str,
                  official: bool = True, levels_source: str = "", measured_at: str = "") -> None:
        """`official` False: the station's levels are the commune's own, so the level is only an
        estimate by Điều 45's rule, and the banner says so (with where the levels come from).
        `measured_at`: the level is held from a reading that is now old (the gauge fell silent;
        silence lowers no level): its time, so the banner does not read as the water now."""
        if level != self.level:  # re-polishing style sheets is costly: only when the level changes
            self._style(level)
        self.level = level
        if not station:  # no live level yet (a restart, a gauge silent): nothing is known, not "below I"
            self.title.setText(tr("Flood risk: not known yet"))
        elif level > 0 and not official:
            self.title.setText(tr("Flood risk level {n} — {name} (estimate from the commune's levels)",
                                  n=level, name=risk_name(level)))
        elif level > 0:
            self.title.setText(tr("Flood risk level {n} — {name}", n=level, name=risk_name(level)))
        else:
            below = risk_name(0) if official else tr("below the commune's mark I")
            self.title.setText(tr("Flood risk: no level ({name})", name=below))
        how = (tr("forecast") if basis == FORECAST else tr("measured at {time}, nothing newer since", time=measured_at)
               if measured_at else tr("measured"))
        self.detail.setText(tr("{station}: {height} ({how})", station=station or "—", height=height_text or "—", how=how)
                            if station else tr("No recent water level yet."))
        if not official and level > 0:  # below every level there is no estimate to qualify
            clause = tr("{clause} — applied to levels that are not official ({source}); the official risk "
                        "level is the one the hydro-meteorological service announces",
                        clause=clause or "QĐ 18/2021/QĐ-TTg Điều 45", source=levels_source or "—")
        self.source.setText(clause)

    def set_scale(self, scale: float) -> None:
        """Text and margins for `scale`: a wall display reads the banner from metres away."""
        if scale == self._scale:
            return
        self._scale = scale
        self.layout().setContentsMargins(round(14 * scale), round(8 * scale), round(14 * scale), round(8 * scale))
        self.layout().setSpacing(round(2 * scale))
        self._style(self.level)

    def _style(self, level: int) -> None:
        bg, fg = RISK_COLOURS.get(level, "#9e9e9e"), RISK_TEXT_COLOURS.get(level, "#ffffff")
        s = self._scale
        self.setStyleSheet(f"#riskBanner {{ background: {bg}; border-radius: {round(6 * s)}px; }}"
                           f"#riskBanner QLabel {{ color: {fg}; background: transparent; }}")
        self.title.setStyleSheet(f"font-size: {round(22 * s)}px; font-weight: bold;")
        self.detail.setStyleSheet(f"font-size: {round(15 * s)}px;")
        self.source.setStyleSheet(f"font-size: {round(11 * s)}px;")
        for widget in (self, self.title, self.detail, self.source):  # a banner set before it is
            widget.style().unpolish(widget)                           # shown kept its first colour
            widget.style().polish(widget)

    def show_zone(self, monitor: FloodRiskMonitor, zone_id: str) -> None:
        """The zone's risk level now, from the station that sets it (no change while no level)."""
        state, risk = monitor.governing_station(zone_id), monitor.zone(zone_id)
        if state is None or risk is None:
            return
        if not monitor.is_known(state, risk):  # level 0 from a reading gone old: the water may have risen
            self.show_risk(0, "", None, "", "")
            return
        height = tr("{h} m", h=format_number(risk.height_m)) if risk.height_m is not None else None
        sensor = monitor.config.sensor(state.sensor_id)
        source = sensor.alarm_levels.source if sensor is not None and sensor.alarm_levels is not None else ""
        old = state.ts is not None and not monitor.is_live(state)
        measured_at = f"{state.ts.astimezone(monitor.config.site.tz):%H:%M %d/%m}" if old else ""
        self.show_risk(risk.level, state.name, height, risk.basis, risk.clause, risk.official, source, measured_at)

    def follow_zone(self, monitor: FloodRiskMonitor, zone_id: str, interval_ms: int = 1000) -> None:
        """Show the zone's risk now and again every `interval_ms` (a timer the banner owns)."""
        self._zone = (monitor, zone_id)
        self._zone_timer = QTimer(self, interval=interval_ms)
        self._zone_timer.timeout.connect(self._refresh_zone)  # a bound slot: gone with the banner
        self._zone_timer.start()
        self._refresh_zone()

    def _refresh_zone(self) -> None:
        self.show_zone(*self._zone)

