"""Window geometry and dock layout, kept between runs in an INI file in the data dir.

QSettings' native format would use the Windows registry; an INI file next to the database
keeps a console's state in one folder that can be copied or reset.
"""

from __future__ import annotations

from PyQt6.QtCore import QByteArray, QSettings
from PyQt6.QtWidgets import QMainWindow

from controlroom.paths import data_dir

LAYOUT_VERSION = 1  # bump when the default dock arrangement changes incompatibly
SETTINGS_FILE = "window.ini"


def open_settings() -> QSettings:
    return QSettings(str(data_dir() / SETTINGS_FILE), QSettings.Format.IniFormat)


def save_window(window: QMainWindow, settings: QSettings | None = None, key: str = "main") -> None:
    settings = settings or open_settings()
    settings.setValue(f"{key}/geometry", window.saveGeometry())
    settings.setValue(f"{key}/state", window.saveState(LAYOUT_VERSION))
    settings.sync()


def restore_window(window: QMainWindow, settings: QSettings | None = None, key: str = "main") -> bool:
    """Restore what save_window stored; False (and nothing changed) when there is nothing
    usable, e.g. the first start or a layout saved by an older version."""
    settings = settings or open_settings()
    geometry = settings.value(f"{key}/geometry")
    state = settings.value(f"{key}/state")
    if not isinstance(geometry, QByteArray) or not isinstance(state, QByteArray):
        return False
    if not window.restoreGeometry(geometry):
        return False
    return window.restoreState(state, LAYOUT_VERSION)


