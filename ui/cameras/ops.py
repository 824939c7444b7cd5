"""Camera operations on the running camera wall: PTZ controls on the maximised tile, evidence
export (a toolbar button and Ctrl+E), adding an ONVIF camera to the commune's config (an
administrator, from the toolbar), and the cameras' notices (PTZ failures, camera clocks) on
the wall's message line.

`install_camera_ops(context, wall)` is called once by the wall panel's factory. The duties
behind it (PTZ workers, alarm presets, health on MQTT, clock checks) belong to
``core.cameras``; this module only connects signals and builds widgets.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtGui import QKeySequence, QShortcut

from controlroom.i18n import tr
from controlroom.access.operators import Operator, PermissionDenied
from controlroom.widgets.role_gate import gate, refusal

log = logging.getLogger(__name__)

class _Messages(QObject):
    text = pyqtSignal(str)


class CameraOps:
    def __init__(self, context, wall) -> None:
        self.context, self.wall = context, wall
        cameras = context.core.cameras
        self.pool = cameras.pool
        self.ptz = cameras.ptz
        self.config = cameras.config
        self.audit = context.core.access.audit
        self.messages = _Messages()
        self.messages.text.connect(wall._show_message)  # the wall's own message line
        self._remove_notices = cameras.add_notice_listener(self.messages.text.emit)  # any thread: queued
        self._ptz_controller = None
        self._ptz_camera = None
        self._timer = QTimer(wall, interval=400, timeout=self._follow_max_tile)
        self._timer.start()
        self._shortcut = QShortcut(QKeySequence("Ctrl+E"), wall, activated=self.export_evidence)
        tip = tr("Export a signed snapshot or clip of the selected camera (Ctrl+E)")
        self._role_buttons = [(wall.add_toolbar_button(tr("Evidence…"), self.export_evidence, tip), "evidence.export")]
        if context.config_path is not None:  # the bundled demo config is not edited
            tip = tr("Find an ONVIF camera on the network and add it to the configuration")
            self._role_buttons.append((wall.add_toolbar_button(tr("Add camera…"), self.add_camera, tip), "config.change"))
        context.session.changed.connect(self._apply_role)
        context.session.locked_changed.connect(self._apply_role)
        self._apply_role()

    def _operator(self) -> Operator:
        return self.context.session.acting_operator()

    def _apply_role(self, *_args) -> None:
        """What the acting operator's role cannot do is disabled, the reason in its tooltip
        (a viewer learns it before a dialog, not after filling one in)."""
        operator = self._operator()
        gate(operator, self._role_buttons)
        self.wall.refuse_exports(refusal(operator, "camera.export"))
        if self._ptz_controller is not None:
            self._ptz_controller.controls.apply_role(operator)

    # --- PTZ on the maximised tile ------------------------------------------------------------

    def _follow_max_tile(self) -> None:
        tile = self.wall.max_tile
        camera = tile.camera if tile.isVisible() else None
        camera_id = camera.id if camera is not None and self.ptz.supports(camera.id) else None
        if camera_id == self._ptz_camera:
            return
        self._ptz_camera = camera_id
        if self._ptz_controller is not None:
            tile.removeEventFilter(self._ptz_controller)
            self._ptz_controller.controls.deleteLater()
            self._ptz_controller.deleteLater()
            self._ptz_controller = None
        if camera_id is not None:
            from controlroom.widgets.ptz_controls import PtzTileController

            self._ptz_controller = PtzTileController(tile, self.ptz, camera_id, self._operator)
            self._ptz_controller.controls.apply_role(self._operator())

    # --- evidence -----------------------------------------------------------------------------

    def _evidence_camera(self):
        index = self.wall.maximised_index
        index = self.wall.selected if index is None else index
        return self.wall.camera_in(index)

    def export_evidence(self) -> None:
        from controlroom.cameras.evidence import clip_frames_from_replay
        from controlroom.paths import data_dir
        from controlroom.cameras.replay_buffer import ReplayError
        from controlroom.ui.cameras.evidence_dialog import EvidenceDialog

        operator = self._operator()
        if not operator.may("evidence.export"):  # Ctrl+E by a viewer: say why, open nothing
            self.wall._show_message(str(PermissionDenied(operator, "evidence.export")))
            return
        camera = self._evidence_camera()
        if camera is None:
            self.wall._show_message(tr("Select a camera tile first"))
            return
        reader = self.pool.get(camera.id, "main") or self.pool.get(camera.id, "sub")
        sub = self.pool.get(camera.id, "sub")
        replay = getattr(sub, "replay", None)

        def snapshot():
            frame = reader.latest_full() if reader is not None else None
            if frame is None:
                raise LookupError(tr("no picture from this camera yet"))
            return frame

        def clip(seconds: float):
            import time

            try:
                return clip_frames_from_replay(replay.clip(seconds), time.monotonic(), datetime.now(timezone.utc))
            except ReplayError as exc:
                raise LookupError(str(exc)) from exc

        ring = self.pool.packets(camera.id, "main") or self.pool.packets(camera.id, "sub")

        def packet_clip(seconds: float):
            found = ring.clip(datetime.now(timezone.utc) - timedelta(seconds=seconds))
            if not found.packets:
                raise LookupError(tr("no picture from this camera yet"))
            return found

        dialog = EvidenceDialog(camera.id, camera.name, operator, self.config.site.tz,
                                self.config.site.id, snapshot, clip if replay is not None else None,
                                data_dir() / "evidence_exports", audit=self.audit, parent=self.wall,
                                packet_clip=packet_clip if ring is not None else None)
        dialog.resize(760, 520)
        dialog.open()

    # --- adding a camera ------------------------------------------------------------------------

    def add_camera(self) -> None:
        """The discovery dialog, for an administrator: it appends to the commune's config file."""
        from controlroom.cameras.add_to_config import append_camera
        from controlroom.ui.cameras.discovery_dialog import CameraDiscoveryDialog

        operator = self._operator()
        if not operator.may("config.change"):
            self.wall._show_message(tr("Only an administrator can add cameras (signed in: {name}, {role})",
                                       name=operator.display_name, role=operator.role.label))
            return
        commands = self.context.core.commands
        if commands is not None:  # attached: the service keeps the commune's file, checks the role, audits
            def add(fields: dict) -> str:
                return commands.send("config.add_camera", fields).result(timeout=60)["path"]
        else:
            def add(fields: dict) -> Path:
                return append_camera(self.context.config_path, fields)
        dialog = CameraDiscoveryDialog(self.config, add, parent=self.wall)
        if commands is None:
            dialog.saved.connect(lambda result: self._record_camera_added(operator, dialog.camera_id.text().strip(), result))
        dialog.open()

    def _record_camera_added(self, operator: Operator, camera_id: str, result) -> None:
        if not isinstance(result, BaseException):  # a failed write says so in the dialog
            self.audit.record(operator.username, "config.camera_added", camera_id, {"file": str(result)})

    def close(self) -> None:
        for signal in (self.context.session.changed, self.context.session.locked_changed):
            try:
                signal.disconnect(self._apply_role)
            except TypeError:
                pass
        self._remove_notices()
        self._timer.stop()


def install_camera_ops(context, wall) -> CameraOps:
    ops = CameraOps(context, wall)
    context.on_shutdown(ops.close)
    return ops
