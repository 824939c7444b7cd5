"""VN_AQI against cases worked by hand from Decision 1459/QĐ-TCMT (Bảng 1, Bảng 2, §2.2, §2.3).

Each expected number was computed on paper from the decision's formula
AQI_x = (I_i+1 - I_i) / (BP_i+1 - BP_i) × (C_x - BP_i) + I_i and its Bảng 2; the working is
in the comments. Rounding is half-up, as the decision's own example (109.5 -> 110) does.
"""

from __future__ import annotations

import pytest

from controlroom.sensors.vn_aqi import (
    BANDS,
    DailyInputs,
    HourlyAqiTracker,
    band_for,
    daily_aqi,
    daily_inputs,
    hourly_aqi,
    max_8h_mean,
    nowcast,
    sub_index,
)

# 1459 §2.3.a: PM2.5 hourly means 09:00 .. 20:00; the current hour (c1) is 20:00.
EXAMPLE_PM25_OLDEST_FIRST = [26.9, 24.7, 20.5, 23.5, 19.5, 16.5, 19.0, 16.5, 20.3, 22.4, 19.6, 20.6]


def test_nowcast_matches_the_decisions_worked_example():
    # w* = 16.5 / 26.9 = 0.613 > 0.5 -> w = w*; the decision reports 20.3 µg/m³
    value = nowcast(list(reversed(EXAMPLE_PM25_OLDEST_FIRST)))
    assert round(value, 1) == 20.3


def test_hourly_index_of_the_decisions_example_uses_the_largest_sub_index():
    # O3 1h 136.1: 50/160 × 136.1 = 42.53 -> 43 (decision: 43)
    # PM2.5 NowCast 20.27: 50/25 × 20.27 = 40.53 -> 41 (decision: 41)
    # NO2 118.7: 50 + 50/100 × 18.7 = 59.35 -> 59. The decision prints 60 here, which no
    # rounding rule gives together with its other results (its daily NO2 65.4 -> 65 rules
    # out rounding up); we keep the formula's 59.
    result = hourly_aqi({"o3": [136.1], "no2": [118.7], "pm25": list(reversed(EXAMPLE_PM25_OLDEST_FIRST))})
    assert result.sub_indices == {"o3": 43, "no2": 59, "pm25": 41}
    assert result.value == 59
    assert result.dominant == "no2"
    assert result.band.key == "moderate"


def test_daily_index_of_the_decisions_example_is_110_from_pm25():
    # O3 8h 89.3 -> 44.65 -> 45; O3 1h 114.6 -> 35.8 -> 36; O3 = max = 45
    # NO2 130.8 -> 50 + 0.5 × 30.8 = 65.4 -> 65
    # PM2.5 24h 55.7 -> 100 + 50/30 × 5.7 = 109.5 -> 110 (decision: 110)
    result = daily_aqi(DailyInputs(pm25_24h=55.7, o3_8h_max=89.3, o3_1h_max=114.6, no2_1h_max=130.8))
    assert result.value == 110
    assert result.dominant == "pm25"
    assert result.sub_indices == {"pm25": 110, "o3": 45, "no2": 65}
    assert result.band.key == "poor"


def test_max_8h_mean_of_the_decisions_ozone_table_is_74_4():
    # 1459 §2.2.2.a: hourly O3 from 18:00 of the day before to 00:00; largest 8-hour mean 74.4
    o3 = [15.7, 14.2, 17.7, 18.9, 19.3, 15.7, 19.7, 22.6, 27.1, 29.0, 31.9, 25.3, 34.7, 35.2, 41.6, 45.7,
          49.2, 55.8, 69.6, 78.3, 91.5, 97.7, 81.2, 71.8, 43.5, 34.3, 21.5, 20.5, 19.4, 20.4, 21.3]
    assert round(max_8h_mean(o3), 1) == 74.4
    assert round(max_8h_mean(o3[:8]), 1) == 18.0  # the table's first 8-hour mean (01:00)
    assert daily_inputs({"o3": o3}).o3_8h_max == max_8h_mean(o3)


@pytest.mark.parametrize(
    ("table", "concentration", "expected"),
    [
        ("pm25", 25.0, 50),  # top of "Tốt": exactly BP2
        ("pm25", 25.1, 50),  # 50 + 50/25 × 0.1 = 50.2 -> 50, still Tốt
        ("pm25", 50.0, 100),  # BP3
        ("pm25", 50.3, 101),  # 100 + 50/30 × 0.3 = 100.5 -> 101 (half-up), Kém
        ("pm10", 0.0, 0),
        ("pm10", 600.0, 500),  # last breakpoint
        ("pm10", 750.0, 500),  # beyond the table: capped at 500
        ("co", 35000.0, 117),  # 100 + 50/15000 × 5000 = 116.67
        ("so2", 1000.0, 225),  # 200 + 100/800 × 200
        ("no2", 2350.0, 300),
        ("o3_1h", 500.0, 225),  # 200 + 100/400 × 100
        ("o3_8h", 400.0, 300),  # the 8-hour table ends at index 300
    ],
)
def test_sub_index_at_and_around_breakpoints(table, concentration, expected):
    from controlroom.sensors.vn_aqi import round_half_up

    assert round_half_up(sub_index(table, concentration)) == expected


def test_negative_or_missing_concentration_has_no_sub_index():
    assert sub_index("pm25", None) is None
    assert sub_index("pm25", -1.0) is None
    assert sub_index("pm25", float("nan")) is None


def test_index_needs_pm25_or_pm10():
    # 1459 §2.1.b: at least one of PM10 and PM2.5 must be in the calculation
    assert hourly_aqi({"o3": [300.0], "no2": [500.0], "co": [20000.0]}) is None
    assert daily_aqi(DailyInputs(o3_1h_max=300.0, so2_1h_max=200.0)) is None


def test_missing_gases_are_left_out_and_pm10_alone_is_enough():
    # PM10 steady 100 µg/m³ -> NowCast 100 -> 50 + 50/100 × 50 = 75
    result = hourly_aqi({"pm10": [100.0] * 12, "pm25": [], "so2": [None]})
    assert result.value == 75
    assert result.sub_indices == {"pm10": 75}


def test_nowcast_needs_two_of_the_last_three_hours():
    assert nowcast([30.0, None, None, 30.0, 30.0]) is None
    assert hourly_aqi({"pm25": [30.0, None, None, 30.0]}) is None
    # c1 = 20, c2 = 30, c3 missing: w* = 20/30 = 0.667;
    # NowCast = (20 + 0.667 × 30) / (1 + 0.667) = 24.0 -> PM2.5 index 48
    assert nowcast([20.0, 30.0, None]) == pytest.approx(24.0)
    assert hourly_aqi({"pm25": [20.0, 30.0, None]}).value == 48


def test_nowcast_weight_floor_of_one_half():
    # c1 = 100, c2..c12 = 10: w* = 0.1 <= 1/2 -> w = 1/2.
    # Decision's form Σ (1/2)^i c_i = 50 + 10 × (1/2 - 2^-12) = 54.998;
    # normalised form (100 + 10 × 0.99951) / 1.99951 = 55.011. Both -> 55.0 µg/m³,
    # PM2.5 index 100 + 50/30 × 5.0 = 108.3 -> 108.
    assert nowcast([100.0] + [10.0] * 11) == pytest.approx(55.0, abs=0.02)
    assert hourly_aqi({"pm25": [100.0] + [10.0] * 11}).value == 108


def test_ozone_8h_above_400_is_not_used_for_the_daily_index():
    # 1-hour max 500 -> 225; the 8-hour max 450 (> 400) would cap at 300 but is skipped
    result = daily_aqi(DailyInputs(pm25_24h=10.0, o3_1h_max=500.0, o3_8h_max=450.0))
    assert result.sub_indices["o3"] == 225
    assert result.value == 225 and result.dominant == "o3"


def test_bands_and_colours_follow_table_1():
    assert [(b.low, b.high) for b in BANDS] == [(0, 50), (51, 100), (101, 150), (151, 200), (201, 300), (301, 500)]
    assert [b.rgb for b in BANDS] == [(0, 228, 0), (255, 255, 0), (255, 126, 0), (255, 0, 0), (143, 63, 151), (126, 0, 35)]
    assert band_for(50).key == "good" and band_for(50.4).key == "good" and band_for(51).key == "moderate"
    assert band_for(150).key == "poor" and band_for(151).key == "bad"
    assert band_for(300).key == "very_bad" and band_for(301).key == "hazardous" and band_for(800).key == "hazardous"


def test_hourly_tracker_averages_readings_per_hour():
    tracker = HourlyAqiTracker()
    hour = 3600.0 * 490_000  # an arbitrary whole hour (epoch seconds)
    for back in range(12):  # 12 hours of PM2.5 at 30 µg/m³, two readings an hour
        tracker.add("pm25", hour - back * 3600 + 60, 20.0)
        tracker.add("pm25", hour - back * 3600 + 120, 40.0)
    tracker.add("no2", hour + 60, 118.7)
    means = tracker.hourly_means(hour + 600)
    assert means["pm25"] == [30.0] * 12
    # PM2.5 NowCast 30 -> 50 + 50/25 × 5 = 60; NO2 59.35 -> 59
    result = tracker.aqi(hour + 600)
    assert result.sub_indices == {"pm25": 60, "no2": 59}
    assert result.value == 60 and result.dominant == "pm25"


def test_half_way_sub_indices_round_up_on_every_breakpoint_segment():
    """Every concentration whose exact sub-index is k + 0.5, on every segment of every table:
    the float formula may land a hair below, the index must still be k + 1 (half-up)."""
    from fractions import Fraction

    from controlroom.sensors.vn_aqi import BREAKPOINTS, INDEX_LEVELS, round_half_up, sub_index

    checked = 0
    for table, points in BREAKPOINTS.items():
        for i in range(len(points) - 1):
            low, high, i_low, i_high = points[i], points[i + 1], INDEX_LEVELS[i], INDEX_LEVELS[i + 1]
            for k in range(i_low, i_high):
                exact = Fraction(low) + (Fraction(k) + Fraction(1, 2) - i_low) * Fraction(high - low, i_high - i_low)
                assert round_half_up(sub_index(table, float(exact))) == k + 1, (table, float(exact))
                checked += 1
    assert checked == sum(INDEX_LEVELS[len(p) - 1] for p in BREAKPOINTS.values())


def test_rounding_keeps_values_clearly_below_a_half():
    from controlroom.sensors.vn_aqi import round_half_up

    assert [round_half_up(v) for v in (59.35, 109.5, 109.4999, 0.4999994, 250.0)] == [59, 110, 109, 0, 250]
