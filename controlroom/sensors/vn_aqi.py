"""Vietnam's air quality index (VN_AQI), as prescribed by Decision 1459/QĐ-TCMT (12/11/2019).

Pure functions, no Qt. Concentrations are in µg/m³ (CO too, as in the decision's Bảng 2).
Inputs are hourly means (trung bình 1 giờ); ``None`` marks an hour without data.

* Hourly index (AQI giờ, section 2.2.1): SO2, CO, NO2 and O3 use the current hourly mean
  (O3 against its 1-hour breakpoints); PM2.5 and PM10 use the NowCast of the last 12 hourly
  means (formula 2).
* Daily index (AQI ngày, section 2.2.2): PM by the 24-hour mean; O3 by the larger of the
  daily maximum 1-hour and 8-hour means (each on its own breakpoints; the 8-hour one is
  skipped above 400 µg/m³); SO2, NO2, CO by the daily maximum 1-hour mean.
* The index is the largest sub-index, rounded to an integer; it needs PM2.5 or PM10.

Rounding is half-up: the decision says "làm tròn thành số nguyên" and its worked example
rounds 109.5 to 110. Its hourly example prints 60 for NO2 where the formula gives 59.35;
the tests keep the formula's 59 and say why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

POLLUTANTS = ("pm25", "pm10", "o3", "co", "so2", "no2")
PM_POLLUTANTS = ("pm25", "pm10")

# Decision 1459/QĐ-TCMT, Bảng 2: index I_i and breakpoints BP_i (µg/m³) per parameter.
INDEX_LEVELS = (0, 50, 100, 150, 200, 300, 400, 500)
BREAKPOINTS: dict[str, tuple[float, ...]] = {
    "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "o3_8h": (0, 100, 120, 170, 210, 400),  # no breakpoints above index 300
    "co": (0, 10000, 30000, 45000, 60000, 90000, 120000, 150000),
    "so2": (0, 125, 350, 550, 800, 1600, 2100, 2630),
    "no2": (0, 100, 200, 700, 1200, 2350, 3100, 3850),
    "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
    "pm25": (0, 25, 50, 80, 150, 250, 350, 500),
}
O3_8H_MAX = 400.0  # 1459 §2.2.2.b: above this the 8-hour O3 sub-index is not computed


@dataclass(frozen=True)
class AqiBand:
    """One of the six bands of Bảng 1; ``key`` names it in code, the UI translates it."""

    key: str
    low: int
    high: int
    rgb: tuple[int, int, int]

    @property
    def hex(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.rgb)


# Decision 1459/QĐ-TCMT, Bảng 1: ranges, names (Tốt ... Nguy hại) and RGB colour codes.
BANDS: tuple[AqiBand, ...] = (
    AqiBand("good", 0, 50, (0, 228, 0)),  # Tốt, xanh
    AqiBand("moderate", 51, 100, (255, 255, 0)),  # Trung bình, vàng
    AqiBand("poor", 101, 150, (255, 126, 0)),  # Kém, da cam
    AqiBand("bad", 151, 200, (255, 0, 0)),  # Xấu, đỏ
    AqiBand("very_bad", 201, 300, (143, 63, 151)),  # Rất xấu, tím
    AqiBand("hazardous", 301, 500, (126, 0, 35)),  # Nguy hại, nâu
)


@dataclass(frozen=True)
class AqiResult:
    """An index value with the sub-indices it came from (rounded, per pollutant)."""

    value: int
    dominant: str
    sub_indices: dict[str, int] = field(default_factory=dict)

    @property
    def band(self) -> AqiBand:
        return band_for(self.value)


ROUNDING_DIGITS = 6  # far below any index step, far above float noise (~1e-13 at 500)


def round_half_up(value: float) -> int:
    """Half-up to an integer, after rounding away float noise: a sub-index whose exact value
    ends in .5 may come out of the formula as ….4999999999999, which must still round up."""
    return int(Decimal(repr(round(value, ROUNDING_DIGITS))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def band_for(aqi: float) -> AqiBand:
    """The Bảng 1 band of an (integer) index; values above 500 stay in the last band."""
    value = round_half_up(aqi)
    for band in BANDS:
        if value <= band.high:
            return band
    return BANDS[-1]


def sub_index(table: str, concentration: float | None) -> float | None:
    """Formula 1/2 of 1459: linear interpolation inside the Bảng 2 segment holding C.

    ``table`` is a BREAKPOINTS key ("pm25", "o3_1h", ...). Negative or missing values give
    None; values at or above the last breakpoint give that breakpoint's index (500, or 300
    for 8-hour O3).
    """
    if concentration is None or not math.isfinite(concentration) or concentration < 0:
        return None
    points = BREAKPOINTS[table]
    if concentration >= points[-1]:
        return float(INDEX_LEVELS[len(points) - 1])
    for i in range(len(points) - 1):
        low, high = points[i], points[i + 1]
        if concentration <= high:
            i_low, i_high = INDEX_LEVELS[i], INDEX_LEVELS[i + 1]
            return (i_high - i_low) / (high - low) * (concentration - low) + i_low
    return None  # unreachable: the last breakpoint was handled above


def nowcast(hourly: Sequence[float | None]) -> float | None:
    """NowCast of PM (1459 §2.2.1.a) from hourly means, ``hourly[0]`` = current hour (c1).

    Up to 12 values are used. It needs at least 2 of c1, c2, c3; a missing hour gets weight
    0. w* = Cmin/Cmax; w = max(w*, 1/2). The decision writes the w = 1/2 case as
    Σ (1/2)^i·c_i; that equals the normalised Σ w^(i-1)·c_i / Σ w^(i-1) used here up to
    the factor 1 - 2^-12 when all 12 hours exist, and stays correct when some are missing.
    """
    values = list(hourly[:12])
    recent = [v for v in values[:3] if v is not None]
    if len(recent) < 2:
        return None
    present = [v for v in values if v is not None]
    c_max, c_min = max(present), min(present)
    if c_max <= 0:
        return 0.0
    w = max(c_min / c_max, 0.5)
    numerator = denominator = 0.0
    for i, value in enumerate(values):
        if value is None:
            continue
        weight = w**i
        numerator += weight * value
        denominator += weight
    return numerator / denominator


def _combine(sub: Mapping[str, float | None]) -> AqiResult | None:
    present = {k: v for k, v in sub.items() if v is not None}
    if not any(k in present for k in PM_POLLUTANTS):
        return None  # 1459 §2.1.b: PM2.5 or PM10 must be part of the calculation
    rounded = {k: round_half_up(v) for k, v in present.items()}
    dominant = max(present, key=lambda k: (present[k], k in PM_POLLUTANTS))
    return AqiResult(value=round_half_up(present[dominant]), dominant=dominant, sub_indices=rounded)


def hourly_aqi(hourly_means: Mapping[str, Sequence[float | None]]) -> AqiResult | None:
    """AQI giờ from per-pollutant hourly means, newest first (``[c1, c2, ...]``).

    PM needs up to 12 hours for the NowCast; gases use only the newest hour. Pollutants
    that are absent or missing are left out; None when neither PM2.5 nor PM10 is usable.
    """
    sub: dict[str, float | None] = {}
    for pollutant in PM_POLLUTANTS:
        series = hourly_means.get(pollutant)
        if series:
            sub[pollutant] = sub_index(pollutant, nowcast(series))
    for pollutant in ("co", "so2", "no2"):
        series = hourly_means.get(pollutant)
        if series:
            sub[pollutant] = sub_index(pollutant, series[0])
    series = hourly_means.get("o3")
    if series:
        sub["o3"] = sub_index("o3_1h", series[0])
    return _combine(sub)


def max_8h_mean(hourly: Sequence[float | None]) -> float | None:
    """Largest mean of 8 consecutive hourly means (oldest first); windows with gaps skipped."""
    best: float | None = None
    for start in range(0, len(hourly) - 7):
        window = hourly[start : start + 8]
        if any(v is None for v in window):
            continue
        mean = sum(window) / 8.0  # type: ignore[arg-type]
        best = mean if best is None else max(best, mean)
    return best


@dataclass(frozen=True)
class DailyInputs:
    """The statistics of one day that the daily index uses (µg/m³; None = no data)."""

    pm25_24h: float | None = None
    pm10_24h: float | None = None
    o3_1h_max: float | None = None
    o3_8h_max: float | None = None
    co_1h_max: float | None = None
    so2_1h_max: float | None = None
    no2_1h_max: float | None = None


def daily_aqi(day: DailyInputs) -> AqiResult | None:
    """AQI ngày (1459 §2.2.2); None when neither PM2.5 nor PM10 has a 24-hour mean."""
    o3_candidates = [sub_index("o3_1h", day.o3_1h_max)]
    if day.o3_8h_max is not None and day.o3_8h_max <= O3_8H_MAX:
        o3_candidates.append(sub_index("o3_8h", day.o3_8h_max))
    o3_present = [v for v in o3_candidates if v is not None]
    sub = {
        "pm25": sub_index("pm25", day.pm25_24h),
        "pm10": sub_index("pm10", day.pm10_24h),
        "o3": max(o3_present) if o3_present else None,
        "co": sub_index("co", day.co_1h_max),
        "so2": sub_index("so2", day.so2_1h_max),
        "no2": sub_index("no2", day.no2_1h_max),
    }
    return _combine(sub)


def daily_inputs(hourly_day: Mapping[str, Sequence[float | None]]) -> DailyInputs:
    """Daily statistics from 24 hourly means per pollutant (oldest first, 01:00 .. 00:00).

    For the 8-hour O3 maximum pass the previous day's last 7 hours in front of the day's
    24 (1459's example starts the day's 8-hour means at 18:00 of the day before).
    """

    def mean(values: Sequence[float | None] | None) -> float | None:
        present = [v for v in values or () if v is not None]
        return sum(present) / len(present) if present else None

    def peak(values: Sequence[float | None] | None) -> float | None:
        present = [v for v in values or () if v is not None]
        return max(present) if present else None

    o3 = hourly_day.get("o3") or ()
    return DailyInputs(
        pm25_24h=mean(hourly_day.get("pm25")),
        pm10_24h=mean(hourly_day.get("pm10")),
        o3_1h_max=peak(o3[-24:]),
        o3_8h_max=max_8h_mean(o3),
        co_1h_max=peak(hourly_day.get("co")),
        so2_1h_max=peak(hourly_day.get("so2")),
        no2_1h_max=peak(hourly_day.get("no2")),
    )


class HourlyAqiTracker:
    """Keeps hourly means of each pollutant for the last 13 hours and gives AQI giờ.

    Fed with readings as they arrive (any thread that owns it; not thread-safe). The
    current, still filling hour counts as c1, so the index follows the air as the hour
    goes on. Memory is bounded: one (sum, count) per pollutant and hour.
    """

    HOURS = 13

    def __init__(self) -> None:
        self._bins: dict[str, dict[int, list[float]]] = {p: {} for p in POLLUTANTS}
        self._latest_hour: int | None = None

    def add(self, pollutant: str, ts_epoch_s: float, value: float) -> None:
        self.add_in_hour(pollutant, int(ts_epoch_s // 3600), value)

    def add_in_hour(self, pollutant: str, hour: int, value: float) -> None:
        """`add` with the hour (epoch seconds // 3600) worked out by the caller: the values of
        one message share it."""
        bins = self._bins.get(pollutant)
        if bins is None or not math.isfinite(value):
            return
        if self._latest_hour is not None and hour <= self._latest_hour - self.HOURS:
            return
        cell = bins.setdefault(hour, [0.0, 0])
        cell[0] += value
        cell[1] += 1
        if self._latest_hour is None or hour > self._latest_hour:
            self._latest_hour = hour
            for other in self._bins.values():
                for old in [h for h in other if h <= hour - self.HOURS]:
                    del other[old]

    def hourly_means(self, now_epoch_s: float) -> dict[str, list[float | None]]:
        """Per pollutant: [c1 (hour of now), c2, ... c12]; None where an hour has no data."""
        current = int(now_epoch_s // 3600)
        result: dict[str, list[float | None]] = {}
        for pollutant, bins in self._bins.items():
            series: list[float | None] = []
            for back in range(12):
                cell = bins.get(current - back)
                series.append(cell[0] / cell[1] if cell and cell[1] else None)
            if any(v is not None for v in series):
                result[pollutant] = series
        return result

    def aqi(self, now_epoch_s: float) -> AqiResult | None:
        return hourly_aqi(self.hourly_means(now_epoch_s))
