"""PTZ control (điều khiển quay/quét/zoom): role check, audit, one worker per camera, home return.

The GUI calls `PtzService` methods on its own thread; they check the operator's role
(``camera.ptz``) in the core — a viewer is refused even if a widget forgot to hide a button —,
record the action in the audit log, and hand the command to the camera's worker thread
(``ptz-<camera id>``), which talks ONVIF. Continuous moves are latest-wins: a burst of
velocity updates from a mouse drag collapses to the newest one, so a slow camera never
replays a backlog after the operator let go. After `home_after_s` without an operator
command the worker sends the camera home. An alarm that pops a camera up and names a preset
for its source (``onvif.alarm_presets``) moves the camera there.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Callable

from controlroom.alerts.episodes import EpisodeMemory
from controlroom.alerts.model import AlertChanged
from controlroom.config import CameraConfig, Config
from controlroom.access.operators import SYSTEM, Operator, authorize

log = logging.getLogger(__name__)


@dataclass
class _Command:
    kind: str  # move | stop | preset | save | home | presets
    args: tuple = ()
    future: Future | None = None


def default_camera_factory(camera: CameraConfig):
    from controlroom.cameras.onvif_client import OnvifCamera

    onvif = camera.onvif
    password = os.environ.get(onvif.password_env, "") if onvif.password_env else ""
    return OnvifCamera(onvif.host, onvif.port, onvif.user, password)


class _CameraWorker:
    """One camera's command thread. Moves are latest-wins; other commands queue in order."""

    def __init__(self, camera: CameraConfig, factory: Callable, on_error: Callable[[str, str], None],
                 audit_home: Callable[[str], None]) -> None:
        self.camera = camera
        self._factory = factory
        self._client = None
        self._profile = camera.onvif.profile if camera.onvif else ""
        self._on_error = on_error
        self._audit_home = audit_home
        self._cond = threading.Condition()
        self._queue: list[_Command] = []
        self._move: _Command | None = None
        self._stop = False
        self._last_operator = None  # monotonic time of the last operator command
        self._away_from_home = False
        self.home_after_s = camera.onvif.home_after_s if camera.onvif else 0.0
        self.sent: list[str] = []  # kinds sent, newest last (bounded; for status and tests)
        self._thread = threading.Thread(target=self._run, name=f"ptz-{camera.id}", daemon=True)
        self._thread.start()

    def submit(self, command: _Command, operator_action: bool = True) -> None:
        with self._cond:
            if command.kind == "move":
                self._move = command
            else:
                if command.kind == "stop":
                    self._move = None
                self._queue.append(command)
            if operator_action:
                self._last_operator = time.monotonic()
                if command.kind in ("move", "preset"):
                    self._away_from_home = True
                elif command.kind == "home":
                    self._away_from_home = False
            self._cond.notify()

    def close(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(timeout)
        if self._client is not None:
            self._client.close()

    def _home_due_in(self) -> float | None:
        if not self.home_after_s or not self._away_from_home or self._last_operator is None:
            return None
        return self._last_operator + self.home_after_s - time.monotonic()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stop and not self._queue and self._move is None:
                    due = self._home_due_in()
                    if due is not None and due <= 0:
                        self._away_from_home = False
                        self._queue.append(_Command("home", ("idle",)))
                        break
                    self._cond.wait(None if due is None else max(0.05, due))
                if self._stop:
                    return
                if self._move is not None:
                    command, self._move = self._move, None
                else:
                    command = self._queue.pop(0)
            self._execute(command)

    def _execute(self, command: _Command) -> None:
        from controlroom.cameras.onvif_client import OnvifError

        try:
            if self._client is None:
                self._client = self._factory(self.camera)
            if not self._profile:
                self._profile = self._client.profiles()[0].token
            result = None
            if command.kind == "move":
                self._client.continuous_move(self._profile, *command.args)
            elif command.kind == "stop":
                self._client.stop(self._profile)
            elif command.kind == "home":
                self._client.goto_home(self._profile)
                if command.args and command.args[0] == "idle":
                    self._audit_home(self.camera.id)
            elif command.kind == "preset":
                result = self._goto_preset(command.args[0])
            elif command.kind == "save":
                result = self._save_preset(command.args[0])
            elif command.kind == "presets":
                result = self._client.presets(self._profile)
            self.sent.append(command.kind)
            del self.sent[:-50]
            if command.future is not None:
                command.future.set_result(result)
        except (OnvifError, LookupError) as exc:
            log.warning("PTZ %s on %s failed: %s", command.kind, self.camera.id, exc)
            self._on_error(self.camera.id, str(exc))
            if command.future is not None:
                command.future.set_exception(exc)

    def _find_preset(self, name: str):
        presets = self._client.presets(self._profile)
        wanted = name.strip().casefold()
        return next((p for p in presets if p.token == name or p.name.strip().casefold() == wanted), None)

    def _goto_preset(self, name: str) -> str:
        from controlroom.i18n import tr

        preset = self._find_preset(name)
        if preset is None:
            raise LookupError(tr("camera {camera} has no preset named {name}", camera=self.camera.name, name=name))
        self._client.goto_preset(self._profile, preset.token)
        return preset.token

    def _save_preset(self, name: str) -> str:
        existing = self._find_preset(name)
        return self._client.set_preset(self._profile, name, existing.token if existing else None)


class PtzService:
    """PTZ for every camera with an `onvif` block and `ptz = true`."""

    def __init__(self, config: Config, audit=None, camera_factory: Callable | None = None,
                 on_error: Callable[[str, str], None] | None = None) -> None:
        self.config = config
        self._audit = audit
        self._factory = camera_factory or default_camera_factory
        self._on_error = on_error or (lambda camera_id, message: None)
        self._workers: dict[str, _CameraWorker] = {}
        self._lock = threading.Lock()
        self._moving: set[str] = set()
        self._alarm_episodes = EpisodeMemory()

    def cameras(self) -> list[CameraConfig]:
        return [c for c in self.config.cameras if c.ptz and c.onvif is not None]

    def supports(self, camera_id: str) -> bool:
        return any(c.id == camera_id for c in self.cameras())

    def _worker(self, camera_id: str) -> _CameraWorker:
        with self._lock:
            worker = self._workers.get(camera_id)
            if worker is None:
                camera = next((c for c in self.cameras() if c.id == camera_id), None)
                if camera is None:
                    from controlroom.i18n import tr

                    raise LookupError(tr("camera {camera} has no PTZ", camera=camera_id))
                worker = _CameraWorker(camera, self._factory, self._on_error, self._record_home)
                self._workers[camera_id] = worker
            return worker

    def _record(self, operator: Operator, action: str, camera_id: str, detail: dict | None = None) -> None:
        if self._audit is not None:
            self._audit.record(operator.username, action, f"camera/{camera_id}", detail or {})

    def _record_home(self, camera_id: str) -> None:
        self._record(SYSTEM, "camera.ptz.home", camera_id, {"reason": "idle"})

    # --- operator commands (GUI thread; never block) ------------------------------------------

    def move(self, operator: Operator, camera_id: str, pan: float, tilt: float, zoom: float = 0.0) -> None:
        """Continuous velocity in [-1, 1] per axis; audited once per gesture, not per update."""
        authorize(operator, "camera.ptz")
        clamp = lambda v: max(-1.0, min(1.0, float(v)))  # noqa: E731
        worker = self._worker(camera_id)
        if camera_id not in self._moving:
            self._moving.add(camera_id)
            self._record(operator, "camera.ptz.move", camera_id, {"pan": round(pan, 2), "tilt": round(tilt, 2), "zoom": round(zoom, 2)})
        worker.submit(_Command("move", (clamp(pan), clamp(tilt), clamp(zoom))))

    def stop(self, operator: Operator, camera_id: str) -> None:
        authorize(operator, "camera.ptz")
        self._moving.discard(camera_id)
        self._worker(camera_id).submit(_Command("stop"))

    def goto_preset(self, operator: Operator, camera_id: str, name: str) -> Future:
        authorize(operator, "camera.ptz")
        future: Future = Future()
        self._record(operator, "camera.ptz.preset", camera_id, {"preset": name})
        self._worker(camera_id).submit(_Command("preset", (name,), future), operator_action=operator is not SYSTEM)
        return future

    def save_preset(self, operator: Operator, camera_id: str, name: str) -> Future:
        authorize(operator, "camera.ptz")
        future: Future = Future()
        self._record(operator, "camera.ptz.save_preset", camera_id, {"preset": name})
        self._worker(camera_id).submit(_Command("save", (name,), future))
        return future

    def goto_home(self, operator: Operator, camera_id: str) -> None:
        authorize(operator, "camera.ptz")
        self._record(operator, "camera.ptz.home", camera_id, {})
        self._worker(camera_id).submit(_Command("home"))

    def presets(self, camera_id: str) -> Future:
        """The camera's presets (reading them needs no role)."""
        future: Future = Future()
        self._worker(camera_id).submit(_Command("presets", (), future), operator_action=False)
        return future

    # --- alarms -------------------------------------------------------------------------------

    def on_alert_changed(self, change: AlertChanged) -> list[tuple[str, str]]:
        """Bus callback: a newly active, unacknowledged alert whose source a camera lists in
        `onvif.alarm_presets` moves that camera to the preset (once per raise, so a re-delivery
        does not move it again). Returns the (camera, preset) pairs it sent."""
        alert = change.alert
        if change.removed:
            self._alarm_episodes.forget(alert.id)
            return []
        if not alert.active or alert.acked or not self._alarm_episodes.first_time(alert):
            return []
        sent = []
        for camera in self.cameras():
            for prefix, preset in camera.onvif.alarm_presets.items():
                if alert.source == prefix or alert.source.startswith(prefix.rstrip("/") + "/"):
                    self.goto_preset(SYSTEM, camera.id, preset)
                    sent.append((camera.id, preset))
                    break
        return sent

    def close(self) -> None:
        with self._lock:
            workers, self._workers = list(self._workers.values()), {}
        for worker in workers:
            worker.close()
