"""Dark (default) and light themes: palette + QSS for the whole application, the choice
remembered in the console's settings. ui/shell/app.py applies the dark theme at start;
`apply_named_theme` switches at run time (every widget follows: palette and style sheet are
application-wide)."""

from __future__ import annotations

import logging

from PyQt6.QtCore import QSettings
from PyQt6.QtGui import QColor, QPalette
from PyQt6.QtWidgets import QApplication

from controlroom.i18n import tr

log = logging.getLogger(__name__)

THEMES = {"dark": lambda: tr("Dark (control room)"), "light": lambda: tr("Light")}
SETTINGS_KEY = "operations/theme"
# the flood-mode button stands out in either theme, red while flood mode is on
OPERATIONS_QSS = """
QToolButton#floodButton { font-weight: bold; padding: 0.35em 1.4em; border: 2px solid #0ea5e9; }
QToolButton#floodButton:checked { background: #b91c1c; border-color: #fca5a5; color: #ffffff; }
"""


def light_palette() -> QPalette:
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#eef2f7", QPalette.ColorRole.WindowText: "#0f172a",
        QPalette.ColorRole.Base: "#ffffff", QPalette.ColorRole.AlternateBase: "#f3f6fa",
        QPalette.ColorRole.Text: "#0f172a", QPalette.ColorRole.Button: "#e2e8f0",
        QPalette.ColorRole.ButtonText: "#0f172a", QPalette.ColorRole.Highlight: "#2563eb",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#ffffff",
        QPalette.ColorRole.ToolTipText: "#0f172a", QPalette.ColorRole.PlaceholderText: "#64748b",
        QPalette.ColorRole.Link: "#1d4ed8", QPalette.ColorRole.BrightText: "#b91c1c",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#94a3b8"))
    return palette


def _settings() -> QSettings:
    from controlroom.ui.shell.settings import open_settings

    return open_settings()


def saved_theme() -> str:
    name = str(_settings().value(SETTINGS_KEY, "dark"))
    return name if name in THEMES else "dark"


def apply_named_theme(app: QApplication, name: str, scale: float = 1.0, remember: bool = True) -> None:
    from controlroom.ui.shell.app import apply_theme, dark_palette

    if name not in THEMES:
        log.warning("unknown theme %r; using dark", name)
        name = "dark"
    apply_theme(app, scale, name)
    app.setPalette(light_palette() if name == "light" else dark_palette())
    if remember:
        settings = _settings()
        settings.setValue(SETTINGS_KEY, name)
        settings.sync()
