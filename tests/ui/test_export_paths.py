"""A save dialog opens in the room's reports folder with a dated name, not in the folder the
program was started from with an empty name (on a commune PC: the install folder)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from controlroom.ui.reports.export_paths import suggested_export_path


def test_exports_are_suggested_beside_the_reports_with_the_time_in_the_name(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTROLROOM_DATA_DIR", str(tmp_path / "data"))
    path = Path(suggested_export_path("bieu-do", ".csv", now=datetime(2026, 12, 8, 6, 12)))
    assert path == tmp_path / "data" / "reports" / "bieu-do-2026-12-08-0612.csv"
    assert path.parent.is_dir()  # the dialog opens in it
