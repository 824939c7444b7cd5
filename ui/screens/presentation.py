"""Presentation mode for the 65-inch displays: no operator chrome, large high-contrast type
sized from the screen's physical size for a viewer 5 m away, optionally cycling through
chosen panels with a dwell time.

Entering and leaving only hides chrome, restyles and shows/hides docks: no panel is rebuilt,
so camera readers, the map page and graphs keep running throughout.
"""

from __future__ import annotations

import logging
import math
import os

from PyQt6.QtCore import QByteArray, QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QKeySequence, QShortcut
from PyQt6.QtWidgets import (QAbstractButton, QAbstractSpinBox, QComboBox, QDockWidget, QHBoxLayout, QLineEdit,
                             QMainWindow, QStatusBar, QToolBar, QWidget)

from controlroom.ui.screens.manager import ScreenInfo
from controlroom.widgets.flow_layout import FlowLayout

log = logging.getLogger(__name__)

VIEWING_DISTANCE_M = 5.0
# Text whose em is 1/250 of the viewing distance (20 mm at 5 m) reads comfortably: the
# "10-foot UI" rule of thumb (24 px on a 55-inch 1080p TV seen from 3 m is ~1/200).
EM_PER_DISTANCE = 1 / 250
FALLBACK_PX_PER_MM = 3840 / 1428.0  # a 65-inch 16:9 4K panel, when the screen does not say
DIAGONAL_ENV = "CONTROLROOM_SCREEN_DIAGONAL_IN"  # a display whose EDID lies (or Xvfb's 96 dpi): its real size
# what a 65-inch display cycles through when the operator chose nothing: one panel at a time,
# the ones made to be watched (large type cannot fit a whole operator layout)
DEFAULT_CYCLE = ["camera_wall", "sensors", "map", "graphs"]


def px_per_mm(screen: ScreenInfo) -> float:
    """Logical pixels per millimetre; screens that report no (or a nonsense) size are taken
    for a 65-inch 4K panel scaled to their pixel width."""
    override = os.environ.get(DIAGONAL_ENV)
    if override and screen.width > 0 and screen.height > 0:
        try:
            diagonal_mm = float(override) * 25.4
            return math.hypot(screen.width, screen.height) / diagonal_mm
        except (ValueError, ZeroDivisionError):
            log.warning("%s=%r is not a size in inches; ignored", DIAGONAL_ENV, override)
    if screen.physical_width_mm >= 100 and screen.width > 0:
        density = screen.width / screen.physical_width_mm
        if 0.5 <= density <= 20:
            return density
    return FALLBACK_PX_PER_MM * screen.width / 3840 if screen.width else FALLBACK_PX_PER_MM


def presentation_font_px(screen: ScreenInfo, distance_m: float = VIEWING_DISTANCE_M) -> int:
    """Font pixel size for text readable at `distance_m` on this screen (not a fixed size:
    a 65-inch 4K and a 32-inch 1080p screen get the same millimetres, not the same pixels)."""
    em_mm = distance_m * 1000 * EM_PER_DISTANCE
    return max(16, round(em_mm * px_per_mm(screen)))


def presentation_qss(font_px: int) -> str:
    """High contrast: black ground, white text, yellow accents, thick separators. The large
    type goes to text views (tables, trees, lists); panels that size their own text to
    their tiles (sensor tiles, camera captions, the map) keep doing so at full screen, so
    no font property reaches them from here (a heavier weight than the one a tile measured
    its text with clips that text)."""
    small = max(12, round(font_px * 0.75))
    return f"""
QWidget {{ background: #000000; color: #ffffff; }}
QTableView, QTreeView, QListView, QTextBrowser {{ background: #000000; alternate-background-color: #111111;
    gridline-color: #555555; border: 0; font-size: {font_px}px; font-weight: 600; }}
QHeaderView::section {{ background: #000000; color: #ffd400; border: 0; border-bottom: 3px solid #ffd400;
    font-size: {small}px; padding: 0.2em; }}
QMainWindow::separator {{ background: #333333; width: 4px; height: 4px; }}
QPushButton, QComboBox, QToolButton, QSpinBox, QLineEdit, QCheckBox {{ font-size: {small}px; }}
QTabBar::tab {{ background: #000000; color: #ffffff; padding: 0.3em 1em; font-size: {small}px; }}
QTabBar::tab:selected {{ color: #ffd400; border-bottom: 4px solid #ffd400; }}
"""


class PresentationMode(QObject):
    """Presentation of one window on one screen. `cycle` lists panel ids to show one at a
    time, `dwell_s` apart; an empty cycle shows the window's panels as arranged."""

    changed = pyqtSignal(bool)
    shown = pyqtSignal(str)  # the panel the cycle shows now

    def __init__(self, window: QMainWindow, screen: ScreenInfo, docks: dict[str, QDockWidget],
                 cycle: list[str] | None = None, dwell_s: float = 20.0,
                 distance_m: float = VIEWING_DISTANCE_M) -> None:
        super().__init__(window)
        self.window = window
        self.screen = screen
        self.docks = docks
        self.cycle = list(cycle or DEFAULT_CYCLE)
        self.dwell_s = max(3.0, dwell_s)
        self.distance_m = distance_m
        self.active = False
        self.position = -1
        self._saved_state: QByteArray | None = None
        self._saved_style = ""
        self._saved_titles: dict[str, QWidget | None] = {}
        self._chrome: list[tuple[QWidget, bool]] = []
        self._hidden_controls: list[QWidget] = []
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.advance)
        # Esc leaves, as it leaves every full-screen picture (F10 toggles); the lock's key gate
        # holds it back while the console is locked
        self._escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), window, self.leave,
                                 context=Qt.ShortcutContext.WindowShortcut)
        self._escape.setEnabled(False)

    def _own_docks(self) -> dict[str, QDockWidget]:
        return {p: d for p, d in self.docks.items() if d.parent() is self.window}

    def enter(self) -> None:
        if self.active:
            return
        self.active = True
        self._saved_state = self.window.saveState()
        self._saved_style = self.window.styleSheet()
        self._chrome = []
        bars = [self.window.menuWidget(), self.window.findChild(QStatusBar)]
        bars += [b for b in self.window.findChildren(QToolBar) if b.parent() is self.window]
        for bar in bars:
            if bar is not None:
                self._chrome.append((bar, bar.isVisible()))
                bar.hide()
        for panel_id, dock in self._own_docks().items():
            self._saved_titles[panel_id] = dock.titleBarWidget()
            dock.setTitleBarWidget(QWidget(dock))  # an empty title bar: no operator chrome
            widget = _panel_widget(dock)
            if hasattr(widget, "set_presenting"):  # the panel knows its own chrome
                widget.set_presenting(True)
            elif widget is not None:
                for control in control_rows(widget):
                    if control.isVisible():
                        self._hidden_controls.append(control)
                        control.hide()
        self.window.setStyleSheet(presentation_qss(presentation_font_px(self.screen, self.distance_m)))
        self.window.showFullScreen()
        self._escape.setEnabled(True)
        if self.cycle:
            self.position = -1
            self.advance()
            self._timer.start(round(self.dwell_s * 1000))
        self.changed.emit(True)

    def advance(self) -> None:
        """Show the next panel of the cycle, alone (the others are hidden, not closed)."""
        own = self._own_docks()
        names = [p for p in self.cycle if p in own]
        if not names:  # none of the chosen panels is on this screen: show what is
            for dock in own.values():
                dock.show()
            return
        self.position = (self.position + 1) % len(names)
        current = names[self.position]
        for panel_id, dock in own.items():
            dock.setVisible(panel_id == current)
        QTimer.singleShot(0, lambda dock=own[current]: self._fill(dock))
        self.shown.emit(current)

    def _fill(self, dock: QDockWidget) -> None:
        """A side panel keeps its column's width when alone, leaving the rest of the screen
        black: give it the whole screen (Qt clamps the size; leave() restores the layout).
        Called once the dock's new visibility is laid out, hence from the event loop."""
        if not self.active or not dock.isVisible():
            return
        area = self.window.dockWidgetArea(dock)
        if area in (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea):
            self.window.resizeDocks([dock], [max(self.screen.width, self.window.width())], Qt.Orientation.Horizontal)
        else:
            self.window.resizeDocks([dock], [max(self.screen.height, self.window.height())], Qt.Orientation.Vertical)

    def show_panel(self, panel_id: str) -> None:
        """Jump the cycle to `panel_id` (a start-up choice for screenshots); unknown ids change nothing."""
        names = [p for p in self.cycle if p in self._own_docks()]
        if self.active and panel_id in names:
            self.position = names.index(panel_id) - 1
            self.advance()

    def leave(self) -> None:
        if not self.active:
            return
        self.active = False
        self._timer.stop()
        self._escape.setEnabled(False)
        self.window.setStyleSheet(self._saved_style)
        for panel_id, dock in self._own_docks().items():
            dock.setTitleBarWidget(self._saved_titles.pop(panel_id, None))
            widget = _panel_widget(dock)
            if hasattr(widget, "set_presenting"):
                widget.set_presenting(False)
        for bar, visible in self._chrome:
            bar.setVisible(visible)
        for control in self._hidden_controls:
            control.show()
        self._hidden_controls = []
        self.window.showNormal()
        if self._saved_state is not None:
            self.window.restoreState(self._saved_state)
        self.changed.emit(False)

    def toggle(self) -> None:
        self.leave() if self.active else self.enter()

    def restore_on_leaving(self, state: QByteArray) -> None:
        """The arrangement `leave` puts back, replacing the one saved on entering (flood mode
        ended during the presentation: its arrangement is over, the one before it is not)."""
        if self.active:
            self._saved_state = state


def _panel_widget(dock: QDockWidget) -> QWidget | None:
    """The panel inside a dock (MainWindow wraps it in a scroll area)."""
    inner = dock.widget()
    scrolled = getattr(inner, "widget", None)
    return scrolled() if callable(scrolled) else inner


CONTROLS = (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit)


def control_rows(panel: QWidget) -> list[QWidget]:
    """The operator's controls in a panel without its own `set_presenting`: every widget of a
    horizontal or wrapping row (a panel's toolbar: buttons, combo boxes and their labels)
    that holds an input control."""
    found: list[QWidget] = []
    for row in [*panel.findChildren(QHBoxLayout), *panel.findChildren(FlowLayout)]:
        widgets = [row.itemAt(i).widget() for i in range(row.count())]
        widgets = [w for w in widgets if w is not None]
        if any(isinstance(w, CONTROLS) for w in widgets):
            found.extend(w for w in widgets if w not in found)
    return found
