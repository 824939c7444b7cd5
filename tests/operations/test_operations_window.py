"""The operations installed on a real main window: menu actions and the flood button, the
sign-in asked at start (and saying when no account exists yet), the theme switch that the
whole application follows."""

from __future__ import annotations

from PyQt6.QtGui import QPalette
from PyQt6.QtWidgets import QApplication, QToolButton

from controlroom.ui.shell.operations import install_operations
from controlroom.ui.screens.manager import ScreenInfo
from controlroom.ui.shell.themes import apply_named_theme, saved_theme

DESK = ScreenInfo("desk", 0, 0, 1920, 1080, 527, 296, primary=True)
WALL = ScreenInfo("wall", 1920, 0, 3840, 2160, 1428, 803)


def test_flood_button_and_key_toggle_flood_mode_and_sign_in_is_asked(qtbot, qapp, make_window, ops_context):
    window = make_window()
    operations = install_operations(qapp, window, ops_context, screens=[DESK, WALL])
    window.show()
    operations.start()
    dialog = operations._dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: "controlroom operators add" in dialog.message.text(), timeout=20_000)
    button = window.findChild(QToolButton, "floodButton")
    button.click()
    assert operations.flood.active and button.isChecked()
    assert window.panel_widgets["broadcast"]._preset_zone == "low_lying"
    operations.flood_action.trigger()
    assert not operations.flood.active and not button.isChecked()
    dialog.close()
    operations.close()


def test_theme_switch_reaches_the_whole_application(qapp, data_dir):
    apply_named_theme(qapp, "light")
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() > 200
    assert "#eef2f7" in qapp.styleSheet()
    assert saved_theme() == "light"
    apply_named_theme(qapp, "dark")
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 60
    assert saved_theme() == "dark"


def test_flood_mode_and_layout_changes_are_audited(qtbot, qapp, make_window, ops_context):
    from sqlalchemy import select

    from controlroom.storage.models import audit_log

    window = make_window()
    operations = install_operations(qapp, window, ops_context, screens=[DESK, WALL], sign_in=False)
    operations.flood.enter()
    operations.flood.leave()
    operations.manager.move_panel("camera_wall", WALL.key)
    operations.close()
    core = ops_context.core
    core.storage.flush()
    with core.engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(audit_log.c.action).order_by(audit_log.c.seq))]
    assert actions[:3] == ["flood_mode.enter", "flood_mode.leave", "config.screen_layout"]


def test_the_screens_menu_moves_a_panel(qtbot, qapp, make_window, ops_context):
    window = make_window()
    operations = install_operations(qapp, window, ops_context, screens=[DESK, WALL], sign_in=False)
    operations._fill_screens_menu()
    from controlroom.ui.shell.panels import PANELS, panel_title

    title = panel_title(next(p for p in PANELS if p.id == "camera_wall"))
    sub = next(a.menu() for a in operations.screens_menu.actions() if a.menu() is not None and a.text() == title)
    screen_two = sub.actions()[1]
    assert not screen_two.isChecked()
    screen_two.trigger()
    assert operations.manager.window_of("camera_wall") == WALL.key
    operations.close()


def test_presentation_views_are_chosen_and_remembered_per_screen(qtbot, qapp, make_window, ops_context, data_dir):
    from PyQt6.QtCore import Qt

    from controlroom.ui.screens.manager import LayoutStore

    window = make_window()
    operations = install_operations(qapp, window, ops_context, screens=[DESK, WALL], sign_in=False)
    dialog = operations.choose_presentation_views(DESK.key)
    for i in range(dialog.list.count()):
        item = dialog.list.item(i)
        item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in ("map", "graphs")
                           else Qt.CheckState.Unchecked)
    dialog.dwell.setValue(45)
    dialog.accept()
    assert operations.presentation(DESK.key).cycle == ["graphs", "map"]
    operations.close()
    again = LayoutStore(data_dir / "screens.json").get(DESK.key)
    assert again.cycle == ["graphs", "map"] and again.dwell_s == 45


def test_f10_lasts_until_close_and_a_wall_display_presents_at_every_start(qtbot, qapp, make_window, ops_context, data_dir):
    import json

    from controlroom.ui.screens.manager import LayoutStore

    # an earlier version saved "presentation": true for a screen closed while presenting
    (data_dir / "screens.json").write_text(json.dumps({"screens": {DESK.key: {"presentation": True}}}), encoding="utf-8")
    window = make_window()
    operations = install_operations(qapp, window, ops_context, screens=[DESK, WALL], sign_in=False)
    operations.start()
    assert not operations.presentation(DESK.key).active
    operations.presentation(DESK.key).enter()  # F10 on the operator's desk
    dialog = operations.choose_presentation_views(WALL.key)
    assert not dialog.at_start.isChecked()
    dialog.at_start.setChecked(True)  # the 65-inch screen is a wall display
    dialog.accept()
    operations.close()

    arranged = LayoutStore(data_dir / "screens.json").get(WALL.key).state
    again = install_operations(qapp, make_window(), ops_context, screens=[DESK, WALL], sign_in=False)
    again.start()
    try:
        assert not again.presentation(DESK.key).active  # the desk opens with its menus
        assert again.presentation(WALL.key).active
        assert again.choose_presentation_views(WALL.key).at_start.isChecked()
    finally:
        again.close()
    # presenting at start and leaving at close gives the wall display its arrangement back
    assert LayoutStore(data_dir / "screens.json").get(WALL.key).state == arranged


def test_closing_while_presenting_saves_the_operators_layout_not_the_presentation(qtbot, qapp, make_window,
                                                                                ops_context):
    """Quit (window closed, or SIGTERM: the application's aboutToQuit) during an F10 presentation
    saved every panel but the presented one as hidden; restoring that layout crashed Qt at the next
    start (a segmentation fault on Xvfb, every start until the file was deleted)."""
    window = make_window()
    operations = install_operations(qapp, window, ops_context, screens=[DESK], sign_in=False)
    window.show()
    qtbot.waitExposed(window)
    shown = sorted(panel for panel, dock in window.docks.items() if dock.isVisible())
    operations.presentation(DESK.key).enter()
    qtbot.waitUntil(lambda: len([d for d in window.docks.values() if d.isVisible()]) < len(shown))
    window.close()  # closeEvent saves window.ini
    assert not operations.presentation(DESK.key).active
    operations.close()

    restored = make_window()  # restores what the same settings file holds
    assert restored.restored
    restored.show()
    qtbot.waitExposed(restored)
    assert sorted(panel for panel, dock in restored.docks.items() if dock.isVisible()) == shown


def test_flood_mode_and_a_presentation_in_either_order_leave_the_operators_arrangement(qtbot, qapp, make_window,
                                                                                      ops_context):
    """Each mode keeps "the arrangement before": flood mode entered during a presentation must not
    break the presented screen open, must show its panels once the presentation ends, and leaving
    both, in either order, gives back the operator's own arrangement."""
    window = make_window()
    operations = install_operations(qapp, window, ops_context, screens=[DESK], sign_in=False)
    window.docks["alerts"].hide()  # the operator closed the alert queue; flood mode shows it
    window.show()
    qtbot.waitExposed(window)

    def shown() -> set[str]:
        return {panel for panel, dock in window.docks.items() if dock.isVisible()}

    mine = shown()
    presentation = operations.presentation(DESK.key)

    presentation.enter()
    operations.flood.enter()
    assert len(shown()) == 1  # still one panel at a time on the presented screen
    presentation.leave()
    assert "alerts" in shown()  # the flood picture, now on the operator's arrangement
    operations.flood.leave()
    assert shown() == mine

    operations.flood.enter()
    presentation.enter()
    operations.flood.leave()
    assert len(shown()) == 1  # the presentation goes on
    presentation.leave()
    assert shown() == mine  # not flood mode's arrangement, saved when the presentation began
    operations.close()
