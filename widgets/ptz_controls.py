"""On-tile PTZ controls: a direction pad, zoom, presets and home over a camera tile, plus
keyboard (arrows, +/-, Home), mouse drag (speed grows with the drag distance) and wheel zoom
on the tile itself; every gesture stops the camera on release.

The widget only translates gestures into calls on a `PtzService` (controlroom.cameras.ptz): the role
check, the audit entry and the ONVIF traffic happen there, off the GUI thread. A refused
command (a viewer) shows the core's message on the overlay. Run on its own for a look:
``python -m controlroom.widgets.ptz_controls``.
"""

from __future__ import annotations

import logging
from typing import Callable

from PyQt6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QKeyEvent
from PyQt6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QInputDialog, QLabel, QPushButton, QSizePolicy,
                             QVBoxLayout, QWidget)

from controlroom.i18n import tr
from controlroom.access.operators import PermissionDenied
from controlroom.widgets.role_gate import gate

log = logging.getLogger(__name__)

KEY_VECTORS = {Qt.Key.Key_Left: (-1, 0, 0), Qt.Key.Key_Right: (1, 0, 0), Qt.Key.Key_Up: (0, 1, 0),
               Qt.Key.Key_Down: (0, -1, 0), Qt.Key.Key_Plus: (0, 0, 1), Qt.Key.Key_Equal: (0, 0, 1),
               Qt.Key.Key_Minus: (0, 0, -1)}
DRAG_FULL_SPEED_PX = 160  # a drag this long moves at full speed
WHEEL_PULSE_MS = 250  # one wheel notch zooms this long, then stops

STYLE = """
QWidget#ptzPanel { background: rgba(18, 22, 28, 200); border-radius: 8px; }
QWidget#ptzPanel QPushButton { background: rgba(255,255,255,30); color: white; border: 1px solid rgba(255,255,255,60);
    border-radius: 6px; min-width: 34px; min-height: 30px; font-size: 15px; font-weight: bold; padding: 0 6px; }
QWidget#ptzPanel QPushButton:pressed { background: rgba(61,139,253,200); }
QWidget#ptzPanel QComboBox { min-width: 140px; color: white; background: rgba(255,255,255,30); border: 1px solid rgba(255,255,255,60);
    border-radius: 6px; min-height: 28px; padding: 0 6px; }
QWidget#ptzPanel QLabel { color: #ffcc80; font-size: 15px; font-weight: bold; }
"""


class PtzControls(QWidget):
    """The overlay panel. `operator()` returns the signed-in Operator (asked per command)."""

    presets_loaded = pyqtSignal(list)
    failed = pyqtSignal(str)

    def __init__(self, service, camera_id: str, operator: Callable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ptzPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        self.service = service
        self.camera_id = camera_id
        self._operator = operator
        self._moving = False
        self._drag_origin: QPoint | None = None
        self._wheel_stop = QTimer(self, singleShot=True, interval=WHEEL_PULSE_MS, timeout=self.stop)

        pad = QGridLayout()
        pad.setSpacing(3)
        for (row, col), (text, vector, tip) in {
            (0, 1): ("▲", (0, 1, 0), tr("Tilt up")), (1, 0): ("◀", (-1, 0, 0), tr("Pan left")),
            (1, 2): ("▶", (1, 0, 0), tr("Pan right")), (2, 1): ("▼", (0, -1, 0), tr("Tilt down")),
        }.items():
            pad.addWidget(self._hold_button(text, vector, tip), row, col)
        home = QPushButton("⌂")
        home.setToolTip(tr("Home position"))
        home.clicked.connect(self.home)
        pad.addWidget(home, 1, 1)
        zoom = QVBoxLayout()
        zoom.setSpacing(3)
        for text, vector, tip in (("+", (0, 0, 1), tr("Zoom in")), ("−", (0, 0, -1), tr("Zoom out"))):
            button = self._hold_button(text, vector, tip)
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            zoom.addWidget(button)
        top = QHBoxLayout()
        top.addLayout(pad)
        top.addStretch(1)
        top.addLayout(zoom)

        self.presets = QComboBox()
        self.presets.setToolTip(tr("Presets of this camera"))
        self.presets.setPlaceholderText(tr("Preset…"))
        self.presets.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        go = QPushButton(tr("Go"))
        go.setToolTip(tr("Turn the camera to the chosen preset"))
        go.clicked.connect(self.goto_selected)
        save = QPushButton(tr("Save…"))
        save.setToolTip(tr("Save the current view as a named preset"))
        save.clicked.connect(self.ask_save)
        row = QHBoxLayout()
        row.addWidget(self.presets, 1)
        row.addWidget(go)
        row.addWidget(save)

        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.hide()
        # Owned by the widget, so it dies with it (a free singleShot would fire on a deleted label).
        self._message_timer = QTimer(self, singleShot=True, interval=6000, timeout=self.message.hide)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.presets_loaded.connect(self._show_presets)
        self.failed.connect(self.show_message)

    def apply_role(self, operator) -> None:
        """Disabled, with the reason as every button's tooltip, for a role that may not move it."""
        gate(operator, [(widget, "camera.ptz") for widget in self.findChildren(QPushButton) + [self.presets]])

    def _hold_button(self, text: str, vector: tuple, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.pressed.connect(lambda v=vector: self.move_camera(*v))
        button.released.connect(self.stop)
        return button

    # --- commands -----------------------------------------------------------------------------

    def _call(self, fn, *args):
        try:
            return fn(self._operator(), self.camera_id, *args)
        except PermissionDenied as exc:
            self.show_message(str(exc))
        except LookupError as exc:
            self.show_message(str(exc))
        return None

    def move_camera(self, pan: float, tilt: float, zoom: float = 0.0, speed: float = 0.6) -> None:
        """Continuous move (not QWidget.move: that places the panel)."""
        self._moving = True
        self._call(self.service.move, pan * speed, tilt * speed, zoom * speed)

    def stop(self) -> None:
        if self._moving:
            self._moving = False
            self._call(self.service.stop)

    def home(self) -> None:
        self._call(self.service.goto_home)

    def goto_selected(self) -> None:
        name = self.presets.currentText().strip()
        if name:
            self._watch(self._call(self.service.goto_preset, name))

    def ask_save(self) -> None:
        name, ok = QInputDialog.getText(self, tr("Save preset"), tr("Preset name (e.g. river gauge, bridge):"))
        if ok and name.strip():
            future = self._call(self.service.save_preset, name.strip())
            if future is not None:
                future.add_done_callback(lambda f: self.refresh_presets() if f.exception() is None
                                         else self.failed.emit(str(f.exception())))

    def _watch(self, future) -> None:
        if future is not None:
            future.add_done_callback(lambda f: f.exception() is not None and self.failed.emit(str(f.exception())))

    def refresh_presets(self) -> None:
        """Ask the camera for its presets (worker thread); the combo fills in when they come."""
        future = self.service.presets(self.camera_id)
        future.add_done_callback(lambda f: self.presets_loaded.emit([p.name for p in f.result()]) if f.exception() is None
                                 else self.failed.emit(str(f.exception())))

    def _show_presets(self, names: list) -> None:
        current = self.presets.currentText()
        self.presets.clear()
        self.presets.addItems(names)
        if current in names:
            self.presets.setCurrentText(current)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.adjustSize()
        self._message_timer.start()  # a newer message restarts the 6 s

    # --- gestures on the tile -----------------------------------------------------------------

    def handle_key(self, event: QKeyEvent, pressed: bool) -> bool:
        if event.key() == Qt.Key.Key_Home and pressed:
            self.home()
            return True
        vector = KEY_VECTORS.get(Qt.Key(event.key()))
        if vector is None:
            return False
        if event.isAutoRepeat():
            return True
        if pressed:
            self.move_camera(*vector)
        else:
            self.stop()
        return True

    def drag(self, origin: QPoint, now: QPoint) -> None:
        dx, dy = now.x() - origin.x(), origin.y() - now.y()
        scale = lambda d: max(-1.0, min(1.0, d / DRAG_FULL_SPEED_PX))  # noqa: E731
        self.move_camera(scale(dx), scale(dy), 0.0, speed=1.0)

    def wheel(self, steps: float) -> None:
        if steps:
            self.move_camera(0, 0, 1 if steps > 0 else -1)
            self._wheel_stop.start()


class PtzTileController(QObject):
    """Puts `PtzControls` in a corner of a tile and turns the tile's keyboard, drag and
    wheel events into PTZ commands (left drag; right click stays the tile's menu)."""

    def __init__(self, tile: QWidget, service, camera_id: str, operator: Callable) -> None:
        super().__init__(tile)
        self.tile = tile
        self.controls = PtzControls(service, camera_id, operator, tile)
        self.controls.adjustSize()
        self._origin: QPoint | None = None
        self._unit = 0
        tile.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        tile.installEventFilter(self)
        self._place()
        self.controls.show()
        self.controls.refresh_presets()

    def _place(self) -> None:
        unit = self.tile.unit() if hasattr(self.tile, "unit") else 14
        if unit != self._unit:  # controls grow with the tile (readable on a 65-inch wall)
            self._unit = unit
            self.controls.setStyleSheet(STYLE.replace("font-size: 15px", f"font-size: {max(13, unit)}px")
                                        .replace("min-width: 34px", f"min-width: {max(34, unit * 2)}px")
                                        .replace("min-height: 30px", f"min-height: {max(30, int(unit * 1.8))}px")
                                        .replace("min-height: 28px", f"min-height: {max(28, int(unit * 1.8))}px")
                                        + f"QWidget#ptzPanel QComboBox {{ font-size: {max(13, unit)}px; min-width: {max(140, unit * 9)}px; }}")
        margin = 8
        self.controls.ensurePolished()
        self.controls.adjustSize()
        size = self.controls.sizeHint()
        self.controls.resize(size)
        self.controls.move(self.tile.width() - size.width() - margin, margin)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        kind = event.type()
        if kind == QEvent.Type.Resize:
            self._place()
        elif kind == QEvent.Type.KeyPress:
            return self.controls.handle_key(event, True)
        elif kind == QEvent.Type.KeyRelease:
            return self.controls.handle_key(event, False)
        elif kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self._origin = event.position().toPoint()
        elif kind == QEvent.Type.MouseMove and self._origin is not None:
            if (event.position().toPoint() - self._origin).manhattanLength() > 6:
                self.controls.drag(self._origin, event.position().toPoint())
                return True
        elif kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            self._origin = None
            self.controls.stop()
        elif kind == QEvent.Type.Wheel:
            self.controls.wheel(event.angleDelta().y())
            return True
        return False
