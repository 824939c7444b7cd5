"""Where a save dialog opens: the folder the room's reports go to (the daily report, the shift
log), with a dated name, so an export at 3 a.m. needs only "Save" and lands beside the others
instead of in whatever folder the program was started from."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from controlroom.paths import data_dir


def reports_folder() -> Path:
    folder = data_dir() / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def suggested_export_path(stem: str, suffix: str, now: datetime | None = None) -> str:
    """e.g. ``…/reports/bieu-do-2026-12-08-0612.csv`` (the PC's local time)."""
    return str(reports_folder() / f"{stem}-{(now or datetime.now()):%Y-%m-%d-%H%M}{suffix}")
