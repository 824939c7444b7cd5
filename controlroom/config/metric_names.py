"""What a metric is called: its usual name, in the commune's file and on screen.

A usual name is a symbol, the same in every language (PM2.5, pH), or words as an English source
text whose Vietnamese is in the catalog (resources/i18n/vi/metrics.toml). A metric the
commune's file gives no label takes it in Vietnamese, like the rest of the file, so tiles,
graphs, the map and reports say "Oxy hòa tan (DO)", not "do". On screen the words follow the UI
language (`metric_label`); a label in the commune's own wording is shown as written.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from controlroom.i18n import catalog, tr

if TYPE_CHECKING:
    from controlroom.config.schema import MetricConfig

METRIC_SYMBOLS = {
    "pm1": "PM1", "pm25": "PM2.5", "pm10": "PM10", "o3": "O₃", "co": "CO", "co2": "CO₂", "so2": "SO₂", "no2": "NO₂",
    "aqi": "VN_AQI", "ph": "pH", "cod": "COD", "bod5": "BOD₅",
}
METRIC_NAMES = {
    "temperature": "Temperature", "humidity": "Humidity", "pressure": "Air pressure", "level": "Water level",
    "rain": "Rainfall", "rain_1h": "Rain in 1 hour", "rain_24h": "Rain in 24 hours", "do": "Dissolved oxygen (DO)",
    "salinity": "Salinity", "nh4": "Ammonium (NH₄⁺)", "no3": "Nitrate (NO₃⁻)", "turbidity": "Turbidity",
    "tss": "Suspended solids (TSS)", "conductivity": "Conductivity", "water_temperature": "Water temperature",
    "snr": "Signal (SNR)",
}


def _in_vietnamese(source: str) -> str:
    return catalog("vi").get(source, source)


@functools.cache
def _usual_names_in_vietnamese() -> dict[str, str]:
    """Vietnamese usual name -> its English source text."""
    return {_in_vietnamese(words): words for words in METRIC_NAMES.values()}


def usual_name_in_the_file(metric: str) -> str | None:
    """What an unlabelled metric is called in the commune's file (Vietnamese), if it has a usual name."""
    return METRIC_SYMBOLS.get(metric) or (_in_vietnamese(METRIC_NAMES[metric]) if metric in METRIC_NAMES else None)


def metric_label(metric: str, config: "MetricConfig | None") -> str:
    """What the screens call a metric: a usual name in the UI language when the file gives no
    label or gives a usual name in Vietnamese ("Nhiệt độ nước" on a pond's temperature reads
    "Water temperature" in English); else the file's own label as written; else the metric's
    symbol or its id."""
    label = config.label if config is not None else ""
    if not label:
        words = METRIC_NAMES.get(metric)
        return tr(words) if words is not None else METRIC_SYMBOLS.get(metric, metric)
    return label_in_ui_language(label)


def label_in_ui_language(label: str) -> str:
    """A metric label as stored (a file's, an alert's): a usual name in Vietnamese reads in the
    UI language; any other label as written."""
    words = _usual_names_in_vietnamese().get(label)
    return tr(words) if words is not None else label
