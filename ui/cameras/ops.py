"""Camera operations wired into the running camera wall: PTZ on the maximised tile, evidence
export (a toolbar button and Ctrl+E), adding an ONVIF camera to the commune's config (an
administrator, from the toolbar), camera health on MQTT, alarm presets, and the ONVIF clock check.

`install_camera_ops(context, wall, pool)` is called once by the wall panel's factory. It
publishes ``context.services["ptz"]`` and ``context.services["camera_status"]``. Everything
that talks to the network runs on core threads (PTZ workers, ``camera-status-mqtt``,
``onvif-clock-check``); this module only connects signals and builds widgets.
"""

from __future__ import annotations

import getpass
import logging
import threading
from datetime import datetime, timezone

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtGui import QKeySequence, QShortcut

from controlroom.i18n import tr
from controlroom.access.operators import Operator, Role

log = logging.getLogger(__name__)

CLOCK_CHECK_INTERVAL_S = 3600.0


def current_operator(context) -> Operator:
    """The signed-in operator; before sign-in exists, the OS account as duty officer."""
    operator = context.services.get("operator")
    if isinstance(operator, Operator):
        return operator
    user = getpass.getuser()
    return Operator(user, user, Role.DUTY_OFFICER)


class _Messages(QObject):
    text = pyqtSignal(str)


class CameraOps:
    def __init__(self, context, wall, pool) -> None:
        from controlroom.access.audit import AuditLog
        from controlroom.cameras.ptz import PtzService

        self.context, self.wall, self.pool = context, wall, pool
        core = context.core
        self.config = wall.config
        if not self._real_cameras():  # synthetic/demo streams: never reach for the example cameras' ONVIF hosts
            self.config = self.config.model_copy(update={"cameras": [
                c.model_copy(update={"onvif": None}) for c in self.config.cameras]})
        storage = getattr(core, "storage", None)
        self.audit = AuditLog(storage, self.config.site.id) if storage is not None else None
        self.messages = _Messages()
        self.messages.text.connect(wall._show_message)  # the wall's own message line
        self.ptz = PtzService(self.config, self.audit, on_error=lambda cam, text: self.messages.text.emit(text))
        context.services["ptz"] = self.ptz
        self._ptz_controller = None
        self._ptz_camera = None
        self._timer = QTimer(wall, interval=400, timeout=self._follow_max_tile)
        self._timer.start()
        self._shortcut = QShortcut(QKeySequence("Ctrl+E"), wall, activated=self.export_evidence)
        wall.add_toolbar_button(tr("Evidence…"), self.export_evidence,
                                tr("Export a signed snapshot or clip of the selected camera (Ctrl+E)"))
        if context.config_path is not None:  # the bundled demo config is not edited
            wall.add_toolbar_button(tr("Add camera…"), self.add_camera,
                                    tr("Find an ONVIF camera on the network and add it to the configuration"))
        self.status_publisher = None
        self.status_subscriber = None
        feed = getattr(core, "feed", None)
        bus = getattr(core, "bus", None)
        if feed is not None:
            from controlroom.cameras.status_mqtt import CameraStatusMqttPublisher, CameraStatusSubscriber

            def health():
                return [(r.camera_id, r.health_snapshot()) for r in pool.readers() if r.stream == "sub"]

            self.status_publisher = CameraStatusMqttPublisher(feed, health, feed.client_id).start()
            self.status_subscriber = CameraStatusSubscriber(feed, bus)
            context.services["camera_status"] = self.status_subscriber
        self._unsubscribe_alerts = None
        if bus is not None:
            from controlroom.domain import RoomAlertMessage

            self._unsubscribe_alerts = bus.subscribe(RoomAlertMessage, self._on_room_alert)
        self._stop = threading.Event()
        self._clock_thread = threading.Thread(target=self._check_clocks_every, args=(CLOCK_CHECK_INTERVAL_S,),
                                              name="onvif-clock-check", daemon=True)
        self._clock_thread.start()

    @staticmethod
    def _real_cameras() -> bool:
        import os

        from controlroom.cameras.stream_urls import CAMERA_SOURCE_ENV

        return os.environ.get(CAMERA_SOURCE_ENV, "config").strip().lower() == "config"

    def _on_room_alert(self, message) -> None:  # bus thread: PtzService only queues
        try:
            self.ptz.on_room_alert(message)
        except LookupError as exc:
            log.warning("alarm preset not sent: %s", exc)

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

            self._ptz_controller = PtzTileController(tile, self.ptz, camera_id, lambda: current_operator(self.context))

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

        dialog = EvidenceDialog(camera.id, camera.name, current_operator(self.context), self.config.site.tz,
                                self.config.site.id, snapshot, clip if replay is not None else None,
                                data_dir() / "evidence_exports", audit=self.audit, parent=self.wall)
        dialog.resize(760, 520)
        dialog.open()

    # --- adding a camera ------------------------------------------------------------------------

    def add_camera(self) -> None:
        """The discovery dialog, for an administrator: it appends to the commune's config file."""
        from controlroom.ui.cameras.discovery_dialog import CameraDiscoveryDialog

        operator = current_operator(self.context)
        if not operator.may("config.change"):
            self.wall._show_message(tr("Only an administrator can add cameras (signed in: {name}, {role})",
                                       name=operator.display_name, role=operator.role.label))
            return
        dialog = CameraDiscoveryDialog(self.config, self.context.config_path, parent=self.wall)
        dialog.saved.connect(lambda result: self._record_camera_added(operator, dialog.camera_id.text().strip(), result))
        dialog.open()

    def _record_camera_added(self, operator: Operator, camera_id: str, result) -> None:
        if self.audit is not None and not isinstance(result, BaseException):  # a failed write says so in the dialog
            self.audit.record(operator.username, "config.camera_added", str(result), {"camera_id": camera_id})

    # --- clocks -------------------------------------------------------------------------------

    def _check_clocks_every(self, interval_s: float) -> None:
        """At start, then every `interval_s`: a camera clock drifts slowly, not once."""
        while True:
            self._check_clocks()
            if self._stop.wait(interval_s):
                return

    def _check_clocks(self) -> None:
        from controlroom.cameras.onvif_client import OnvifError, check_clock, onvif_available
        from controlroom.cameras.ptz import default_camera_factory

        cameras = [c for c in self.config.cameras if c.onvif is not None]
        if not cameras or not onvif_available():
            return
        for camera in cameras:
            if self._stop.is_set():
                return
            client = None
            try:
                client = default_camera_factory(camera)
                result = check_clock(client, camera.onvif.max_clock_drift_s)
                if result.drifting:
                    log.warning("%s", result.message(camera.name))
                    self.messages.text.emit(result.message(camera.name))
            except OnvifError as exc:
                log.info("clock check of %s skipped: %s", camera.id, exc)
            finally:
                if client is not None:
                    client.close()

    def close(self) -> None:
        self._stop.set()
        if self._unsubscribe_alerts is not None:  # no alarm presets queued to a closed PtzService
            self._unsubscribe_alerts()
            self._unsubscribe_alerts = None
        self._timer.stop()
        if self.status_publisher is not None:
            self.status_publisher.stop()
        self.ptz.close()
        self._clock_thread.join(timeout=1.0)  # an ONVIF call in flight may hold it longer; it is a daemon


def install_camera_ops(context, wall, pool) -> CameraOps:
    ops = CameraOps(context, wall, pool)
    context.on_shutdown(ops.close)
    return ops
