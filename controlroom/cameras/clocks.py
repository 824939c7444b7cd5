"""Camera clocks, checked once where the duties run and told to every console.

A camera whose clock drifts stamps wrong times on its evidence. The process that owns the
camera duties (the site's service, or a console running without one) asks each ONVIF camera it
watches for its clock at start and then hourly, and publishes the result retained on
`room/camera_clocks` (MQTT 5 expiry: two checks, so a stopped service's result fades). Every
process, the checker included, turns the cameras that drift into notices for the operator in
its own language (an attached console says the offset is against the service's clock, the PC
that asked); attached consoles no longer ask the cameras themselves.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timezone
from typing import Callable

from controlroom.cameras.onvif_client import ClockCheck

log = logging.getLogger(__name__)

TOPIC = "room/camera_clocks"
CHECK_INTERVAL_S = 3600.0


class CameraClocks:
    """`check_here`: this process asks the cameras (it owns the duties and watches them);
    otherwise it only listens. `notify(text)` is called for each drifting camera."""

    def __init__(self, config, feed, notify: Callable[[str], None], *, check_here: bool,
                 interval_s: float = CHECK_INTERVAL_S) -> None:
        self._names = {camera.id: camera.name for camera in config.cameras}
        self.checks_here = check_here
        self._cameras = [c for c in config.cameras if c.onvif is not None] if check_here else []
        self._feed = feed
        self._notify = notify
        self._interval_s = interval_s
        self._told: dict[str, ClockCheck] = {}  # drifting camera -> its check last told (a repeat is not news)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        feed.subscribe_extra(TOPIC, self._on_message)

    def start(self) -> "CameraClocks":
        if self._cameras:
            self._thread = threading.Thread(target=self._check_every, name="onvif-clock-check", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)  # an ONVIF call in flight may hold it longer; it is a daemon

    # -- the checker -----------------------------------------------------------------------

    def _check_every(self) -> None:
        """At start, then every interval: a camera clock drifts slowly, not once."""
        while True:
            results = self.check_all()
            if results is not None:
                self._feed.publish(TOPIC, results, qos=1, retain=True, expiry_s=2 * self._interval_s)
            if self._stop.wait(self._interval_s):
                return

    def check_all(self) -> dict | None:
        """Blocking: every watched ONVIF camera's offset; None if ONVIF is not installed."""
        from controlroom.cameras.onvif_client import OnvifError, check_clock, onvif_available
        from controlroom.cameras.ptz import default_camera_factory

        if not onvif_available():
            return None
        checked = []
        for camera in self._cameras:
            if self._stop.is_set():
                break
            client = None
            try:
                client = default_camera_factory(camera)
                result = check_clock(client, camera.onvif.max_clock_drift_s)
                checked.append({"camera": camera.id, "offset_s": round(result.offset_s, 1), "limit_s": result.limit_s})
            except OnvifError as exc:
                log.info("clock check of %s skipped: %s", camera.id, exc)
            finally:
                if client is not None:
                    client.close()
        return {"checked_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "cameras": checked}

    # -- every process -----------------------------------------------------------------------

    def _on_message(self, topic: str, payload: bytes) -> None:  # network thread
        if not payload:
            return
        try:
            entries = json.loads(payload)["cameras"]
            checks = {e["camera"]: ClockCheck(float(e["offset_s"]), float(e["limit_s"])) for e in entries}
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("camera clocks on %s not understood: %s", topic, exc)
            return
        for camera_id, check in checks.items():
            with self._lock:
                told = self._told.get(camera_id)
                news = check.drifting and (told is None or abs(told.offset_s - check.offset_s) >= check.limit_s)
                if news:
                    self._told[camera_id] = check
                elif not check.drifting:
                    self._told.pop(camera_id, None)
            if news:
                text = check.message(self._names.get(camera_id, camera_id), by_service=not self.checks_here)
                log.warning("%s", text)
                self._notify(text)

    def drifting(self) -> list[str]:
        """What a view opened later should still read: each drifting camera's notice."""
        with self._lock:
            return [check.message(self._names.get(cid, cid), by_service=not self.checks_here) for cid, check in self._told.items()]
