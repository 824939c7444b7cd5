"""One window per screen (QScreen), each with the panels the operator put there.

The room has several monitors and two 65-inch displays. `ScreenManager` keeps one top-level
window per screen: the main window (menus, status bar, every panel at first) on the primary
screen, and a `ScreenWindow` on each other screen. A panel is one dock that lives in exactly
one window; sending it to another screen moves the dock (the widget is not rebuilt, so a
camera stream or a loaded map keeps running). What sits where, each window's dock
arrangement and whether it presents are saved per screen in `screens.json` in the data dir
and restored at the next start.

A screen unplugged at run time does not close its window: the window moves to a remaining
screen with its panels as they are, and goes home when that screen comes back. The logic
works on `ScreenInfo` descriptors, so tests can drive it with made-up screens.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from PyQt6.QtCore import QByteArray, QEvent, QObject, QRect, Qt, pyqtSignal
from PyQt6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PyQt6.QtWidgets import QDockWidget, QMainWindow, QWidget

from controlroom.i18n import tr

log = logging.getLogger(__name__)

LAYOUT_FILE = "screens.json"
STATE_VERSION = 7  # QMainWindow.saveState version of the per-screen windows


@dataclass(frozen=True)
class ScreenInfo:
    """What the manager needs to know of a screen; `key` is stable across restarts."""

    key: str
    x: int
    y: int
    width: int
    height: int
    physical_width_mm: float = 0.0
    physical_height_mm: float = 0.0
    primary: bool = False

    @property
    def rect(self) -> QRect:
        return QRect(self.x, self.y, self.width, self.height)


def screen_key(screen) -> str:
    """A QScreen's stable name: model and serial when the OS knows them, else its name."""
    parts = [screen.manufacturer(), screen.model(), screen.serialNumber()]
    if any(parts):
        return "/".join(p or "-" for p in parts) + f"@{screen.name()}"
    return screen.name() or "screen"


def describe(screen, primary: bool = False) -> ScreenInfo:
    g = screen.geometry()
    size = screen.physicalSize()
    return ScreenInfo(screen_key(screen), g.x(), g.y(), g.width(), g.height(), size.width(), size.height(), primary)


def qt_screens() -> list[ScreenInfo]:
    app = QGuiApplication.instance()
    primary = app.primaryScreen()
    return [describe(s, s is primary) for s in app.screens()]


@dataclass
class ScreenLayout:
    """One screen's remembered layout: its panels, the window's dock state, whether it is a
    wall display (presents from every start) and what its presentation cycles through."""

    panels: list[str] = field(default_factory=list)
    state: str = ""  # base64 of QMainWindow.saveState
    wall_display: bool = False  # set in Presentation views…; the old key "presentation" (F10 at quit) is ignored
    cycle: list[str] = field(default_factory=list)  # panels the presentation cycles through
    dwell_s: float = 20.0

    @classmethod
    def from_dict(cls, data: dict) -> "ScreenLayout":
        return cls(panels=[str(p) for p in data.get("panels", [])], state=str(data.get("state", "")),
                   wall_display=bool(data.get("wall_display", False)),
                   cycle=[str(p) for p in data.get("cycle", [])], dwell_s=float(data.get("dwell_s", 20.0)))


class LayoutStore:
    """`screens.json`: screen key -> ScreenLayout. Writes go to a named thread (no disk
    writes on the GUI thread); a half-written or foreign file is reported and ignored."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.layouts: dict[str, ScreenLayout] = {}
        self._lock = threading.Lock()
        self._writer: threading.Thread | None = None
        self._pending: str | None = None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.layouts = {str(k): ScreenLayout.from_dict(v) for k, v in data.get("screens", {}).items()}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            log.warning("screen layouts in %s not usable (%s); starting with the defaults", path, exc)

    def get(self, key: str) -> ScreenLayout | None:
        return self.layouts.get(key)

    def put(self, key: str, layout: ScreenLayout) -> None:
        self.layouts[key] = layout

    def save(self) -> None:
        text = json.dumps({"screens": {k: v.__dict__ for k, v in self.layouts.items()}}, ensure_ascii=False, indent=1)
        with self._lock:
            self._pending = text
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._drain, name="screen-layout-writer")
                self._writer.start()

    def _drain(self) -> None:
        while True:
            with self._lock:
                text, self._pending = self._pending, None
                if text is None:
                    self._writer = None  # under the lock: a save() from now on starts a new writer
                    return
            tmp = self.path.with_suffix(".tmp")
            try:
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(self.path)
            except OSError as exc:
                log.error("cannot save the screen layouts to %s: %s", self.path, exc)

    def flush(self, timeout_s: float = 5.0) -> None:
        writer = self._writer
        if writer is not None:
            writer.join(timeout_s)


def plan_panels(screens: list[ScreenInfo], panel_ids: list[str], store: LayoutStore) -> dict[str, list[str]]:
    """Which panels each screen shows: as remembered; a panel remembered on a screen that is
    not here, or never placed, goes to the primary screen. Each panel appears once."""
    if not screens:
        return {}
    home = next((s.key for s in screens if s.primary), screens[0].key)
    plan: dict[str, list[str]] = {s.key: [] for s in screens}
    placed: set[str] = set()
    for screen in screens:
        layout = store.get(screen.key)
        for panel_id in layout.panels if layout else []:
            if panel_id in panel_ids and panel_id not in placed:
                plan[screen.key].append(panel_id)
                placed.add(panel_id)
    plan[home].extend(p for p in panel_ids if p not in placed)
    return plan


def refuge_for(removed: str, screens: list[ScreenInfo]) -> ScreenInfo | None:
    """Where a window goes when its screen disappears: the primary, else any remaining one."""
    remaining = [s for s in screens if s.key != removed]
    return next((s for s in remaining if s.primary), remaining[0] if remaining else None)


class ScreenWindow(QMainWindow):
    """A bare window on a secondary screen: only docks (panels sent here), no menus."""

    closing = pyqtSignal()

    def __init__(self, key: str, title: str) -> None:
        super().__init__()
        self.setObjectName("screenWindow")
        self.setWindowTitle(title)
        self.setDockNestingEnabled(True)
        placeholder = QWidget(self)
        placeholder.setMaximumHeight(0)
        self.setCentralWidget(placeholder)
        self.screen_key = key

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt name)
        # a secondary window stays while the app runs: closing it only hides it
        self.closing.emit()
        event.ignore()
        self.hide()


class ScreenManager(QObject):
    """Keeps one window per screen and moves panels between them.

    `main_window` is the MainWindow (owns every dock at first). `make_window(key)` builds
    a secondary window (tests pass their own). Call `start(screens)` once, `save()` on quit."""

    layout_changed = pyqtSignal()

    def __init__(self, main_window: QMainWindow, store: LayoutStore,
                 make_window: Callable[[str], QMainWindow] | None = None) -> None:
        super().__init__(main_window)
        self.main = main_window
        self.store = store
        self._make_window = make_window or (lambda key: ScreenWindow(key, tr("Control room — screen {name}", name=key)))
        self.screens: list[ScreenInfo] = []
        self.windows: dict[str, QMainWindow] = {}  # screen key -> window whose home it is
        self.hosted_on: dict[str, str] = {}  # window's home key -> screen it is on now
        self.main_key = ""
        main_window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        """Closing the main window quits the console: the other screens' windows refuse to close
        on their own, and while one is visible Qt keeps the app running. Hide them first."""
        if watched is self.main and event.type() == QEvent.Type.Close:
            for window in self.windows.values():
                if window is not self.main:
                    window.hide()
        return False

    # -- docks ------------------------------------------------------------------------------
    @property
    def docks(self) -> dict[str, QDockWidget]:
        return self.main.docks

    def window_of(self, panel_id: str) -> str | None:
        dock = self.docks.get(panel_id)
        for key, window in self.windows.items():
            if dock is not None and dock.parent() is window:
                return key
        return None

    def panels_on(self, key: str) -> list[str]:
        window = self.windows.get(key)
        return [p for p, d in self.docks.items() if window is not None and d.parent() is window]

    # -- start ------------------------------------------------------------------------------
    def start(self, screens: list[ScreenInfo]) -> None:
        self.screens = list(screens)
        if not self.screens:
            return
        primary = next((s for s in self.screens if s.primary), self.screens[0])
        self.main_key = primary.key
        self.windows = {primary.key: self.main}
        self.hosted_on = {primary.key: primary.key}
        plan = plan_panels(self.screens, list(self.docks), self.store)
        for screen in self.screens:
            if screen.key != primary.key:
                self._open_window(screen)
            for panel_id in plan.get(screen.key, []):
                self.move_panel(panel_id, screen.key, save=False)
        for screen in self.screens:
            self._restore_state(screen.key)
            self._place(self.windows[screen.key], screen)
        log.info("screens: %s; panels: %s", ", ".join(f"{s.key} {s.width}x{s.height}" for s in self.screens),
                 {k: self.panels_on(k) for k in self.windows})

    def _open_window(self, screen: ScreenInfo) -> QMainWindow:
        window = self._make_window(screen.key)
        self.windows[screen.key] = window
        self.hosted_on[screen.key] = screen.key
        window.setGeometry(screen.rect)
        return window

    @staticmethod
    def _place(window: QMainWindow, screen: ScreenInfo) -> None:
        handle = window.windowHandle()
        qscreen = next((s for s in QGuiApplication.screens() if screen_key(s) == screen.key), None)
        if handle is not None and qscreen is not None:
            handle.setScreen(qscreen)
        window.setGeometry(screen.rect)

    def _restore_state(self, key: str) -> None:
        layout = self.store.get(key)
        window = self.windows.get(key)
        if layout is None or not layout.state or window is None:
            return
        try:
            state = QByteArray(base64.b64decode(layout.state))
        except ValueError:
            log.warning("screen %s: saved dock state is not base64; default arrangement", key)
            return
        if not window.restoreState(state, STATE_VERSION):
            log.info("screen %s: saved dock state not applicable; default arrangement", key)

    # -- moving panels ---------------------------------------------------------------------
    def move_panel(self, panel_id: str, key: str, save: bool = True) -> bool:
        """Put a panel on screen `key`'s window (the same widget: streams keep running)."""
        dock = self.docks.get(panel_id)
        target = self.windows.get(key)
        if dock is None or target is None:
            return False
        source = dock.parent()
        if source is not target:
            if isinstance(source, QMainWindow):
                source.removeDockWidget(dock)
            target.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, dock)
            others = [d for p, d in self.docks.items() if d is not dock and d.parent() is target and d.isVisible()]
            if others:
                target.tabifyDockWidget(others[0], dock)
        dock.show()
        dock.raise_()
        if save:
            self.save()
            self.layout_changed.emit()
        return True

    def next_screen(self, key: str, step: int = 1) -> str | None:
        keys = [s.key for s in self.screens]
        if key not in keys or len(keys) < 2:
            return None
        return keys[(keys.index(key) + step) % len(keys)]

    def send_panel_to_next(self, panel_id: str, step: int = 1) -> str | None:
        """The keyboard shortcut: the panel goes to the next (or previous) screen."""
        current = self.window_of(panel_id)
        target = self.next_screen(current, step) if current else None
        if target is not None and self.move_panel(panel_id, target):
            return target
        return None

    def focused_panel(self) -> str | None:
        """The panel holding the keyboard focus (the selected camera wall or graph)."""
        from PyQt6.QtGui import QCursor
        from PyQt6.QtWidgets import QApplication

        # the panel with the keyboard focus, else the one under the mouse (camera tiles and
        # plots take clicks without taking the focus)
        widget = QApplication.focusWidget() or QApplication.widgetAt(QCursor.pos())
        while widget is not None:
            if isinstance(widget, QDockWidget):
                return next((p for p, d in self.docks.items() if d is widget), None)
            widget = widget.parentWidget()
        return None

    def install_shortcuts(self, window: QMainWindow) -> None:
        """Ctrl+Alt+→ / ← sends the focused panel to the next / previous screen;
        Ctrl+Alt+1…9 to that screen."""
        def send(step: int) -> None:
            panel_id = self.focused_panel()
            if panel_id:
                self.send_panel_to_next(panel_id, step)

        def send_to(index: int) -> None:
            panel_id = self.focused_panel()
            if panel_id and index < len(self.screens):
                self.move_panel(panel_id, self.screens[index].key)

        for sequence, handler in (("Ctrl+Alt+Right", lambda: send(1)), ("Ctrl+Alt+Left", lambda: send(-1))):
            action = QAction(window)
            action.setShortcut(QKeySequence(sequence))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            action.triggered.connect(handler)
            window.addAction(action)
        for index in range(9):
            action = QAction(window)
            action.setShortcut(QKeySequence(f"Ctrl+Alt+{index + 1}"))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            action.triggered.connect(lambda _=False, i=index: send_to(i))
            window.addAction(action)

    # -- screens coming and going ----------------------------------------------------------
    def screen_removed(self, key: str) -> None:
        """The window of an unplugged screen moves, as it is, to a remaining screen."""
        self.screens = [s for s in self.screens if s.key != key]
        refuge = refuge_for(key, self.screens)
        if refuge is None:
            return
        for home, now_on in list(self.hosted_on.items()):
            if now_on == key:
                self.hosted_on[home] = refuge.key
                window = self.windows[home]
                self._place(window, refuge)
                log.info("screen %s removed: its window moved to %s", key, refuge.key)
        if key == self.main_key:
            self.main_key = refuge.key

    def screen_added(self, screen: ScreenInfo) -> None:
        """A screen (back) at run time: its window goes home, or a new empty window opens."""
        if any(s.key == screen.key for s in self.screens):
            return
        self.screens.append(screen)
        window = self.windows.get(screen.key)
        if window is None:
            window = self._open_window(screen)
            self._restore_state(screen.key)
            window.show()
        self.hosted_on[screen.key] = screen.key
        self._place(window, screen)
        self.screens.sort(key=lambda s: (s.x, s.y))

    def connect_qt(self, app: QGuiApplication) -> None:
        app.screenAdded.connect(lambda s: self.screen_added(describe(s, s is app.primaryScreen())))
        app.screenRemoved.connect(lambda s: self.screen_removed(screen_key(s)))

    # -- persistence -----------------------------------------------------------------------
    def save(self) -> None:
        for key, window in self.windows.items():
            previous = self.store.get(key) or ScreenLayout()
            state = bytes(window.saveState(STATE_VERSION))
            self.store.put(key, ScreenLayout(self.panels_on(key), base64.b64encode(state).decode("ascii"),
                                             previous.wall_display, previous.cycle, previous.dwell_s))
        self.store.save()

    def show_all(self) -> None:
        for window in self.windows.values():
            window.show()

    def close(self) -> None:
        """Save and hide the secondary windows (app quit)."""
        self.save()
        self.store.flush()
        for key, window in self.windows.items():
            if window is not self.main:
                window.hide()
                window.deleteLater()
