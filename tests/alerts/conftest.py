"""Fixtures of the alert tests: a small site config with threshold rules, and consoles."""

from __future__ import annotations

import pytest

from controlroom.config import parse_config

SITE = """
[site]
id = "testsite"
name = "Test"
map_center = [16.5, 107.5]

[[villages]]
id = "v1"
name = "Thôn Một"
lat = 16.50
lon = 107.50

[[villages]]
id = "v2"
name = "Thôn Hai"
lat = 16.60
lon = 107.60

[[camera_groups]]
id = "g"
name = "G"

[[cameras]]
id = "cam1"
name = "Cầu thôn Một"
village = "v1"
group = "g"
main_url = "rtsp://127.0.0.1:1/a"
sub_url = "rtsp://127.0.0.1:1/b"
lat = 16.5
lon = 107.5

[[sensors]]
id = "wl1"
name = "Trạm mực nước 1"
kind = "water_level"
village = "v1"
lat = 16.5
lon = 107.5
interval_s = 60

[sensors.alarm_levels]
level_1 = 1.5
level_2 = 3.0
level_3 = 4.5
source = "test values"

[sensors.metrics.level]
unit = "m"
valid_min = -5
valid_max = 20

[[sensors]]
id = "pond"
name = "Ao 1"
kind = "water_quality"
village = "v2"
lat = 16.6
lon = 107.6
interval_s = 60

[sensors.metrics.do]
unit = "mg/L"
valid_min = 0
valid_max = 25

[sensors.metrics.do.thresholds]
low = 4.0
low_low = 3.0
deadband = 0.3

[sensors.metrics.ph]
unit = "pH"
valid_min = 0
valid_max = 14

[[sensors]]
id = "aq1"
name = "Trạm không khí"
kind = "air_quality"
village = "v1"
lat = 16.5
lon = 107.5
interval_s = 60

[sensors.metrics.pm25]
unit = "µg/m³"
valid_min = 0
valid_max = 2000

[alerts]
flood_count = 10
flood_window_s = 600
keep_normal_s = 3600

[[alerts.rules]]
id = "ph"
kind = "threshold"
sensors = ["pond"]
metric = "ph"
high = 8.5
deadband = 0.2
priority = "high"

[[alerts.rules]]
id = "rise"
kind = "rate_of_rise"
sensors = ["wl1"]
metric = "level"
per_hour = 0.3
window_s = 1800

[[alerts.rules]]
id = "devices"
kind = "device_offline"
on_delay_s = 0
"""


@pytest.fixture
def site_text() -> str:
    return SITE


@pytest.fixture
def site_config():
    return parse_config(SITE, "test.toml")
