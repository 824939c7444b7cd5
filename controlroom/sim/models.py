"""Physical models behind the demo simulator: flood hydrograph, rain, air and water quality.

Everything here is a function of *simulated* time (seconds since the simulation start) plus
seeded noise: no I/O, no threads, no global random state. The simulator asks each
``SensorModel`` for tick after tick; the same seed and start give the same series.

Numbers are plausible for the lower Bồ river (Huế) in the rainy season, chosen to make a
convincing demo, not measured data.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from controlroom.config import Config, MetricConfig, SensorConfig


@dataclass(frozen=True)
class FloodScenario:
    """A repeating flood event (trận lũ) on the river, in simulated hours.

    Event k: heavy rain starts at ``first_event_h + k * period_h`` and lasts ``rain_h``.
    The most upstream station (the first water_level sensor in the config) starts rising
    ``rain_lead_h`` after the rain starts, rises for ``rise_h`` to its peak
    (``peak_over_level_3_m`` above its own alarm level III, plus a seeded ± ``peak_jitter_m``),
    holds ``peak_hold_h``, then recedes exponentially (95 % gone after ``recession_h``).
    Station i further down the list lags ``i * downstream_lag_h`` and peaks
    ``i * downstream_attenuation_m`` lower. Between events a station sits
    ``base_below_level_1_m`` below its alarm level I, with a small tide.

    With the defaults and time_scale 60 the first event crosses level II about 4-5 wall
    minutes after start, level III about 6 minutes after, and is gone ~25 minutes later.
    """

    first_event_h: float = 0.5
    period_h: float = 48.0
    rain_h: float = 6.0
    rain_peak_mm_h: float = 40.0  # peak intensity; one event drops ~120 mm (a typical central-VN flood rain)
    rain_lead_h: float = 1.0
    rise_h: float = 6.0
    peak_hold_h: float = 1.5
    recession_h: float = 16.0
    peak_over_level_3_m: float = 0.5
    peak_jitter_m: float = 0.2
    base_below_level_1_m: float = 0.7
    tide_amplitude_m: float = 0.05
    downstream_lag_h: float = 0.75
    downstream_attenuation_m: float = 0.15


@dataclass(frozen=True)
class RiverStation:
    """The alarm levels (mức báo động I/II/III, metres) a station's hydrograph is built on."""

    index: int  # 0 = most upstream
    level_1: float
    level_2: float
    level_3: float


def _smoothstep(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3.0 - 2.0 * x)


class FloodModel:
    """Water level and regional rain as pure functions of simulated hours."""

    def __init__(self, scenario: FloodScenario, seed: int = 0):
        self.scenario = scenario
        self.seed = seed
        self._variations: dict[int, tuple[float, float]] = {}  # one entry per event: tiny

    def _event_variation(self, k: int) -> tuple[float, float]:
        """(peak jitter in metres, rain scale) of event k: seeded, the same on every call."""
        variation = self._variations.get(k)
        if variation is None:
            rng = random.Random(f"{self.seed}:flood-event:{k}")
            jitter = self.scenario.peak_jitter_m
            variation = self._variations[k] = (rng.uniform(-jitter, jitter), rng.uniform(0.85, 1.15))
        return variation

    def _events_near(self, t_h: float) -> range:
        s = self.scenario
        k = math.floor((t_h - s.first_event_h) / s.period_h)
        return range(max(0, k - 1), max(0, k + 1) + 1)

    def base_level(self, station: RiverStation, t_h: float) -> float:
        s = self.scenario
        tide = s.tide_amplitude_m * math.sin(2 * math.pi * t_h / 12.42)  # semi-diurnal M2 tide
        return station.level_1 - s.base_below_level_1_m + tide

    def level(self, station: RiverStation, t_h: float) -> float:
        """Water level (m) at the station, without measurement noise."""
        s = self.scenario
        base = self.base_level(station, t_h)
        rise = 0.0
        for k in self._events_near(t_h):
            jitter, _ = self._event_variation(k)
            peak = station.level_3 + s.peak_over_level_3_m + jitter - station.index * s.downstream_attenuation_m
            amplitude = max(0.0, peak - (station.level_1 - s.base_below_level_1_m))
            u = t_h - (s.first_event_h + k * s.period_h + s.rain_lead_h + station.index * s.downstream_lag_h)
            if u <= 0:
                continue
            if u < s.rise_h:
                value = amplitude * _smoothstep(u / s.rise_h)
            elif u < s.rise_h + s.peak_hold_h:
                value = amplitude
            else:
                value = amplitude * math.exp(-3.0 * (u - s.rise_h - s.peak_hold_h) / s.recession_h)
            rise = max(rise, value)
        return base + rise

    def flood_fraction(self, station: RiverStation, t_h: float) -> float:
        """0 at the base level, 1 at the event peak: drives turbidity, reports, washout."""
        s = self.scenario
        base = station.level_1 - s.base_below_level_1_m
        span = station.level_3 + s.peak_over_level_3_m - base
        return min(1.0, max(0.0, (self.level(station, t_h) - base) / span)) if span > 0 else 0.0

    def rain_intensity(self, t_h: float) -> float:
        """Regional rain intensity (mm/h): the event rain plus seeded light showers."""
        s = self.scenario
        intensity = 0.0
        for k in self._events_near(t_h):
            v = (t_h - (s.first_event_h + k * s.period_h)) / s.rain_h
            if 0.0 < v < 1.0:
                _, scale = self._event_variation(k)
                intensity = max(intensity, s.rain_peak_mm_h * scale * math.sin(math.pi * v) ** 2)
        hour = math.floor(t_h)
        shower = random.Random(f"{self.seed}:shower:{hour}")
        if shower.random() < 0.08:  # about two showery hours a day in the rainy season
            intensity += shower.uniform(0.5, 4.0) * math.sin(math.pi * (t_h - hour)) ** 2
        return intensity


class _Smooth:
    """AR(1) noise with unit variance and time constant tau_s: values wander, not jump."""

    def __init__(self, rng: random.Random, tau_s: float):
        self._rng = rng
        self._tau_s = tau_s
        self._x = rng.gauss(0.0, 1.0)
        self._t: float | None = None

    def at(self, t_s: float) -> float:
        if self._t is not None:
            phi = math.exp(-max(0.0, t_s - self._t) / self._tau_s)
            self._x = phi * self._x + math.sqrt(1.0 - phi * phi) * self._rng.gauss(0.0, 1.0)
        self._t = t_s
        return self._x


def _bump(hour: float, centre: float, width: float) -> float:
    """A daily Gaussian bump around `centre` o'clock (wraps at midnight)."""
    d = (hour - centre + 12.0) % 24.0 - 12.0
    return math.exp(-0.5 * (d / width) ** 2)


def _daily(hour: float, peak_hour: float) -> float:
    """Cosine daily cycle, +1 at peak_hour, -1 twelve hours later."""
    return math.cos(2 * math.pi * (hour - peak_hour) / 24.0)


class SensorModel:
    """Values of one sensor's metrics at successive simulated times (call in time order)."""

    def __init__(self, site: "SiteModel", sensor: SensorConfig):
        self.site = site
        self.sensor = sensor
        self._rng = random.Random(f"{site.seed}:sensor:{sensor.id}")
        self._noise: dict[str, _Smooth] = {}
        self._station = site.stations.get(sensor.id)
        self._gauge_factor = self._rng.uniform(0.85, 1.15)
        # Station character, drawn once per station. Normal water sits inside the QCVN 08:2023
        # limits of the demo config (DO >= 5 mg/L, NH4-N <= 0.3 mg/L) except for an occasional
        # dawn DO dip; the flood pushes DO, pH and ammonium past them.
        self._do_mean = self._rng.uniform(6.3, 7.0)
        self._do_amp = self._rng.uniform(1.0, 1.6)
        self._turbidity_base = self._rng.uniform(12.0, 30.0)
        self._nh4_base = self._rng.uniform(0.08, 0.18)
        self._salinity_base = self._rng.uniform(0.08, 0.25)

    def _n(self, key: str, t_s: float, tau_s: float = 1200.0) -> float:
        noise = self._noise.get(key)
        if noise is None:
            noise = self._noise[key] = _Smooth(random.Random(f"{self.site.seed}:noise:{self.sensor.id}:{key}"), tau_s)
        return noise.at(t_s)

    def sample(self, t_s: float) -> dict[str, float]:
        """Each configured metric's value at t_s seconds after the start, clipped to its valid range."""
        t_h = t_s / 3600.0
        hour = self.site.local_hour(t_s)
        values: dict[str, float] = {}
        for name, metric in self.sensor.metrics.items():
            value = self._value(name, metric, t_s, t_h, hour)
            if metric.valid_min is not None:
                value = max(metric.valid_min, value)
            if metric.valid_max is not None:
                value = min(metric.valid_max, value)
            values[name] = round(value, 3 if self.sensor.kind == "water_level" else 2)
        return values

    def _value(self, name: str, metric: MetricConfig, t_s: float, t_h: float, hour: float) -> float:
        kind = self.sensor.kind
        if kind == "water_level" and self._station is not None:
            return self.site.flood.level(self._station, t_h) + 0.006 * self._n(name, t_s, 300.0)
        if kind == "rain":
            return self._rain_mm(t_s, t_h)
        if kind == "air_quality":
            value = self._air(name, t_s, t_h, hour)
        elif kind == "water_quality":
            value = self._water(name, t_s, t_h, hour)
        else:
            value = None
        return _generic(metric) * (1 + 0.05 * self._n(name, t_s)) if value is None else value

    def _rain_mm(self, t_s: float, t_h: float) -> float:
        """Rain in this reporting interval (mm), from the regional intensity at this gauge."""
        intensity = self.site.flood.rain_intensity(t_h)
        if intensity <= 0.05:
            return 0.0
        gust = math.exp(0.35 * self._n("rain", t_s, 600.0) - 0.06)
        return intensity * self._gauge_factor * gust * self.sensor.interval_s / 3600.0

    def _air(self, name: str, t_s: float, t_h: float, hour: float) -> float | None:
        # Traffic peaks at 7:30 and 17:45; the night inversion traps pollution, deepest ~3 am.
        traffic = _bump(hour, 7.5, 1.2) + 0.9 * _bump(hour, 17.75, 1.5)
        inversion = 0.5 * (1 + _daily(hour, 3.0))
        rain = self.site.flood.rain_intensity(t_h)
        washout = 1.0 / (1.0 + rain / 15.0)  # rain scavenges particles
        wet = min(1.0, rain / 10.0)
        wobble = math.exp(0.18 * self._n(name, t_s))
        if name in ("pm25", "pm2_5"):
            return (16 + 32 * traffic + 24 * inversion) * washout * wobble
        if name == "pm10":
            pm25 = (16 + 32 * traffic + 24 * inversion) * washout * math.exp(0.18 * self._n("pm25", t_s))
            return pm25 * 1.65 + 10 * traffic * washout * wobble
        if name == "o3":  # photochemical: early afternoon, suppressed under rain clouds
            return (14 + 95 * _bump(hour, 13.5, 2.3) / (1 + rain / 3.0)) * wobble
        if name == "co":
            return (450 + 1500 * traffic + 600 * inversion) * wobble
        if name == "no2":
            return (10 + 42 * traffic + 12 * inversion) * washout ** 0.5 * wobble
        if name == "so2":
            return (5 + 5 * traffic) * wobble
        if name in ("temperature", "temp"):  # November in Huế: about 21-28 °C
            return 24.5 + 3.5 * _daily(hour, 14.5) - 2.5 * wet + 0.3 * self._n(name, t_s)
        if name in ("humidity", "rh"):
            return min(99.0, 80 - 11 * _daily(hour, 14.5) + 14 * wet + 2 * self._n(name, t_s))
        return None

    def _water(self, name: str, t_s: float, t_h: float, hour: float) -> float | None:
        flood = self.site.flood_fraction(t_h - 1.0)  # runoff reaches ponds and canals ~1 h later
        if name == "do":  # photosynthesis: lowest at dawn, highest mid-afternoon; muddy water less
            return max(0.8, self._do_mean + self._do_amp * _daily(hour, 15.0) - 1.6 * flood + 0.25 * self._n(name, t_s))
        if name == "ph":
            return 7.35 + 0.4 * _daily(hour, 15.5) - 0.35 * flood + 0.05 * self._n(name, t_s)
        if name in ("temperature", "temp"):
            return 25.5 + 1.8 * _daily(hour, 16.0) - 1.5 * flood + 0.1 * self._n(name, t_s)
        if name == "turbidity":
            return self._turbidity_base * (1 + 11 * flood) * math.exp(0.12 * self._n(name, t_s))
        if name in ("nh4", "ammonium"):
            return (self._nh4_base + 0.45 * flood) * math.exp(0.15 * self._n(name, t_s))
        if name == "salinity":  # the flood's fresh water lowers it: fresh water further, brackish a lot
            brackish = _brackish_salinity(self.sensor.metrics[name])
            if brackish is not None:
                return max(0.0, brackish * (1 - 0.85 * flood) + 0.4 * self._n(name, t_s))
            return max(0.0, self._salinity_base * (1 - 0.7 * flood) + 0.01 * self._n(name, t_s))
        return None


def _station_levels(sensor: SensorConfig) -> tuple[float, float, float] | None:
    """The three heights the flood model rises past: a river station's alarm levels I-III; for
    a lagoon or tide gauge with only the commune's limits, levels spread over its high and
    high-high thresholds (a storm surge through the lagoon reaches both)."""
    if sensor.kind != "water_level":
        return None
    if sensor.alarm_levels is not None:
        levels = sensor.alarm_levels
        return levels.level_1, levels.level_2, levels.level_3
    t = next(iter(sensor.metrics.values())).thresholds
    if t is None or t.high is None:
        return None
    top = t.high_high if t.high_high is not None and t.high_high > t.high else t.high + 0.5
    return t.high, (t.high + top) / 2, top


def _brackish_salinity(metric: MetricConfig) -> float | None:
    """Brackish water (a lagoon's shrimp pond) when the commune set a lower salinity limit of
    1 ‰ or more: the usual salinity sits inside its limits, not at a river's near zero."""
    t = metric.thresholds
    if t is None or t.low is None or t.low < 1.0:
        return None
    top = t.high if t.high is not None else 3 * t.low
    return (t.low + top) / 2


def _generic(metric: MetricConfig) -> float:
    """A steady in-range value for a metric no model knows (another commune's extra sensor)."""
    thresholds = metric.thresholds
    if thresholds is not None and thresholds.low is not None and thresholds.high is not None:
        return (thresholds.low + thresholds.high) / 2
    if thresholds is not None and thresholds.high is not None:
        return thresholds.high * 0.5
    if metric.valid_min is not None and metric.valid_max is not None:
        return metric.valid_min + 0.2 * (metric.valid_max - metric.valid_min)
    return 1.0


class SiteModel:
    """All sensor models of one commune, sharing one river, one sky and one clock origin."""

    def __init__(self, config: Config, seed: int = 0, start: datetime | None = None,
                 scenario: FloodScenario | None = None):
        self.config = config
        self.seed = seed
        self.start = (start or datetime.now(timezone.utc)).astimezone(timezone.utc)
        self.flood = FloodModel(scenario or FloodScenario(), seed)
        self.stations: dict[str, RiverStation] = {}
        for sensor in config.sensors:
            levels = _station_levels(sensor)
            if levels is not None:
                self.stations[sensor.id] = RiverStation(len(self.stations), *levels)
        self._tz = config.site.tz
        self._models: dict[str, SensorModel] = {}

    def sensor(self, sensor_id: str) -> SensorModel:
        model = self._models.get(sensor_id)
        if model is None:
            sensor = self.config.sensor(sensor_id)
            if sensor is None:
                raise KeyError(sensor_id)
            model = self._models[sensor_id] = SensorModel(self, sensor)
        return model

    def time_at(self, t_s: float) -> datetime:
        return self.start + timedelta(seconds=t_s)

    def local_hour(self, t_s: float) -> float:
        local = self.time_at(t_s).astimezone(self._tz)
        return local.hour + local.minute / 60.0 + local.second / 3600.0

    def flood_fraction(self, t_h: float) -> float:
        """How far the most upstream station is into its flood (0..1); 0 without stations."""
        upstream = next(iter(self.stations.values()), None)
        return 0.0 if upstream is None else self.flood.flood_fraction(upstream, t_h)

    def flooding(self, t_h: float) -> bool:
        """True while the most upstream station is at or above its alarm level I."""
        upstream = next(iter(self.stations.values()), None)
        return upstream is not None and self.flood.level(upstream, t_h) >= upstream.level_1
