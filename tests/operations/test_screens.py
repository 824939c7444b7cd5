"""One window per screen: panels placed per screen survive a restart, an unplugged screen's
window moves with its panels intact, the shortcut logic sends a panel to the next screen,
and Qt's offscreen platform with virtual screens gets one window each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from controlroom.ui.screens.manager import LAYOUT_FILE, LayoutStore, ScreenInfo, ScreenManager, plan_panels, refuge_for

DESK = ScreenInfo("DELL/U2422H/ABC@DP-1", 0, 0, 1920, 1080, 527, 296, primary=True)
WALL = ScreenInfo("LG/65UR/XYZ@HDMI-1", 1920, 0, 3840, 2160, 1428, 803)
SIDE = ScreenInfo("DELL/U2422H/DEF@DP-2", -1920, 0, 1920, 1080, 527, 296)


def test_plan_puts_remembered_panels_on_their_screen_and_the_rest_on_the_primary(tmp_path):
    store = LayoutStore(tmp_path / LAYOUT_FILE)
    store.layouts = {WALL.key: __import__("controlroom.ui.screens.manager", fromlist=["ScreenLayout"]).ScreenLayout(["camera_wall", "gone"])}
    plan = plan_panels([DESK, WALL], ["camera_wall", "map", "alerts"], store)
    assert plan == {DESK.key: ["map", "alerts"], WALL.key: ["camera_wall"]}
    assert plan_panels([DESK], ["camera_wall", "map"], store) == {DESK.key: ["camera_wall", "map"]}


def test_refuge_prefers_the_primary_screen():
    assert refuge_for(WALL.key, [DESK, WALL, SIDE]) == DESK
    assert refuge_for(DESK.key, [DESK, WALL]) == WALL
    assert refuge_for(DESK.key, [DESK]) is None


def test_layouts_per_screen_persist_across_restart(qtbot, make_window, data_dir):
    first = make_window()
    manager = ScreenManager(first, LayoutStore(data_dir / LAYOUT_FILE))
    manager.start([DESK, WALL, SIDE])
    assert set(manager.windows) == {DESK.key, WALL.key, SIDE.key}
    assert manager.move_panel("camera_wall", WALL.key)
    assert manager.move_panel("graphs", WALL.key)
    assert manager.move_panel("map", SIDE.key)
    assert sorted(manager.panels_on(WALL.key)) == ["camera_wall", "graphs"]
    manager.close()  # quit: saved, written by the writer thread, flushed

    saved = json.loads((data_dir / LAYOUT_FILE).read_text(encoding="utf-8"))
    assert sorted(saved["screens"][WALL.key]["panels"]) == ["camera_wall", "graphs"]

    second = make_window()  # restart: new widgets, same settings
    again = ScreenManager(second, LayoutStore(data_dir / LAYOUT_FILE))
    again.start([SIDE, DESK, WALL])  # the OS may list screens in another order
    assert sorted(again.panels_on(WALL.key)) == ["camera_wall", "graphs"]
    assert again.panels_on(SIDE.key) == ["map"]
    assert sorted(again.panels_on(DESK.key)) == ["alerts", "broadcast"]
    again.close()


def test_an_unplugged_screen_moves_its_window_and_panels_without_rebuilding_them(qtbot, make_window, data_dir):
    window = make_window()
    manager = ScreenManager(window, LayoutStore(data_dir / LAYOUT_FILE))
    manager.start([DESK, WALL])
    manager.move_panel("camera_wall", WALL.key)
    wall_window = manager.windows[WALL.key]
    panel = window.panel_widgets["camera_wall"]

    manager.screen_removed(WALL.key)
    assert manager.hosted_on[WALL.key] == DESK.key
    assert wall_window.geometry().topLeft() == DESK.rect.topLeft()
    assert manager.windows[WALL.key] is wall_window and manager.panels_on(WALL.key) == ["camera_wall"]
    assert window.panel_widgets["camera_wall"] is panel and panel.readers_started == 1

    manager.screen_added(WALL)  # plugged back: the window goes home
    assert manager.hosted_on[WALL.key] == WALL.key
    assert wall_window.geometry() == WALL.rect
    manager.close()


def test_send_to_next_screen_cycles_through_the_screens(qtbot, make_window, data_dir):
    window = make_window()
    manager = ScreenManager(window, LayoutStore(data_dir / LAYOUT_FILE))
    manager.start([DESK, WALL, SIDE])
    assert manager.send_panel_to_next("graphs") == WALL.key
    assert manager.send_panel_to_next("graphs") == SIDE.key
    assert manager.send_panel_to_next("graphs") == DESK.key
    assert manager.send_panel_to_next("graphs", step=-1) == SIDE.key
    manager.close()


def test_a_corrupt_layout_file_is_ignored(qtbot, make_window, data_dir):
    (data_dir / LAYOUT_FILE).write_text("{not json", encoding="utf-8")
    window = make_window()
    manager = ScreenManager(window, LayoutStore(data_dir / LAYOUT_FILE))
    manager.start([DESK, WALL])
    assert len(manager.panels_on(DESK.key)) == 5
    manager.close()


def test_offscreen_virtual_screens_get_one_window_each(tmp_path):
    """Qt's offscreen platform takes virtual screens from a JSON file (configfile=)."""
    screens = {"screens": [
        {"name": "desk", "x": 0, "y": 0, "width": 1920, "height": 1080, "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1},
        {"name": "wall", "x": 1920, "y": 0, "width": 3840, "height": 2160, "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1},
    ]}
    config = tmp_path / "screens.json"
    config.write_text(json.dumps(screens), encoding="utf-8")
    script = textwrap.dedent("""
        from PyQt6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow
        from controlroom.ui.screens.manager import LayoutStore, ScreenManager, qt_screens
        import pathlib, sys
        app = QApplication([])
        main = QMainWindow()
        main.docks = {}
        for name in ("camera_wall", "map"):
            dock = QDockWidget(name, main); dock.setObjectName("dock_" + name); dock.setWidget(QLabel(name))
            main.docks[name] = dock
        store = LayoutStore(pathlib.Path(sys.argv[1]) / "layouts.json")
        manager = ScreenManager(main, store)
        found = qt_screens()
        manager.start(found)
        manager.move_panel("camera_wall", found[1].key)
        print(len(found), len(manager.windows), manager.panels_on(found[1].key),
              manager.windows[found[1].key].geometry().width())
        manager.close()
    """)
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == "2 2 ['camera_wall'] 3840"


def test_the_focused_panel_is_the_one_the_shortcut_sends(qtbot, make_window, data_dir):
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    manager = ScreenManager(window, LayoutStore(data_dir / LAYOUT_FILE))
    manager.start([DESK, WALL])
    manager.install_shortcuts(window)
    graphs = window.panel_widgets["graphs"]
    window.activateWindow()
    graphs.sensor_box.setFocus()
    qtbot.waitUntil(lambda: manager.focused_panel() == "graphs", timeout=5000)
    assert manager.send_panel_to_next(manager.focused_panel()) == WALL.key
    assert "graphs" in manager.panels_on(WALL.key)
    manager.close()


def test_closing_the_main_window_hides_the_other_screens_so_the_app_quits(qtbot, make_window, data_dir):
    window = make_window()
    window.show()
    manager = ScreenManager(window, LayoutStore(data_dir / LAYOUT_FILE))
    manager.start([DESK, WALL])
    wall_window = manager.windows[WALL.key]
    wall_window.show()
    qtbot.waitExposed(wall_window)
    window.close()  # File > Quit, or the window's own close button
    assert not window.isVisible() and not wall_window.isVisible()
