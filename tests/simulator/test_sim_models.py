"""The simulator's physical models, tested directly (no broker, no threads)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from controlroom.sim.models import FloodModel, FloodScenario, RiverStation, SiteModel
from controlroom.sim.speakers import audio_duration_s

START = datetime(2026, 11, 20, 17, 0, tzinfo=timezone.utc)  # 00:00 in Huế


def _series(model: SiteModel, sensor_id: str, hours: float, step_s: float = 60.0) -> list[tuple[float, dict]]:
    sensor = model.sensor(sensor_id)
    return [(k * step_s, sensor.sample(k * step_s)) for k in range(int(hours * 3600 / step_s))]


def test_flood_hydrograph_crosses_alarm_levels_one_two_three_in_order_and_recedes(demo_config):
    model = SiteModel(demo_config, seed=3, start=START)
    for sensor_id, station in model.stations.items():
        levels = [(t, v["level"]) for t, v in _series(model, sensor_id, 40)]
        crossings = {}
        for name, threshold in (("I", station.level_1), ("II", station.level_2), ("III", station.level_3)):
            crossings[name] = next(t for t, level in levels if level >= threshold)
        assert levels[0][1] < station.level_1, f"{sensor_id} starts below alarm level I"
        assert crossings["I"] < crossings["II"] < crossings["III"]
        peak_t, peak = max(levels, key=lambda item: item[1])
        assert peak > station.level_3
        after_peak = [level for t, level in levels if t > peak_t]
        assert min(after_peak) < station.level_1, f"{sensor_id} recedes below alarm level I"


def test_default_flood_reaches_level_two_within_minutes_at_time_scale_60(demo_config):
    model = SiteModel(demo_config, seed=0, start=START)
    upstream = next(iter(model.stations.values()))
    first_level_two_h = next(t / 60 for t in range(0, 24 * 60) if model.flood.level(upstream, t / 60) >= upstream.level_2)
    # one simulated hour is one wall minute at time_scale 60
    assert first_level_two_h < 8


def test_downstream_station_lags_and_peaks_lower():
    flood = FloodModel(FloodScenario(peak_jitter_m=0.0), seed=1)
    upstream, downstream = RiverStation(0, 1.5, 3.0, 4.5), RiverStation(2, 1.5, 3.0, 4.5)
    hours = [h / 20 for h in range(0, 40 * 20)]
    up = [flood.level(upstream, h) for h in hours]
    down = [flood.level(downstream, h) for h in hours]
    assert hours[down.index(max(down))] > hours[up.index(max(up))]
    assert max(down) < max(up)
    assert next(h for h, v in zip(hours, down) if v >= 3.0) > next(h for h, v in zip(hours, up) if v >= 3.0)


def test_heavy_rain_precedes_the_rise(demo_config):
    model = SiteModel(demo_config, seed=5, start=START)
    rain = _series(model, "rain_office", 12)
    rising_from = next(t for t, v in _series(model, "wl_phu_oc", 12) if v["level"] >= 1.5)
    rain_before = sum(v["rain"] for t, v in rain if t < rising_from)
    assert rain_before > 25  # mm fallen before level I is reached
    assert sum(v["rain"] for _, v in rain) > 80  # a flood-producing rain event
    rain_peak_t = max(rain, key=lambda item: item[1]["rain"])[0]
    level_peak_t = max(_series(model, "wl_phu_oc", 12), key=lambda item: item[1]["level"])[0]
    assert rain_peak_t < level_peak_t


def test_same_seed_gives_identical_series_and_another_seed_differs(demo_config):
    def all_series(seed):
        model = SiteModel(demo_config, seed=seed, start=START)
        return {s.id: _series(model, s.id, 6) for s in demo_config.sensors}

    first, again, other = all_series(7), all_series(7), all_series(8)
    assert first == again
    assert first["aq_office"] != other["aq_office"]


def test_every_metric_of_every_sensor_stays_in_its_valid_range_for_two_days(demo_config):
    model = SiteModel(demo_config, seed=11, start=START)
    for sensor in demo_config.sensors:
        for _, values in _series(model, sensor.id, 48, step_s=600):
            assert set(values) == set(sensor.metrics)
            for name, value in values.items():
                metric = sensor.metrics[name]
                assert metric.valid_min <= value <= metric.valid_max, (sensor.id, name, value)


def test_air_and_water_quality_follow_the_day(demo_config):
    model = SiteModel(demo_config, seed=2, start=START)  # t=0 is local midnight; day 2 has no flood rain
    day = {round(t / 3600) % 24: v for t, v in _series(model, "aq_office", 48, step_s=3600) if t >= 24 * 3600}
    assert day[14]["o3"] > 2 * day[2]["o3"]  # photochemical ozone peaks in the early afternoon
    assert day[7]["pm25"] > day[12]["pm25"]  # morning traffic
    assert day[14]["temperature"] > day[5]["temperature"]
    water = {round(t / 3600) % 24: v for t, v in _series(model, "wq_phuoc_yen", 48, step_s=3600) if t >= 24 * 3600}
    assert water[15]["do"] > water[6]["do"]  # photosynthesis by day, respiration by night
    assert all(v["salinity"] < 0.5 for v in water.values())  # fresh water


def test_turbidity_rises_with_the_flood(demo_config):
    model = SiteModel(demo_config, seed=4, start=START)
    series = dict(_series(model, "wq_luong_co", 14, step_s=600))
    assert max(v["turbidity"] for v in series.values()) > 4 * series[0.0]["turbidity"]


@pytest.mark.parametrize("seconds", [0.5, 3.0])
def test_wav_duration_is_read_from_the_file(tmp_path, make_wav, seconds):
    path = tmp_path / "a.wav"
    make_wav(path, seconds)
    assert audio_duration_s(path.read_bytes()) == pytest.approx(seconds, abs=0.01)


def test_mp3_duration_is_estimated_from_its_bitrate():
    frame_header = bytes([0xFF, 0xFB, 0x90, 0x64])  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
    data = b"ID3\x03\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10 + frame_header + b"\x00" * (16000 - 4)
    assert audio_duration_s(data) == pytest.approx(1.0, rel=0.01)


@pytest.mark.parametrize("config_name", ["demo_config", "second_config"])
def test_citizen_reports_come_at_a_human_pace_whatever_the_simulated_speed(config_name, request):
    """At 60x a report per simulated hour was one a wall minute: more than the alarm-flood limit
    on its own, so the demo showed "alarm flood" at a calm river. Reports now come at most as
    often as people type them; at 1x the simulated rates stand."""
    from controlroom.config import AlertsConfig
    from controlroom.sim.reports import ReportGenerator

    config = request.getfixturevalue(config_name)
    limits = AlertsConfig()
    fast = ReportGenerator(config, seed=5, start=START, time_scale=60.0)
    window_sim_s = limits.flood_window_s * 60.0  # one alarm-flood window of wall time, in simulated seconds
    counts = []
    for _ in range(144):  # a calm day of wall time in flood-window steps
        t, n = 0.0, 0
        while (t := t + fast.gap_s(flooding=False)) < window_sim_s:
            n += 1
        counts.append(n)
    assert max(counts) <= limits.flood_count // 2, "calm-day reports alone stay well under the alarm-flood limit"
    assert sum(counts) > 144  # still more than one report per ten minutes to show in a demo

    real_time = ReportGenerator(config, seed=5, start=START, time_scale=1.0)
    everyday = [real_time.gap_s(flooding=False) for _ in range(2000)]
    flood = [real_time.gap_s(flooding=True) for _ in range(2000)]
    assert 3300 < sum(everyday) / len(everyday) < 3900  # one an hour
    assert 850 < sum(flood) / len(flood) < 1050  # one in a quarter of an hour
