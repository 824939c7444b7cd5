"""A saved layout whose restore crashed the last start is set aside, so the console opens."""

from __future__ import annotations

from controlroom.ui.shell.layout_guard import MARKER, LayoutGuard


def test_a_start_that_died_restoring_sets_the_saved_layout_aside(tmp_path):
    (tmp_path / "window.ini").write_text("[main]\n", encoding="utf-8")
    (tmp_path / "screens.json").write_text("{}", encoding="utf-8")
    guard = LayoutGuard(tmp_path, ("window.ini", "screens.json"))

    assert guard.begin() is False  # a normal start: the layouts are restored
    guard.done()
    assert not (tmp_path / MARKER).exists() and (tmp_path / "window.ini").exists()

    assert guard.begin() is False
    # ...and the process dies inside Qt's restore: the marker stays behind
    again = LayoutGuard(tmp_path, ("window.ini", "screens.json"))
    assert again.begin() is True
    assert not (tmp_path / "window.ini").exists() and not (tmp_path / "screens.json").exists()
    assert (tmp_path / "window.ini.broken").exists() and (tmp_path / "screens.json.broken").exists()
    again.done()
    assert not (tmp_path / MARKER).exists()
