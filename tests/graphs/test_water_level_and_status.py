"""Water-level trend, alarm level reached, rain sums, stale detection and CSV export (no Qt)."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from controlroom.config import AlarmLevelsConfig, ThresholdConfig
from controlroom.sensors.status import Freshness, Limit, limit_state, series_status, trend_arrow
from controlroom.reports.series_csv import ExportSeries, write_csv
from controlroom.sensors.water_level import (
    RecentWindow,
    alarm_bands,
    distance_to_next_level,
    exceeded_level,
    rain_sum,
    trend_cm_per_h,
)

PHU_OC = AlarmLevelsConfig(level_1=1.5, level_2=3.0, level_3=4.5, source="QĐ 05/2020/QĐ-TTg")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(("level", "expected"), [(0.8, 0), (1.49, 0), (1.5, 1), (2.99, 1), (3.0, 2), (3.4, 2), (4.5, 3), (5.28, 3)])
def test_exceeded_level_counts_reaching_a_level(level, expected):
    assert exceeded_level(level, PHU_OC) == expected


def test_distance_to_next_level_and_none_above_level_three():
    number, metres = distance_to_next_level(3.79, PHU_OC)  # Huế bulletin 1/11/2025: "dưới BĐ 3 là 0,71m"
    assert number == 3 and metres == pytest.approx(0.71)
    assert distance_to_next_level(5.0, PHU_OC) is None


def test_alarm_bands_cover_levels_one_to_three():
    bands = alarm_bands(PHU_OC)
    assert [(b.level, b.low, b.high) for b in bands] == [(1, 1.5, 3.0), (2, 3.0, 4.5), (3, 4.5, 6.0)]


def test_trend_is_the_slope_over_the_last_half_hour_in_cm_per_hour():
    ts = np.arange(0, 7200 + 1, 60.0)
    level = np.where(ts < 3600, 2.0, 2.0 + (ts - 3600) * (0.25 / 3600))  # flat, then +25 cm/h
    assert trend_cm_per_h(ts.tolist(), level.tolist()) == pytest.approx(25.0)
    assert trend_cm_per_h([0.0, 60.0], [1.0, 1.1]) is None  # too little data for a trend


def test_a_sudden_rise_shows_within_its_first_five_minutes_of_data():
    """A river rising 0.8 m -> 4.2 m in six minutes (the issue's replay): readings every
    minute. Three minutes of data are not yet a trend; the fifth reading (4 minutes) is."""
    start = 1_700_000_000.0
    ts = [start + 60.0 * k for k in range(7)]
    level = [0.8 + 0.57 * k for k in range(7)]
    assert trend_cm_per_h(ts[:4], level[:4]) is None
    assert trend_cm_per_h(ts[:5], level[:5]) == pytest.approx(0.57 * 100 * 60)
    # the data's own time base: readings stamped ahead of this PC's clock still make a trend
    assert trend_cm_per_h(ts[:5], level[:5]) == trend_cm_per_h([t + 1200 for t in ts[:5]], level[:5])


def test_rain_sums_over_one_hour_and_24_hours():
    now = 100_000.0
    ts = [now - 90_000, now - 80_000, now - 3000, now - 60, now]
    mm = [5.0, 2.0, 1.5, 0.5, 0.2]
    assert rain_sum(ts, mm, now, 3600) == pytest.approx(2.2)
    assert rain_sum(ts, mm, now, 86400) == pytest.approx(4.2)


def test_recent_window_drops_old_points_and_keeps_order():
    window = RecentWindow(span_s=600)
    for t in (0, 100, 300, 200, 700):  # 200 arrives late
        window.add(float(t), float(t))
    assert window.arrays()[0] == [100.0, 200.0, 300.0, 700.0]


def test_series_goes_stale_after_three_intervals_without_data():
    now = datetime(2026, 11, 20, 7, 0, tzinfo=timezone.utc)
    assert series_status(now - timedelta(seconds=170), now, 180).freshness is Freshness.LIVE
    stale = series_status(now - timedelta(seconds=181), now, 180)
    assert stale.freshness is Freshness.STALE and stale.is_stale
    assert stale.last_local_hhmm(TZ) == "13:56 20/11"  # 06:56:59 UTC is 13:56 in Vietnam; not today: with date
    assert series_status(None, now, 180).freshness is Freshness.NO_DATA
    assert series_status(now, now, 180, device_online=False).freshness is Freshness.OFFLINE


def test_limits_and_trend_arrows():
    do_limits = ThresholdConfig(low=5.0, low_low=4.0, source="QCVN 08:2023/BTNMT Bảng 2 mức B")
    assert limit_state(6.0, do_limits) is Limit.OK
    assert limit_state(4.5, do_limits) is Limit.LOW
    assert limit_state(3.9, do_limits) is Limit.LOW_LOW
    assert limit_state(0.31, ThresholdConfig(high=0.3)) is Limit.HIGH
    assert trend_arrow(0.5, 0.1) == "↑" and trend_arrow(-0.5, 0.1) == "↓" and trend_arrow(0.05, 0.1) == "→"
    assert trend_arrow(None, 0.1) == ""  # no trend known: no arrow, not "steady"


def test_csv_export_has_bom_vietnamese_text_local_time_and_only_the_range(tmp_path):
    start = datetime(2026, 11, 20, 0, 0, tzinfo=timezone.utc).timestamp()
    ts = start + np.arange(0, 600, 60.0)
    series = ExportSeries("Sông Bồ tại Phú Ốc", "Mực nước", "m", ts, 1.5 + ts * 0, ts * 0 + 1.4, ts * 0 + 1.7)
    path = tmp_path / "mực_nước.csv"
    rows = write_csv(path, [series], TZ, start + 120, start + 300)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM so Excel reads Vietnamese
    with path.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert rows == 4 and len(table) == 5
    assert table[0][0] == "Trạm đo"  # Vietnamese header (default language)
    assert table[1][:3] == ["Sông Bồ tại Phú Ốc", "Mực nước", "m"]
    assert table[1][3] == "2026-11-20 07:02:00"  # local time, UTC+7
    assert table[1][4] == "2026-11-20T00:02:00Z"
    assert [float(x) for x in table[1][5:8]] == [1.5, 1.4, 1.7]
    assert not (tmp_path / "mực_nước.csv.part").exists()
