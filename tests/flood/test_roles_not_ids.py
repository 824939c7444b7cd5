"""Roles, not ids: a second commune whose zone, group and village ids share nothing with the
demo's gets F8, flood mode's cameras, the default wall and the map's risk colours right from
what its configuration declares; a missing or misspelt warning zone gets a clear message."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from PyQt6.QtCore import Qt

from controlroom.access.operators import Operator, Role
from controlroom.cameras.views import default_view
from controlroom.config import ConfigError, load_config
from controlroom.domain import Reading
from controlroom.flood.bulletins import NoWarningZone
from controlroom.flood.risk import StationRisk, village_levels
from controlroom.ui.flood.duty_panel import create_flood_duty_panel
from controlroom.ui.flood.flood_mode import flood_cameras
from controlroom.ui.shell.bridge import CoreBridge
from controlroom.ui.shell.context import AppContext

from ..conftest import SITES

OFFICER = Operator("truc_ban_vh", "Trực ban VH", Role.DUTY_OFFICER)


def _with(config_text: str, tmp_path, old: str, new: str):
    path = tmp_path / "commune.toml"
    assert old in config_text
    path.write_text(config_text.replace(old, new), encoding="utf-8")
    return load_config(path)


def test_cameras_follow_their_groups_roles(second_config):
    flood_points = {g.id for g in second_config.camera_groups if g.role == "flood_points"}
    entrances = {g.id for g in second_config.camera_groups if g.role == "entrances"}
    expected = [c.id for c in second_config.cameras if c.group in flood_points]
    assert expected and flood_cameras(second_config) == expected
    group_of = {c.id: c.group for c in second_config.cameras}
    roles = {g.id: g.role for g in second_config.camera_groups}
    rank = [{"entrances": 0, "flood_points": 1}.get(roles[group_of[c]], 2)
            for c in default_view(second_config).cells if c]
    assert rank[0] == 0 and rank == sorted(rank)  # the default wall: entrances, then flood points, then the rest
    assert entrances

def test_the_whole_commune_zone_does_not_paint_high_ground_at_the_rivers_level(second_config):
    gauge = next(s for s in second_config.sensors if s.kind == "water_level")
    levels = village_levels(second_config, {gauge.id: StationRisk(gauge.id, 3, "measured", 2.5, 2.5, None)})
    warned = next(z for z in second_config.zones if z.id == second_config.flood.bulletin_zone)
    high_ground = [v.id for v in second_config.villages if not v.low_lying and v.id not in warned.villages]
    assert high_ground, "the second commune needs a village on high ground"
    assert all(levels[v] == 3 for v in warned.villages)
    assert all(levels[v] == 0 for v in high_ground)


def test_a_misspelt_warning_zone_is_named_at_load(tmp_path):
    text = (SITES / "lagoon_commune.toml").read_text(encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        _with(text, tmp_path, 'bulletin_zone = "ven_dam"', 'bulletin_zone = "vendam"')
    assert any("flood.bulletin_zone" in m and "vendam" in m for m in error.value.messages)


def test_no_warning_zone_says_what_to_set(tmp_path, make_core):
    text = (SITES / "lagoon_commune.toml").read_text(encoding="utf-8")
    config = _with(text, tmp_path, 'bulletin_zone = "ven_dam"', "")
    core = make_core(config)
    with pytest.raises(NoWarningZone, match="bulletin_zone"):
        core.flood.bulletins.compose()


@pytest.fixture
def panel(second_config, mqtt_broker, make_core, qtbot):
    core = make_core(second_config, broker=mqtt_broker)
    bridge = CoreBridge(core.bus, core.live)
    context = AppContext(config=second_config, core=core, bridge=bridge)
    context.session.sign_in(OFFICER)
    widget = create_flood_duty_panel(context, None)
    qtbot.addWidget(widget)
    widget.resize(1200, 900)
    widget.show()
    yield widget, core
    context.shutdown()
    bridge.close()


def test_f8_warns_the_second_communes_own_zone(panel, second_config, qtbot):
    widget, core = panel
    gauge = next(s for s in second_config.sensors if s.kind == "water_level")
    core.bus.publish(Reading(gauge.id, "level", datetime.now(timezone.utc), gauge.alarm_levels.level_3 + 0.2))
    qtbot.waitUntil(lambda: widget.banner.level == 3, timeout=10_000)
    qtbot.keyClick(widget, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: widget.compose_dialog is not None and widget.compose_dialog.isVisible(), timeout=10_000)
    draft = widget.compose_dialog.result_draft()
    zone = next(z for z in second_config.zones if z.id == second_config.flood.bulletin_zone)
    assert draft.zone == zone.id and draft.villages == zone.villages
    assert set(draft.speakers) == {s.id for s in second_config.speakers if s.village in zone.villages}
    names = [v.name for v in second_config.villages if v.id in zone.villages]
    assert all(name in widget.compose_dialog.text.toPlainText() for name in names)


def test_at_the_same_level_the_official_station_speaks_for_the_zone(second_config):
    from controlroom.flood.risk import zone_risk

    zone = second_config.flood.bulletin_zone
    official = StationRisk("tram_chinh_thuc", 0, "measured", 0.80, 0.80, None, official=True)
    local = StationRisk("thuoc_cua_xa", 0, "measured", 0.81, 0.81, None, official=False)
    assert zone_risk(second_config, zone, {s.sensor_id: s for s in (local, official)}) is official
    higher = StationRisk("thuoc_cua_xa", 1, "measured", 1.6, 1.6, None, official=False)
    assert zone_risk(second_config, zone, {s.sensor_id: s for s in (higher, official)}) is higher  # a higher level still leads
