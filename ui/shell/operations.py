"""Control-room operations wired onto the main window: one window per screen, presentation
and flood modes, sign-in with idle lock, shift log, daily report and the theme.

`install_operations(app, window, context)` is called once by ui/shell/app.py after the main
window is built. Keys: F9 flood mode (and the toolbar button), F10 presentation on the
screen under the focused window, Ctrl+Alt+←/→ or Ctrl+Alt+1…9 send the focused panel to
another screen, Ctrl+L locks the console.
"""

from __future__ import annotations

import logging
import os
from zoneinfo import ZoneInfo

from PyQt6.QtCore import QObject, Qt
from PyQt6.QtGui import QAction, QActionGroup, QKeySequence
from PyQt6.QtWidgets import QApplication, QDockWidget, QMainWindow, QToolBar, QToolButton, QWidget

from controlroom.access.operators import Role
from controlroom.i18n import tr
from controlroom.paths import data_dir
from controlroom.ui.shell.background import run_in_background
from controlroom.ui.flood.flood_mode import FloodMode
from controlroom.ui.screens.presentation import PresentationMode
from controlroom.ui.screens.manager import LAYOUT_FILE, LayoutStore, ScreenInfo, ScreenManager, qt_screens
from controlroom.ui.access.lock_cover import LOCKED, SIGNED_OUT, KeyGate, LockCover
from controlroom.ui.access.sign_in import IdleLock, SignInDialog
from controlroom.ui.shell.themes import OPERATIONS_QSS, THEMES, apply_named_theme, saved_theme

log = logging.getLogger(__name__)

def idle_lock_seconds(config) -> float:
    """CONTROLROOM_IDLE_LOCK_S overrides the config's `operations.idle_lock_s` (0 = never)."""
    override = os.environ.get("CONTROLROOM_IDLE_LOCK_S")
    if override:
        try:
            return max(0.0, float(override))
        except ValueError:
            log.warning("CONTROLROOM_IDLE_LOCK_S=%r is not a number; ignored", override)
    return float(config.operations.idle_lock_s)


class Operations(QObject):
    def __init__(self, app: QApplication, window: QMainWindow, context, screens: list[ScreenInfo] | None = None,
                 sign_in: bool = True, demo: bool = False) -> None:
        super().__init__(window)
        self.app, self.window, self.context = app, window, context
        self.config = context.config
        self.store = LayoutStore(data_dir() / LAYOUT_FILE)
        self.manager = ScreenManager(window, self.store)
        self.manager.start(screens if screens is not None else qt_screens())
        if screens is None:
            self.manager.connect_qt(app)
        self.manager.install_shortcuts(window)
        self.presentations: dict[str, PresentationMode] = {}
        self.flood = FloodMode(self.config, lambda: list(self.manager.windows.values()),
                               lambda: window.panel_widgets, self, presentation=self._presenting)
        core = context.core
        self.audit = core.access.audit
        self.session = context.session
        self.idle = IdleLock(self.session, idle_lock_seconds(self.config), self)
        self.idle.install(app)
        self.session.changed.connect(self.cover_windows)
        self.session.locked_changed.connect(self.cover_windows)  # covered first: the form goes on the cover
        self.session.locked_changed.connect(self._on_locked)
        self._covers: dict[QWidget, LockCover] = {}
        self.keys = KeyGate(app, self)
        self._dialog: SignInDialog | None = None
        self._build_actions()
        context.on_shutdown(self.close)
        # quit by the window or by a signal: the special arrangements end before a layout is saved
        # (saved while presenting, every panel but one was stored hidden, and that layout crashed
        # Qt's restore at the next start)
        if hasattr(window, "closing"):
            window.closing.connect(self.end_special_modes)
        app.aboutToQuit.connect(self.end_special_modes)
        self._sign_in_wanted = sign_in
        self.demo = demo
        if demo:  # documented demo accounts, demo only
            from controlroom.access.accounts import seed_demo_operators

            core.storage.execute(lambda conn: seed_demo_operators(conn, core.site_id))
        if saved_theme() != "dark":  # restyling a built window costs ~1.5 s: only when not the default
            apply_named_theme(app, saved_theme(), context.ui_scale, remember=False)

    # -- modes -----------------------------------------------------------------------------
    def presentation(self, key: str) -> PresentationMode:
        mode = self.presentations.get(key)
        if mode is None:
            screen = next(s for s in self.manager.screens if s.key == key)
            layout = self.store.get(key)
            settings = self.config.operations
            dwell = layout.dwell_s if layout and layout.cycle else settings.presentation_dwell_s
            mode = PresentationMode(self.manager.windows[key], screen, self.window.docks,
                                    layout.cycle if layout else [], dwell,
                                    settings.presentation_distance_m)
            mode.changed.connect(lambda on, w=mode.window: None if on else self.flood.adopt(w))
            self.presentations[key] = mode
        return mode

    def _presenting(self, window: QMainWindow) -> PresentationMode | None:
        return next((m for m in self.presentations.values() if m.window is window and m.active), None)

    def toggle_presentation(self) -> None:
        """F10: presentation of the window that has the focus (the main one by default)."""
        active = QApplication.activeWindow()
        key = next((k for k, w in self.manager.windows.items() if w is active), self.manager.main_key)
        if key:
            self.presentation(key).toggle()

    def _focused_key(self) -> str:
        active = QApplication.activeWindow()
        return next((k for k, w in self.manager.windows.items() if w is active), self.manager.main_key)

    def choose_presentation_views(self, key: str | None = None):
        """The cycle and dwell of a screen's presentation (remembered per screen)."""
        from controlroom.ui.shell.panels import PANELS, panel_title
        from controlroom.ui.screens.presentation_dialog import PresentationDialog
        from controlroom.ui.screens.manager import ScreenLayout

        key = key or self._focused_key()
        mode = self.presentation(key)
        titles = {p.id: panel_title(p) for p in PANELS}
        stored = self.store.get(key)
        dialog = PresentationDialog(key, [(p, titles.get(p, p)) for p in self.window.docks], mode.cycle, mode.dwell_s,
                                    self.window, at_start=bool(stored and stored.wall_display))

        def accepted() -> None:
            mode.cycle, mode.dwell_s = dialog.chosen(), dialog.dwell.value()
            layout = self.store.get(key) or ScreenLayout()
            layout.cycle, layout.dwell_s = list(mode.cycle), mode.dwell_s
            layout.wall_display = dialog.at_start.isChecked()
            self.store.put(key, layout)
            self.store.save()
            self._record("config.presentation", key, {"cycle": mode.cycle, "dwell_s": mode.dwell_s,
                                                      "wall_display": layout.wall_display})

        dialog.accepted.connect(accepted)
        dialog.open()
        return dialog

    # -- sign-in ---------------------------------------------------------------------------
    def ask_sign_in(self, locked_user: str | None = None) -> SignInDialog:
        access = self.context.core.access
        cover = self._covers.get(self.window) if self._sign_in_wanted else None
        covered = cover is not None and cover.isVisible()
        if self._dialog is not None and self._dialog.isVisible():
            if not covered or self._dialog.parentWidget() is cover:
                return self._dialog
            self._dialog.done(0)  # a "switch user" window open as the lock fell: the lock screen's form replaces it
        hint = ""
        if self.demo:
            from controlroom.access.accounts import DEMO_ACCOUNTS

            # one account a line: a password is never broken at its hyphen ("demo-" / "trucban-2025")
            hint = "\n".join([tr("Demo accounts:")] + [f"{user} / {password} ({role.label})"
                                                       for user, (_name, role, password) in DEMO_ACCOUNTS.items()])
        self._dialog = SignInDialog(self.session, access.authenticate, self.window, locked_user, hint)
        if covered:  # on the lock screen: never behind a window
            cover.hold_form(self._dialog)
            self.keys.form = self._dialog
            self._dialog.focus_first_field()  # the operator types at once, no click first
        else:
            self._dialog.open()
        dialog = self._dialog

        def told(n: int) -> None:
            if n == 0 and dialog.isVisible():
                dialog.message.setText(tr("No accounts yet. Create the first one with: controlroom operators add NAME --role admin"))

        if not self.demo:  # the demo's accounts are being created right now, and listed in the hint
            run_in_background(access.count_accounts, told, lambda exc: log.warning("cannot count accounts: %s", exc))
        return self._dialog

    def _on_locked(self, locked: bool) -> None:
        if locked and self.session.operator is not None:
            self.ask_sign_in(self.session.operator.username)

    def cover_windows(self, *_args) -> None:
        """Signed out or locked: every window of the console (each screen's, floating panels)
        is covered by the lock screen; signed in: uncovered."""
        if not self._sign_in_wanted:  # the demo's --screenshot and start-up probe show the console as is
            return
        operator = self.session.operator
        state = SIGNED_OUT if operator is None else (LOCKED if self.session.locked else None)
        windows = [self.window, *self.manager.windows.values(),
                   *(d for d in self.window.findChildren(QDockWidget) if d.isFloating())]
        for window in dict.fromkeys(windows):
            cover = self._covers.get(window)
            if cover is None and state is not None:
                cover = self._covers[window] = LockCover(window, self.config.site.name, self.config.site.tz)
                from controlroom.ui.shell.service_banner import ServiceBanner  # a dead service shows when locked too

                cover.add_notice(ServiceBanner(self.context.core, cover, actions=False))
            if cover is not None:
                cover.show_state(state)
        self.keys.closed = state is not None

    # -- menus -----------------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut: str | None = None, checkable: bool = False) -> QAction:
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.window.addAction(action)  # keys work with the menu bar hidden (presentation)
        return action

    def _build_actions(self) -> None:
        self.flood_action = self._action(tr("Flood mode"), lambda _c=False: self.flood.toggle(), "F9", checkable=True)
        self.flood_action.setObjectName("floodAction")
        self.flood.changed.connect(self.flood_action.setChecked)
        self.flood.changed.connect(lambda on: self._record("flood_mode.enter" if on else "flood_mode.leave", "console"))
        self.manager.layout_changed.connect(lambda: self._record("config.screen_layout", "screens.json"))
        self.presentation_action = self._action(tr("Presentation on this screen"), lambda: self.toggle_presentation(), "F10")
        self.views_action = self._action(tr("Presentation views…"), lambda: self.choose_presentation_views())
        sign_in = self._action(tr("Sign in…"), lambda: self.ask_sign_in())
        lock = self._action(tr("Lock the console"), lambda: self.session.lock("manual"), "Ctrl+L")
        sign_out = self._action(tr("Sign out"), lambda: (self.session.sign_out(), self.ask_sign_in()))
        shift = self._action(tr("Shift log and handover…"), lambda: self.open_shift_log())
        report = self._action(tr("Daily report…"), lambda: self.open_report())
        menu = self.window.menuBar().addMenu(tr("&Operations"))
        for action in (self.flood_action, self.presentation_action, self.views_action):
            menu.addAction(action)
        menu.addSeparator()
        for action in (sign_in, lock, sign_out):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(shift)
        menu.addAction(report)
        menu.addSeparator()
        self.screens_menu = menu.addMenu(tr("Panels on screens"))
        self.screens_menu.aboutToShow.connect(self._fill_screens_menu)
        themes = menu.addMenu(tr("Theme"))
        group = QActionGroup(self.window)
        current = saved_theme()
        for name, label in THEMES.items():
            action = QAction(label(), self.window, checkable=True)
            action.setChecked(name == current)
            action.triggered.connect(lambda _c=False, n=name: self.set_theme(n))
            group.addAction(action)
            themes.addAction(action)
        toolbar = QToolBar(tr("Operations"), self.window)
        toolbar.setObjectName("operationsToolbar")
        toolbar.setMovable(False)
        button = QToolButton(toolbar)
        button.setObjectName("floodButton")
        button.setDefaultAction(self.flood_action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setStyleSheet(OPERATIONS_QSS)  # on the button alone: the app's sheet is not re-applied
        toolbar.addWidget(button)
        from controlroom.ui.shell.service_banner import ServiceBanner  # says it loudly when the service is gone

        toolbar.addWidget(ServiceBanner(self.context.core, toolbar))
        self.window.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar

    def _fill_screens_menu(self) -> None:
        """One submenu per panel with the screens to put it on (the current one checked)."""
        from controlroom.ui.shell.panels import PANELS, panel_title

        titles = {p.id: panel_title(p) for p in PANELS}
        self.screens_menu.clear()
        for number, screen in enumerate(self.manager.screens, 1):
            header = self.screens_menu.addAction(tr("Screen {n}: {name} ({w}×{h})", n=number, name=screen.key,
                                                    w=screen.width, h=screen.height))
            header.setEnabled(False)
        self.screens_menu.addSeparator()
        for panel_id in self.window.docks:
            sub = self.screens_menu.addMenu(titles.get(panel_id, panel_id))
            current = self.manager.window_of(panel_id)
            for number, screen in enumerate(self.manager.screens, 1):
                action = sub.addAction(tr("Screen {n}", n=number))
                action.setCheckable(True)
                action.setChecked(screen.key == current)
                action.triggered.connect(lambda _c=False, p=panel_id, k=screen.key: self.manager.move_panel(p, k))

    def _record(self, action: str, target: str, detail: dict | None = None) -> None:
        """Operator-visible changes of the room (flood mode, layouts, theme) in the audit log."""
        actor = self.session.operator.username if self.session.operator is not None else "console"
        self.audit.record(actor, action, target, detail)

    def set_theme(self, name: str) -> None:
        apply_named_theme(self.app, name, self.context.ui_scale)
        self._record("config.theme", "theme", {"theme": name})

    def open_shift_log(self):
        from controlroom.reports.shift_log import ShiftLog
        from controlroom.ui.reports.shift_dialog import ShiftDialog

        core = self.context.core
        log_ = ShiftLog(core.engine, core.storage, core.site_id, self.audit)
        dialog = ShiftDialog(log_, self.session, ZoneInfo(self.config.site.timezone), self.window,
                             device_names=self.config.device_names())
        dialog.open()
        return dialog

    def open_report(self):
        from controlroom.ui.reports.report_dialog import ReportDialog

        dialog = ReportDialog(self.context.core.engine, self.config, self.window)
        dialog.open()
        return dialog

    def start(self) -> None:
        """After the windows are shown: secondary windows up, sign-in asked.
        CONTROLROOM_START_MODE=flood|presentation starts in that mode (65-inch displays, screenshots);
        `presentation:map` starts the presentation cycle at that panel; `signed_out` and (with
        --demo) `locked` show the lock screen even to --screenshot (`locked`: as the demo viewer
        who stepped away); with --demo, `duty_officer` signs the demo's duty officer in."""
        self.manager.show_all()
        # a wall display presents from every start; entered once its window is up, so leaving
        # restores the arrangement it was shown with (a state saved before the show is not it)
        for screen in self.manager.screens:
            layout = self.store.get(screen.key)
            if layout is not None and layout.wall_display:
                self.presentation(screen.key).enter()
        mode = os.environ.get("CONTROLROOM_START_MODE", "")
        if "flood" in mode:
            self.flood.enter()
        if "presentation" in mode and self.manager.main_key:
            presentation = self.presentation(self.manager.main_key)
            presentation.enter()
            presentation.show_panel(mode.partition("presentation:")[2].split(",")[0])
        from controlroom.ui.shell.startup_probe import install_probe  # benchmarks/startup.py only

        self.probe = install_probe(self.app, self.window, self.context.bridge)
        if self.probe is not None and self.demo:  # a real console measured still shows its lock screen
            self._sign_in_wanted = False
        if "signed_out" in mode or "locked" in mode:
            self._sign_in_wanted = True
        if "locked" in mode and self.demo:  # a demo account only: a real console is never signed in by a variable
            self._sign_in_demo(Role.VIEWER)
            self.session.lock("screenshot")
            return  # the lock screen and its form are up (locked_changed)
        if "duty_officer" in mode and self.demo:  # pictured as the officer on duty sees it
            self._sign_in_demo(Role.DUTY_OFFICER)
        if self._sign_in_wanted:
            self.cover_windows()
            self.ask_sign_in()

    def _sign_in_demo(self, role: Role) -> None:
        from controlroom.access.accounts import DEMO_ACCOUNTS
        from controlroom.access.operators import Operator

        user, (name, _role, _password) = next((u, a) for u, a in DEMO_ACCOUNTS.items() if a[1] is role)
        self.session.sign_in(Operator(user, name, role))

    def close(self) -> None:
        """Quit: save the operator's layouts (not the presentation or flood arrangement). A
        presentation started with F10 ends here: only a screen configured as a wall display
        (Presentation views…) presents again at the next start, so a console never opens
        with no menus because someone pressed F10 yesterday."""
        self.end_special_modes()
        self.manager.save()
        self.manager.close()

    def end_special_modes(self) -> None:
        """Leave every presentation and flood mode: what is saved next is the operator's own layout."""
        for mode in self.presentations.values():
            mode.leave()
        if self.flood.active:
            self.flood.leave()


def install_operations(app: QApplication, window: QMainWindow, context, **kwargs) -> Operations:
    return Operations(app, window, context, **kwargs)
