"""The demo commune loads, and broken configs say what is wrong, where."""

from __future__ import annotations

from collections import Counter

import pytest

from controlroom.config import ConfigError, load_config, parse_config

MINIMAL = """
[site]
id = "demo"
name = "Xã thử"
map_center = [16.5, 107.5]

[[villages]]
id = "a"
name = "Thôn A"
lat = 16.5
lon = 107.5
"""


def test_demo_commune_has_its_villages_cameras_and_stations(demo_config):
    assert len(demo_config.villages) == 8
    assert Counter(c.group for c in demo_config.cameras) == {"gate": 3, "flood": 21, "residential": 11, "office": 6}
    kinds = Counter(s.kind for s in demo_config.sensors)
    assert kinds["air_quality"] == 1 and kinds["water_level"] >= 1 and kinds["water_quality"] >= 1 and kinds["rain"] >= 1
    assert {s.village for s in demo_config.speakers} == {v.id for v in demo_config.villages}
    for station in (s for s in demo_config.sensors if s.kind == "water_level"):
        assert station.alarm_levels.level_1 < station.alarm_levels.level_2 < station.alarm_levels.level_3
        assert "05/2020/QĐ-TTg" in station.alarm_levels.source


def test_minimal_config_is_valid_and_defaults_prefix_to_site_id():
    config = parse_config(MINIMAL)
    assert config.topic_prefix == "demo"
    assert config.site.timezone == "Asia/Ho_Chi_Minh"


def test_each_problem_gets_one_message_naming_file_and_key():
    broken = MINIMAL.replace('id = "demo"', 'id = "Bad Id"') + """
[[cameras]]
id = "c1"
name = "Cổng"
village = "nowhere"
group = "gate"
main_url = "rtsp://x/1"
sub_url = "rtsp://x/2"
lat = 16.5
lon = 200
"""
    with pytest.raises(ConfigError) as caught:
        parse_config(broken, "site.toml")
    messages = caught.value.messages
    assert any(m.startswith("site.toml: site.id:") for m in messages)
    assert any(m.startswith("site.toml: cameras[0].lon:") for m in messages)
    assert all(m.startswith("site.toml: ") for m in messages)
    assert len(messages) == len(set(messages)) >= 2


def test_cross_references_are_checked_after_fields_are_valid():
    broken = MINIMAL + """
[[speakers]]
id = "s1"
name = "Loa"
village = "nowhere"
lat = 16.5
lon = 107.5
"""
    with pytest.raises(ConfigError) as caught:
        parse_config(broken, "site.toml")
    assert caught.value.messages == [caught.value.messages[0]]
    assert "speakers[0].village" in caught.value.messages[0]


def test_invalid_toml_and_missing_file_are_reported_not_raised(tmp_path):
    with pytest.raises(ConfigError) as caught:
        parse_config("[site\nname=", "bad.toml")
    assert caught.value.messages[0].startswith("bad.toml: ")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "absent.toml")
    assert "absent.toml" in caught.value.messages[0]


def test_water_level_station_without_alarm_levels_is_refused():
    broken = MINIMAL + """
[[sensors]]
id = "wl"
name = "Trạm"
kind = "water_level"
lat = 16.5
lon = 107.5
[sensors.metrics.level]
unit = "m"
"""
    with pytest.raises(ConfigError) as caught:
        parse_config(broken, "site.toml")
    assert "sensors[0].alarm_levels" in caught.value.messages[0]


def test_a_metric_without_a_label_takes_its_usual_name_not_its_id():
    from controlroom.config import load_config
    from pathlib import Path

    config = load_config(Path(__file__).with_name("sites") / "lagoon_commune.toml")
    pond = config.sensor("ao_tom_go_trung")
    assert pond.metrics["do"].label == "Oxy hòa tan (DO)" and pond.metrics["salinity"].label == "Độ mặn"
    assert config.sensor("dam_cau_hai").metrics["level"].label == "Mực nước"


def test_a_metrics_usual_name_follows_the_ui_language_and_the_communes_own_wording_stays():
    """In English a usual name the file gives in Vietnamese (or leaves to its default) reads in
    English; a label in the commune's own words is shown as written (second commune)."""
    from pathlib import Path

    from controlroom import i18n
    from controlroom.config import MetricConfig, load_config, metric_label

    config = load_config(Path(__file__).with_name("sites") / "lagoon_commune.toml")
    pond = config.sensor("ao_tom_go_trung")
    own_words = MetricConfig(unit="mg/L", label="Amoni (NH₄⁺ tính theo N)")
    try:
        assert metric_label("do", pond.metrics["do"]) == "Oxy hòa tan (DO)"
        i18n.set_language("en")
        assert metric_label("do", pond.metrics["do"]) == "Dissolved oxygen (DO)"
        assert metric_label("salinity", pond.metrics["salinity"]) == "Salinity"
        assert metric_label("level", MetricConfig(unit="m", label="Mực nước")) == "Water level"
        assert metric_label("temperature", MetricConfig(unit="°C", label="Nhiệt độ nước")) == "Water temperature"
        assert metric_label("nh4", own_words) == "Amoni (NH₄⁺ tính theo N)"
        assert metric_label("flow_rate", MetricConfig(unit="m³/s")) == "flow_rate"  # no usual name: its id
    finally:
        i18n.set_language(i18n.DEFAULT_LANGUAGE)


def test_a_place_far_from_the_commune_is_named_once_each(tmp_path):
    """A slipped digit in one sensor's longitude and in one camera's latitude (a swapped pair is
    already out of range in Vietnam): each is named with its distance (second commune)."""
    from pathlib import Path

    source = Path(__file__).with_name("sites") / "lagoon_commune.toml"
    text = source.read_text(encoding="utf-8")
    config = load_config(source)
    sensor, camera = config.sensors[0], config.cameras[0]
    sensor_block = text.index(f'id = "{sensor.id}"')
    swapped = text[:sensor_block] + text[sensor_block:].replace(f"lon = {sensor.lon}", f"lon = {sensor.lon - 1}", 1)
    camera_block = swapped.index(f'id = "{camera.id}"')
    slipped = swapped[:camera_block] + swapped[camera_block:].replace(f"lat = {camera.lat}", f"lat = {camera.lat + 1}", 1)
    broken = tmp_path / "lagoon_commune.toml"
    broken.write_text(slipped, encoding="utf-8")
    (tmp_path / "lagoon-layers").symlink_to(source.with_name("lagoon-layers"))
    with pytest.raises(ConfigError) as caught:
        load_config(broken)
    far = [m for m in caught.value.messages if "site.map_center" in m]
    assert len(far) == 2 and len(caught.value.messages) == 2
    assert "sensors[0]" in far[0] or "sensors[0]" in far[1]
    assert any("cameras[0]" in m and " 1" in m for m in far)  # about 111 km for one degree of latitude
