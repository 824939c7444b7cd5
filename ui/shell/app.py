"""QApplication bootstrap: Qt environment, theme, language, bridge, main window, quit.

`run_app(backend, ...)` is called by controlroom.cli.main with a prepared (not yet started)
Backend: the bridge subscribes to the core's bus first, then the core and the demo
simulator start, so no early event (retained statuses) is missed. On quit, panel shutdown
hooks run first, the bridge detaches, and the CLI stops the backend (core flushes).
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import time
from importlib import resources
from pathlib import Path

from PyQt6.QtCore import QCoreApplication, QDir, QEvent, QTimer
from PyQt6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PyQt6.QtWidgets import QApplication

from controlroom.i18n import tr
from controlroom.ui.shell import qt_translations
from controlroom.ui.shell.graphics import choose_quick_renderer

log = logging.getLogger(__name__)

BASE_FONT_PT = 10.0  # at 1920x1080 logical; grows with larger unscaled screens
FONT_FAMILIES = ["Segoe UI", "Noto Sans", "DejaVu Sans", "Arial"]  # all carry Vietnamese diacritics
REFERENCE_SIZE = (1920, 1080)


def configure_qt_environment() -> None:
    """Environment defaults that must be in place before the QApplication exists."""
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = chromium_flags(os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", ""),
                                                              as_root=hasattr(os, "geteuid") and os.geteuid() == 0)


def chromium_flags(flags: str, as_root: bool) -> str:
    """The map's web engine flags: gc() for the map page, which collects its garbage every
    minute (left to itself, V8 let a live room's page grow by ~20 MB a minute of garbage that
    one collection frees: benchmarks/map_memory.py); no sandbox as root (Chromium refuses)."""
    if "--expose-gc" not in flags:
        flags = (flags + " --js-flags=--expose-gc").strip() if "--js-flags=" not in flags \
            else flags.replace("--js-flags=", "--js-flags=--expose-gc,", 1)
    if as_root and "--no-sandbox" not in flags:
        flags = (flags + " --no-sandbox").strip()
    return flags


def import_webengine() -> bool:
    """QtWebEngineWidgets must be imported before the QApplication is created (map panel)."""
    try:
        import PyQt6.QtWebEngineWidgets  # noqa: F401
    except ImportError as exc:
        log.warning("QtWebEngine unavailable, the map panel will say so: %s", exc)
        return False
    return True


def ui_scale(app: QGuiApplication) -> float:
    """How much larger than at 1920x1080 the UI must be drawn.

    When the OS scales (Windows 150-200 %), Qt already reports a 1920x1080-like logical
    size and this stays 1.0; a 4K display without OS scaling (Xvfb, some 65-inch panels)
    gets 2.0. CONTROLROOM_UI_SCALE overrides."""
    override = os.environ.get("CONTROLROOM_UI_SCALE")
    if override:
        try:
            return max(0.5, min(4.0, float(override)))
        except ValueError:
            log.warning("CONTROLROOM_UI_SCALE=%r is not a number; ignored", override)
    screen = app.primaryScreen()
    if screen is None:
        return 1.0
    size = screen.geometry().size()
    factor = min(size.width() / REFERENCE_SIZE[0], size.height() / REFERENCE_SIZE[1])
    return max(1.0, min(3.0, factor))


def dark_palette() -> QPalette:
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#0f172a",
        QPalette.ColorRole.WindowText: "#e2e8f0",
        QPalette.ColorRole.Base: "#111827",
        QPalette.ColorRole.AlternateBase: "#1e293b",
        QPalette.ColorRole.Text: "#f1f5f9",
        QPalette.ColorRole.Button: "#1e293b",
        QPalette.ColorRole.ButtonText: "#f1f5f9",
        QPalette.ColorRole.Highlight: "#2563eb",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#1e293b",
        QPalette.ColorRole.ToolTipText: "#f8fafc",
        QPalette.ColorRole.PlaceholderText: "#94a3b8",
        QPalette.ColorRole.Link: "#60a5fa",
        QPalette.ColorRole.BrightText: "#fca5a5",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#64748b"))
    return palette


def apply_theme(app: QApplication, scale: float = 1.0, theme: str = "dark") -> None:
    """Fusion style, dark palette, a Vietnamese-capable font sized for the screen, and the
    QSS (which sizes paddings in em, so everything follows the font)."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSizeF(BASE_FONT_PT * scale)
    app.setFont(font)
    themes = resources.files("controlroom.resources").joinpath("themes")
    QDir.addSearchPath("theme", str(themes))  # the QSS names its images "theme:check.svg"
    try:
        qss = themes.joinpath(f"{theme}.qss").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:  # an unthemed app is better than none
        log.warning("theme %s not loaded: %s", theme, exc)
        return
    app.setStyleSheet(qss)


def create_application() -> QApplication:
    configure_qt_environment()
    if import_webengine():
        from controlroom.widgets.map_view import register_map_scheme

        register_map_scheme()  # the map's tile scheme must be declared before the QApplication
    app = QApplication.instance() or QApplication(sys.argv[:1])
    choose_quick_renderer()  # before the map's web view exists
    app.setApplicationName("controlroom")
    app.setOrganizationName("controlroom")
    qt_translations.install(app)
    return app


class ScreenshotTaker:
    """Saves `window.grab()` to `path` and quits, once the window has been up for `delay_s`
    seconds, the first readings arrived (so tables and tiles show data) and every widget
    that can say whether it is ready (an `is_ready` method or property, e.g. the map once its page
    is loaded) says so; at the latest `GRACE_S` later (the picture then shows why)."""

    GRACE_S = 10.0

    def __init__(self, app: QApplication, window, bridge, path: str, delay_s: float, ready_checks=()) -> None:
        self.app, self.window, self.path = app, window, Path(path)
        self.saved: bool | None = None
        self._have_readings = False
        self._ready_checks = list(ready_checks)
        bridge.readings_changed.connect(self._on_readings)
        self._poll = QTimer()
        self._poll.timeout.connect(self._check)
        QTimer.singleShot(round(delay_s * 1000), lambda: self._poll.start(250))
        QTimer.singleShot(round((delay_s + self.GRACE_S) * 1000), self.shoot)

    def _on_readings(self, _batch: list) -> None:
        self._have_readings = True

    def _widgets_ready(self) -> bool:
        from PyQt6.QtWidgets import QWidget

        if not all(bool(check()) for check in self._ready_checks):
            return False
        for widget in self.window.findChildren(QWidget):
            if not widget.isVisible():
                continue
            is_ready = getattr(widget, "is_ready", None)  # a method or a bool property
            if is_ready is not None and not (is_ready() if callable(is_ready) else is_ready):
                return False
        return True

    def _check(self) -> None:
        if self._have_readings and self._widgets_ready():
            self._poll.stop()
            QTimer.singleShot(1500, self.shoot)  # let the last update reach the screen (WebEngine paints async)

    def shoot(self) -> None:
        if self.saved is not None:
            return
        self._poll.stop()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.saved = self.window.grab().save(str(self.path))
        if self.saved:
            log.info("screenshot saved to %s", self.path)
            self.app.exit(0)
        else:
            print(tr("Cannot save the screenshot to {path}", path=str(self.path)), file=sys.stderr)
            self.app.exit(1)


def _initial_geometry(window, app: QApplication) -> None:
    """First start: fill the screen (no window manager under Xvfb maximises for us)."""
    screen = app.primaryScreen()
    if screen is not None:
        window.setGeometry(screen.availableGeometry())


def run_app(backend, screenshot: str | None = None, screenshot_delay: float | None = None, default_screenshot_delay: float = 6.0) -> int:
    """Run the GUI on a prepared backend until the window closes; returns the exit code."""
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext
    from controlroom.ui.shell.main_window import MainWindow
    from controlroom.paths import data_dir
    from controlroom.ui.screens.manager import LAYOUT_FILE
    from controlroom.ui.shell.layout_guard import LayoutGuard
    from controlroom.ui.shell.settings import SETTINGS_FILE, save_window

    app = create_application()
    scale = ui_scale(app)
    apply_theme(app, scale)
    stop_signals = _quit_on_stop_signals(app)
    core = backend.core
    bridge = CoreBridge(core.bus, core.live)  # on the bus before the core starts: no early event missed
    context = None
    window = None
    try:
        backend.start()
        context = AppContext(
            config=backend.config,
            core=core,
            bridge=bridge,
            broker_description=broker_text(backend)[0],
            broker_detail=broker_text(backend)[1],
            ui_scale=scale,
            config_path=backend.config_path,
            simulation_speed=backend.time_scale if getattr(backend, "demo", False) else None,
        )
        guard = LayoutGuard(data_dir(), (SETTINGS_FILE, LAYOUT_FILE))
        guard.begin()  # if the saved layouts crashed the last start, they are set aside (logged)
        window = MainWindow(context)
        if not window.restored or screenshot:
            _initial_geometry(window, app)
        window.show()
        window.activateWindow()  # keys and shortcuts at once, also where no window manager activates it (a kiosk)
        from controlroom.ui.shell.focus_return import FocusReturn

        FocusReturn(app)  # and again after each dialog closes (it lives as long as the app)
        from controlroom.ui.shell.operations import install_operations  # screens, flood/presentation, sign-in

        demo = getattr(backend, "demo", False)
        # only the demo is pictured as it runs: a real console's screenshot shows its lock screen,
        # or `--screenshot` would show (and save) the cameras and alerts to whoever is at the PC
        install_operations(app, window, context, sign_in=not (screenshot and demo), demo=demo).start()
        QTimer.singleShot(0, guard.done)  # restored, laid out and shown: the event loop runs
        # Start-up objects (config, Qt wrappers, SQLAlchemy metadata) live as long as the app: take them
        # out of the collector's full passes, which otherwise held the GUI up to ~150 ms during an ingest
        # flood (benchmarks/ingest.py --rate 20000: GUI max 116-155 ms -> 58-91 ms).
        gc.freeze()
        delay = default_screenshot_delay if screenshot_delay is None else screenshot_delay
        taker = ScreenshotTaker(app, window, bridge, screenshot, delay, context.ready_checks) if screenshot else None
        code = app.exec()
        if taker is None and window.isVisible():  # quit by signal: keep the layout anyway
            save_window(window)
        return code
    finally:
        stop_signals.stop()
        started = time.monotonic()
        if context is not None:
            context.shutdown()
        bridge.close()
        log.info("panels shut down in %.2f s", time.monotonic() - started)
        if window is not None:
            # destroy the widgets (WebEngine pages first of all) while the QApplication and
            # the web profile still exist; left to interpreter exit, QtWebEngine may crash
            window.hide()
            window.deleteLater()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


def _quit_on_stop_signals(app: QApplication) -> QTimer:
    """SIGINT/SIGTERM end the event loop cleanly, even when they come during start-up (the
    exit is posted, so it takes effect once exec() runs). Python sees a signal only when it
    runs: the returned timer wakes it twice a second; keep it alive."""

    def quit_on_signal(signum, _frame) -> None:
        log.info("signal %s: quitting", signum)
        # exit(), not quit(): Qt 6 lets open windows veto quit(), and the sign-in dialog
        # and the other screens' windows refuse to close (the app then ran on after SIGTERM)
        QTimer.singleShot(0, lambda: app.exit(0))

    signal.signal(signal.SIGINT, quit_on_signal)
    signal.signal(signal.SIGTERM, quit_on_signal)
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(500)
    return wake


def broker_text(backend) -> tuple[str, str]:
    """(short text, tooltip) for the status bar: where the broker is and whether the app
    started it (embedded / private demo broker) or uses one run by someone else."""
    broker = getattr(backend, "broker", None)
    where = f"{backend.broker_host}:{backend.broker_port}"
    if getattr(backend, "demo_service_link", None):
        return tr("{where}, demo service", where=where), where
    if broker is None or broker.kind == "configured":
        return tr("{where}, external broker", where=where), str(getattr(broker, "description", "") or where)
    return tr("{where}, embedded broker", where=where), str(broker.description)
