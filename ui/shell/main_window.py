"""The main window: one dock per entry in `PANELS`, a View menu to bring closed docks back,
the status bar, and the operator's layout restored from the last run.

The window has no real central widget: every panel is a dock (dockable, floatable,
closable) so an operator can arrange the camera wall, graphs, map, alerts and broadcast
freely. "center" panels sit in the top dock area, which spans the middle column between the
left and right areas; bottom panels sit under them.
"""

from __future__ import annotations

import logging

from PyQt6.QtCore import QSettings, QSize, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PyQt6.QtWidgets import QDockWidget, QFrame, QLabel, QMainWindow, QScrollArea, QWidget

from controlroom.i18n import tr
from controlroom.ui.shell.context import AppContext
from controlroom.ui.shell.panels import PANELS, Panel, panel_title
from controlroom.ui.shell.settings import LAYOUT_VERSION, restore_window, save_window
from controlroom.ui.shell.status_bar import ControlRoomStatusBar

log = logging.getLogger(__name__)

DOCK_AREAS = {
    "center": Qt.DockWidgetArea.TopDockWidgetArea,
    "left": Qt.DockWidgetArea.LeftDockWidgetArea,
    "right": Qt.DockWidgetArea.RightDockWidgetArea,
    "bottom": Qt.DockWidgetArea.BottomDockWidgetArea,
}
# Default arrangement of the panels this project ships: (area, panels to share a tab stack
# with, first present wins). A panel not listed here starts in its own `area`. Tabs keep
# the default layout readable on one 1920x1080 screen: the flood picture (map, water levels,
# cameras) stays visible, graphs and broadcast are one click away.
DEFAULT_PLACEMENT: dict[str, tuple[str, tuple[str, ...]]] = {
    "map": ("left", ()),
    "camera_wall": ("center", ()),
    "cameras": ("center", ()),
    "graphs": ("center", ("camera_wall", "cameras")),
    "broadcast": ("center", ("camera_wall", "cameras", "graphs")),
    "sensors": ("bottom", ()),
    "readings": ("bottom", ("sensors",)),
    "alerts": ("right", ()),
    "flood_duty": ("right", ()),
    "devices": ("right", ("flood_duty",)),
}
# share of the window each area gets in the default layout
DEFAULT_SHARE = {"left": 0.25, "right": 0.27, "center": 0.58, "bottom": 0.42}
# the right column's stack, top first: the alert queue gets the larger part (its buttons wrap
# in the narrow column, and at 3840x2160 an even split left its table out of view)
RIGHT_COLUMN_SHARES = (0.58, 0.42)


def window_title(context: AppContext) -> str:
    site = context.config.site
    where = ", ".join(part for part in (site.unit_name, site.province) if part)
    name = f"{site.name} ({where})" if where else site.name
    return tr("Commune control room — {name}", name=name)


class MainWindow(QMainWindow):
    closing = pyqtSignal()  # about to save the layout and close

    def __init__(
        self,
        context: AppContext,
        panels: list[Panel] | None = None,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.context = context
        self._settings = settings
        self.setWindowTitle(window_title(context))
        self.setDockNestingEnabled(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
        )
        for corner, area in (
            (Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea),
            (Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea),
            (Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea),
            (Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea),
        ):
            self.setCorner(corner, area)
        # Qt requires a central widget: a zero-height one keeps the middle column able to
        # grow in width (so resizeDocks can size the side columns) while the docks take the space
        placeholder = QWidget(self)
        placeholder.setObjectName("centralPlaceholder")
        placeholder.setMaximumHeight(0)
        self.setCentralWidget(placeholder)

        self.docks: dict[str, QDockWidget] = {}
        self.panel_widgets: dict[str, QWidget] = {}
        self._areas: dict[str, list[QDockWidget]] = {}
        self._raised: list[QDockWidget] = []
        for panel in PANELS if panels is None else panels:
            self._add_panel(panel)
        self._arrange(PANELS if panels is None else panels)

        self.status_bar = ControlRoomStatusBar(context, self)
        self.setStatusBar(self.status_bar)
        self._build_menus()
        self._default_state = self.saveState(LAYOUT_VERSION)
        self._sized = False
        self.restored = restore_window(self, self._settings)

    # panels
    def _add_panel(self, panel: Panel) -> None:
        if panel.id in self.docks:
            log.error("panel id %r appears twice in PANELS; the second is ignored", panel.id)
            return
        dock = QDockWidget(panel_title(panel), self)
        dock.setObjectName(f"dock_{panel.id}")
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        try:
            widget = panel.factory(self.context, dock)
        except Exception as exc:  # one broken capability must not keep the room from starting
            log.exception("panel %s failed to build", panel.id)
            widget = QLabel(tr("This panel could not start: {reason}", reason=str(exc) or type(exc).__name__), dock)
            widget.setObjectName("panelError")
            widget.setWordWrap(True)
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
        dock.setWidget(self._scrollable(widget, dock))
        self.docks[panel.id] = dock
        self.panel_widgets[panel.id] = widget

    @staticmethod
    def _scrollable(widget: QWidget, dock: QDockWidget) -> QScrollArea:
        """A panel's minimum size must not push the window past the screen: below its
        minimum the panel scrolls instead (a wide toolbar on a narrow dock, a 1080p screen)."""
        area = QScrollArea(dock)
        area.setObjectName("panelScroll")
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setWidget(widget)
        area.setMinimumSize(QSize(120, 80))
        return area

    def _arrange(self, panels: list[Panel]) -> None:
        """Place the docks: one column per area (split), tab partners stacked."""
        placed: set[str] = set()
        waiting: list[tuple[str, str, tuple[str, ...]]] = []
        for panel in panels:
            if panel.id not in self.docks or panel.id in placed:
                continue
            area_name, partners = DEFAULT_PLACEMENT.get(panel.id, (panel.area, ()))
            if area_name not in DOCK_AREAS:
                log.warning("panel %s asks for unknown area %r; using center", panel.id, area_name)
                area_name = "center"
            if any(p in self.docks and p != panel.id for p in partners):
                waiting.append((panel.id, area_name, partners))
            else:
                self._place(panel.id, area_name)
                placed.add(panel.id)
        while waiting:  # tab onto the first partner already placed; chains resolve in turn
            progress = False
            for entry in list(waiting):
                panel_id, _area, partners = entry
                partner = next((p for p in partners if p in placed), None)
                if partner is not None:
                    self.tabifyDockWidget(self.docks[partner], self.docks[panel_id])
                    if self.docks[partner] not in self._raised:
                        self._raised.append(self.docks[partner])
                    placed.add(panel_id)
                    waiting.remove(entry)
                    progress = True
            if not progress:  # partners that wait on each other: the first one stands alone
                panel_id, area_name, _partners = waiting.pop(0)
                self._place(panel_id, area_name)
                placed.add(panel_id)

    def _place(self, panel_id: str, area_name: str) -> None:
        dock = self.docks[panel_id]
        same_area = self._areas.setdefault(area_name, [])
        if same_area:
            orientation = Qt.Orientation.Vertical if area_name in ("left", "right") else Qt.Orientation.Horizontal
            self.addDockWidget(DOCK_AREAS[area_name], dock, orientation)
        else:
            self.addDockWidget(DOCK_AREAS[area_name], dock)
        same_area.append(dock)

    # menus
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(tr("&File"))
        quit_action = QAction(tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        self.view_menu = self.menuBar().addMenu(tr("&View"))
        for dock in self.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        show_all = QAction(tr("Show all panels"), self)
        show_all.triggered.connect(self.show_all_panels)
        self.view_menu.addAction(show_all)
        reset = QAction(tr("Reset layout"), self)
        reset.triggered.connect(self.reset_layout)
        self.view_menu.addAction(reset)
        full_screen = QAction(tr("Full screen"), self)
        full_screen.setShortcut(QKeySequence(Qt.Key.Key_F11))
        full_screen.setCheckable(True)
        full_screen.toggled.connect(lambda on: self.showFullScreen() if on else self.showNormal())
        self.view_menu.addAction(full_screen)

    def show_all_panels(self) -> None:
        for dock in self.docks.values():
            dock.show()

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, LAYOUT_VERSION)
        self.show_all_panels()
        self._apply_default_sizes()
        for dock in self._raised:
            dock.raise_()

    # layout sizes
    def _apply_default_sizes(self) -> None:
        """Proportional sizes, so the default layout fits any screen (1080p or 4K)."""
        width, height = max(self.width(), 800), max(self.height(), 600)
        docks, sizes = [], []
        for area_name in ("left", "right"):
            for dock in self._areas.get(area_name, [])[:1]:
                docks.append(dock)
                sizes.append(round(width * DEFAULT_SHARE[area_name]))
        if docks:
            self.resizeDocks(docks, sizes, Qt.Orientation.Horizontal)
        docks, sizes = [], []
        for area_name in ("center", "bottom"):
            for dock in self._areas.get(area_name, [])[:1]:
                docks.append(dock)
                sizes.append(round(height * DEFAULT_SHARE[area_name]))
        if len(docks) == 2:
            self.resizeDocks(docks, sizes, Qt.Orientation.Vertical)
        column = self._areas.get("right", [])[:len(RIGHT_COLUMN_SHARES)]
        if len(column) > 1:
            self.resizeDocks(column, [round(height * share) for share in RIGHT_COLUMN_SHARES[:len(column)]],
                             Qt.Orientation.Vertical)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            if not self.restored:
                QTimer.singleShot(0, self._first_layout)

    def _first_layout(self) -> None:
        self._apply_default_sizes()
        for dock in self._raised:
            dock.raise_()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closing.emit()  # presentation and flood mode end first: their arrangement is not the operator's
        save_window(self, self._settings)
        super().closeEvent(event)
