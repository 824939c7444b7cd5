"""Where the app keeps its files: the user's data dir (platformdirs), never the install dir."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "controlroom"


def data_dir() -> Path:
    """Per-user data dir; CONTROLROOM_DATA_DIR overrides it (tests, portable installs)."""
    override = os.environ.get("CONTROLROOM_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_url() -> str:
    return f"sqlite:///{(data_dir() / 'controlroom.sqlite3').as_posix()}"
