"""The map's model: markers for everything configured, state -> style, no chatter."""

from __future__ import annotations

from datetime import datetime, timezone

from controlroom.alerts.model import Alert, Priority
from controlroom.bus import EventBus
from controlroom.domain import CitizenReport, DeviceStatus, Reading, SpeakerStatus
from controlroom.live_state import LiveState
from controlroom.map.model import MAX_REPORTS, MapModel, aqi_band, pm_sub_index

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)


class _Map:
    """A MapModel on a real bus and live state, as the console runs it."""

    def __init__(self, config) -> None:
        self.bus = EventBus()
        self.model = MapModel(config, LiveState(self.bus))

    def reading(self, reading: Reading) -> list:
        self.bus.publish(reading)
        return self.model.apply_changed({reading.address: reading})

    def __getattr__(self, name):
        return getattr(self.model, name)


def alert(alert_id: str, source: str, priority: Priority = Priority.HIGH, *, active: bool = True, acked: bool = False,
          kind: str = "threshold", detail: dict | None = None) -> Alert:
    return Alert(alert_id, source, "high", kind, priority, None, active, acked, NOW, NOW, detail=detail or {})


def test_every_configured_camera_sensor_and_speaker_has_a_marker(demo_config):
    model = _Map(demo_config)
    ids = {m["id"] for m in model.markers()}
    expected = (
        {f"camera/{c.id}" for c in demo_config.cameras}
        | {f"sensor/{s.id}" for s in demo_config.sensors}
        | {f"speaker/{s.id}" for s in demo_config.speakers}
    )
    assert ids == expected
    assert all(m["state"] == "unknown" for m in model.markers())


def test_village_outlines_are_closed_polygons_with_names(demo_config):
    features = _Map(demo_config).villages_geojson()["features"]
    assert [f["properties"]["name"] for f in features] == [v.name for v in demo_config.villages]
    for feature in features:
        ring = feature["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1]


def test_camera_going_offline_changes_its_marker_once(demo_config):
    model = _Map(demo_config)
    changed = model.apply_device_status(DeviceStatus("cam01", False, NOW))
    assert [(m["id"], m["state"]) for m in changed] == [("camera/cam01", "offline")]
    assert model.apply_device_status(DeviceStatus("cam01", False, NOW)) == []
    assert model.apply_device_status(DeviceStatus("cam01", True, NOW))[0]["state"] == "live"


def test_water_level_colours_follow_alarm_levels(demo_config):
    model = _Map(demo_config)
    states = []
    for level in (0.8, 1.6, 3.1, 4.6):
        changed = model.reading(Reading("wl_phu_oc", "level", NOW, level))
        states.append(changed[0]["state"])
    assert states == ["normal", "alarm_1", "alarm_2", "alarm_3"]


def test_air_quality_takes_the_worst_pm_band():
    assert pm_sub_index("pm25", 25) == 50
    assert aqi_band(pm_sub_index("pm25", 60))[0] == "aqi_poor"
    assert aqi_band(pm_sub_index("pm10", 600))[0] == "aqi_hazardous"
    assert pm_sub_index("o3", 10) is None


def test_sensor_offline_overrides_its_reading_colour(demo_config):
    model = _Map(demo_config)
    model.reading(Reading("aq_office", "pm25", NOW, 10.0))
    changed = model.apply_device_status(DeviceStatus("aq_office", False, NOW))
    assert changed[0]["state"] == "offline"


def test_speaker_states_and_tooltips_are_vietnamese(demo_config):
    model = _Map(demo_config)
    speaker = demo_config.speakers[0]
    marker = model.apply_speaker_status(SpeakerStatus(speaker.id, "playing", 70, "job1", NOW))
    assert marker["state"] == "playing"
    assert marker["tip"][1] == "đang phát tin"
    assert model.apply_speaker_status(SpeakerStatus(speaker.id, "playing", 70, "job1", NOW)) is None
    assert model.apply_speaker_status(SpeakerStatus(speaker.id, "fault", 70, None, NOW))["state"] == "fault"


def test_alert_is_placed_at_its_sensor_and_removed_when_cleared(demo_config):
    model = _Map(demo_config)
    sensor = demo_config.sensor("wl_phu_oc")
    raised = alert("a1", "sensor/wl_phu_oc/level", Priority.CRITICAL)
    marker, removed = model.apply_alert(raised)
    assert (marker["lat"], marker["lon"], marker["pulse"], removed) == (sensor.lat, sensor.lon, 3, None)
    marker, removed = model.apply_alert(raised, removed=True)
    assert (marker, removed) == (None, "alert/a1")


def test_alert_without_a_known_place_is_not_drawn(demo_config):
    marker, removed = _Map(demo_config).apply_alert(alert("a2", "manual/abc"))
    assert (marker, removed) == (None, None)


def test_citizen_reports_are_capped(demo_config):
    model = _Map(demo_config)
    dropped = []
    for i in range(MAX_REPORTS + 3):
        _, gone = model.apply_report(CitizenReport(f"r{i}", NOW, "ngập", "Nước lên", 16.53, 107.52, None, None))
        dropped.append(gone)
    assert [d for d in dropped if d] == ["report/r0", "report/r1", "report/r2"]
    no_place, _ = model.apply_report(CitizenReport("rx", NOW, "khác", "?", None, None, None, None))
    assert no_place is None


def test_alert_is_placed_by_its_source_and_leaves_when_normal(demo_config):
    model = _Map(demo_config)
    raised = alert("x1", "sensor/wl_la_van/level", Priority.HIGH, detail={"name": "Sông Bồ"})
    marker, _ = model.apply_alert(raised)
    sensor = demo_config.sensor("wl_la_van")
    assert (marker["lat"], marker["lon"], marker["pulse"]) == (sensor.lat, sensor.lon, 2)
    assert marker["tip"][0].startswith("Cảnh báo: ")
    back_and_acked = alert("x1", "sensor/wl_la_van/level", Priority.HIGH, active=False, acked=True)
    marker, removed = model.apply_alert(back_and_acked)
    assert (marker, removed) == (None, "alert/x1")


def test_a_village_without_outline_is_a_named_point(demo_config):
    from controlroom.config import Config

    raw = demo_config.model_dump(mode="json")
    raw["villages"][0]["outline"] = []
    features = _Map(Config.model_validate(raw)).villages_geojson()["features"]
    assert features[0]["geometry"] == {"type": "Point", "coordinates": [demo_config.villages[0].lon, demo_config.villages[0].lat]}
    assert features[0]["properties"]["name"] == demo_config.villages[0].name
