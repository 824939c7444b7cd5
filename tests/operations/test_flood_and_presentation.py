"""Flood mode puts every screen on the flood picture and leaving restores the layouts;
presentation mode hides the chrome, sizes type from the screen's millimetres, cycles
panels, and leaves the panels (and their streams) as they were."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtTest import QTest

from controlroom.ui.flood.flood_mode import (FloodMode, flood_cameras, flood_zone, low_lying_centre,
                                       low_lying_villages)
from controlroom.ui.screens.presentation import PresentationMode, presentation_font_px
from controlroom.ui.screens.manager import LAYOUT_FILE, LayoutStore, ScreenInfo, ScreenManager

DESK = ScreenInfo("desk", 0, 0, 1920, 1080, 527, 296, primary=True)
WALL = ScreenInfo("wall-65", 1920, 0, 3840, 2160, 1428, 803)


def test_flood_facts_come_from_the_config(demo_config):
    assert len(flood_cameras(demo_config)) == 21
    assert set(low_lying_villages(demo_config)) == {"la_van_ha", "la_van_thuong", "luong_co", "phuoc_yen"}
    assert flood_zone(demo_config) == "low_lying"
    lat, lon = low_lying_centre(demo_config)
    assert 16.4 < lat < 16.7 and 107.4 < lon < 107.7


def test_flood_mode_enters_on_every_screen_and_leaving_restores(qtbot, make_window, data_dir, demo_config):
    window = make_window()
    manager = ScreenManager(window, LayoutStore(data_dir / LAYOUT_FILE))
    manager.start([DESK, WALL])
    manager.move_panel("camera_wall", WALL.key)
    manager.move_panel("graphs", WALL.key)
    manager.windows[WALL.key].docks = None  # a ScreenWindow has no docks of its own
    window.docks["alerts"].hide()  # the operator closed the alert queue
    states = {key: w.saveState() for key, w in manager.windows.items()}
    panels = window.panel_widgets
    before_view = panels["camera_wall"].view

    flood = FloodMode(demo_config, lambda: list(manager.windows.values()), lambda: panels)
    with qtbot.waitSignal(flood.changed):
        flood.enter()
    assert flood.active
    assert panels["camera_wall"].view.cells == flood_cameras(demo_config)
    assert panels["graphs"].showing == "flood"
    assert panels["alerts"].kind_filter.currentData() == "alarm_level"
    assert panels["broadcast"]._preset_zone == "low_lying"
    lat, lon, zoom = panels["map"].view.focused[-1]
    assert (lat, lon) == low_lying_centre(demo_config) and zoom >= 15
    assert window.docks["alerts"].isVisibleTo(window)  # every flood panel shows, on its own screen
    assert manager.panels_on(WALL.key) == ["camera_wall", "graphs"] or sorted(manager.panels_on(WALL.key)) == ["camera_wall", "graphs"]

    flood.leave()
    assert not flood.active
    assert panels["camera_wall"].view == before_view
    assert panels["graphs"].sensor_box.currentData() == "aq_office"
    assert panels["alerts"].kind_filter.currentData() is None
    assert panels["broadcast"]._preset_zone is None
    assert not window.docks["alerts"].isVisibleTo(window)
    for key, w in manager.windows.items():
        assert bytes(w.saveState()) == bytes(states[key])
    manager.close()


def test_presentation_type_is_sized_in_millimetres_not_pixels():
    big = presentation_font_px(WALL)  # 65-inch 4K: ~2.7 px/mm
    desk = presentation_font_px(DESK)  # 24-inch 1080p: ~3.6 px/mm
    assert 45 <= big <= 65
    assert desk > big  # same millimetres on a denser screen need more pixels
    unknown = presentation_font_px(ScreenInfo("tv", 0, 0, 3840, 2160))  # no EDID size: taken as 65-inch
    assert unknown == big or abs(unknown - big) <= 1


def test_presentation_hides_chrome_cycles_and_restores(qtbot, make_window):
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    wall = window.panel_widgets["camera_wall"]
    arrangement = {p: (d.isVisible(), window.dockWidgetArea(d)) for p, d in window.docks.items()}
    mode = PresentationMode(window, WALL, window.docks, cycle=["camera_wall", "map"], dwell_s=5)
    shown = []
    mode.shown.connect(shown.append)
    mode.enter()
    assert not window.menuBar().isVisible() and not window.statusBar().isVisible()
    assert shown == ["camera_wall"] and window.docks["camera_wall"].isVisible()
    assert not window.docks["alerts"].isVisible()
    assert not wall.layout_box.isVisible()  # a panel's toolbar row is chrome
    assert "font-size: " in window.styleSheet()
    mode.advance()
    assert shown[-1] == "map" and window.docks["map"].isVisible() and not window.docks["camera_wall"].isVisible()
    # the map's column (a side area) takes the whole screen, not its column's width beside black
    qtbot.waitUntil(lambda: window.docks["map"].width() >= 0.9 * window.width())
    mode.leave()
    assert window.menuBar().isVisible() and window.statusBar().isVisible()
    assert wall.layout_box.isVisible()
    assert window.panel_widgets["camera_wall"] is wall and wall.readers_started == 1  # streams untouched
    assert {p: (d.isVisible(), window.dockWidgetArea(d)) for p, d in window.docks.items()} == arrangement
    assert window.styleSheet() == ""


def test_escape_leaves_presentation_as_a_keyboard_sends_it(qtbot, make_window):
    window = make_window()
    window.show()
    window.activateWindow()  # a window shortcut needs the active window
    qtbot.waitUntil(window.isActiveWindow, timeout=10_000)
    mode = PresentationMode(window, WALL, window.docks, cycle=["camera_wall"], dwell_s=5)
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_Escape)
    assert not mode.active  # Esc outside presentation starts nothing
    mode.enter()
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_Escape)  # to the window first, as from a keyboard
    assert not mode.active and window.menuBar().isVisible()


def test_flood_alerts_are_water_and_rain_rules_and_flood_point_cameras(demo_config):
    from types import SimpleNamespace as Alert

    from controlroom.ui.flood.flood_mode import is_flood_alert

    water = next(s for s in demo_config.sensors if s.kind == "water_level")
    air = next(s for s in demo_config.sensors if s.kind not in ("water_level", "rain"))
    flood_camera = flood_cameras(demo_config)[0]
    office_camera = next(c.id for c in demo_config.cameras if c.group != "flood")
    assert is_flood_alert(demo_config, Alert(kind="alarm_level", source=f"sensor/{water.id}/level"))
    assert not is_flood_alert(demo_config, Alert(kind="threshold", source=f"sensor/{air.id}/pm25"))
    assert is_flood_alert(demo_config, Alert(kind="camera_offline", source=f"camera/{flood_camera}"))
    assert not is_flood_alert(demo_config, Alert(kind="camera_offline", source=f"camera/{office_camera}"))
    assert not is_flood_alert(demo_config, Alert(kind="citizen_report", source="report/r1"))
    # a villager's flood report is a flood alert; a pothole is not
    assert is_flood_alert(demo_config, Alert(kind="citizen_report", source="report/r2", detail={"category": "flooding"}))
    assert not is_flood_alert(demo_config, Alert(kind="citizen_report", source="report/r3", detail={"category": "traffic"}))


def test_flood_mode_gives_the_flood_duty_panel_half_of_its_column(qtbot, make_window, demo_config):
    """At a 1920 x 1080 console's default split the duty panel's risk banner and stations left
    the bulletin table no row in flood mode; the alert queue above it keeps the rest."""
    from PyQt6.QtWidgets import QLabel

    from controlroom.ui.shell.panels import Panel

    window = make_window((Panel("flood_duty", "Flood duty", lambda c, p: QLabel("bulletins", p), "right"),))
    window.resize(1920, 1080)
    window.show()
    qtbot.waitExposed(window)
    duty, alerts = window.docks["flood_duty"], window.docks["alerts"]
    qtbot.waitUntil(lambda: duty.isVisible() and alerts.isVisible())
    flood = FloodMode(demo_config, lambda: [window], lambda: window.panel_widgets)
    flood.enter()
    qtbot.waitUntil(lambda: duty.height() >= 0.48 * (duty.height() + alerts.height()))
    flood.leave()
