"""The cameras' duties, owned by the core: every camera watched, its health shared, PTZ moved
to alarm presets, snapshots recorded, camera clocks checked (controlroom/cameras/clocks.py).

``core.cameras`` holds the ReaderPool the wall's tiles draw from. With `monitor_all` each
camera's sub stream is open from start-up (health for the map, the camera-offline alert and
MQTT; a packet camera's instant replay), whether or not a window shows it. A camera no tile shows
is only demuxed (a demo camera draws nothing): its replay is its packets, or none.
"""

from __future__ import annotations

import logging
from typing import Callable

from controlroom.alerts.model import AlertChanged
from controlroom.cameras.clocks import CameraClocks
from controlroom.cameras.onvif_client import stop_loop
from controlroom.cameras.ptz import PtzService
from controlroom.cameras.snapshots import SnapshotService
from controlroom.cameras.status_mqtt import CameraStatusMqttPublisher, CameraStatusSubscriber
from controlroom.cameras.stream_urls import camera_source_config
from controlroom.cameras.video_reader import HealthMonitor, ReaderPool

log = logging.getLogger(__name__)

Notice = Callable[[str], None]


class CameraService:
    def __init__(self, core, *, monitor_all: bool = True) -> None:
        self.config = camera_source_config(core.config)  # synthetic or none in demos and tests
        self._bus = core.bus
        self._notices: list[Notice] = []
        self.pool = ReaderPool()
        for camera in self.config.cameras if monitor_all else ():
            self.pool.acquire(camera.id, camera.sub_url, camera.backend, "sub")  # held until stop()
        self.monitor = HealthMonitor(self.pool, core.bus).start()
        self.snapshots = SnapshotService(core.data_dir / "snapshots", self.config.site.id, self.config.site.tz,
                                         core.storage)
        if core.commands is None:
            self.ptz = PtzService(self.config, core.access.audit, on_error=lambda _camera, text: self.notify(text))
        else:  # attached: the service moves the cameras and audits it
            from controlroom.cameras.ptz_at_service import PtzAtService

            self.ptz = PtzAtService(self.config, core.commands)
        # alarm presets move cameras where the duties run: each attached console would send them again
        self._unsubscribe = (core.bus.subscribe(AlertChanged, self._on_alert_changed) if core.commands is None
                             else (lambda: None))
        self.status_publisher = CameraStatusMqttPublisher(core.feed, self._health, core.feed.client_id).start()
        self.status = CameraStatusSubscriber(core.feed, core.bus)
        # clocks are asked where the duties run, of the cameras watched there; every console hears
        self.clocks = CameraClocks(self.config, core.feed, self.notify,
                                   check_here=core.commands is None and monitor_all).start()

    # -- notices for the operator --------------------------------------------------------

    def add_notice_listener(self, listener: Notice) -> Callable[[], None]:
        """`listener(text)` for what the operator should read (PTZ failures, camera clocks),
        on the thread that found it; the camera clocks already known drifting are told at once."""
        self._notices.append(listener)
        for text in self.clocks.drifting():
            listener(text)
        return lambda: self._notices.remove(listener) if listener in self._notices else None

    def notify(self, text: str) -> None:
        for listener in list(self._notices):
            try:
                listener(text)
            except Exception:  # a closed view must not stop the next one hearing it
                log.exception("camera notice listener %r failed", listener)

    # -- duties ---------------------------------------------------------------------------

    def _health(self):
        return [(r.camera_id, r.health_snapshot()) for r in self.pool.readers() if r.stream == "sub"]

    def _on_alert_changed(self, change: AlertChanged) -> None:  # engine thread: PtzService only queues
        try:
            self.ptz.on_alert_changed(change)
        except LookupError as exc:
            log.warning("alarm preset not sent: %s", exc)

    def stop(self) -> None:
        self.clocks.stop()
        self._unsubscribe()  # no alarm presets queued to a closed PtzService
        self.status_publisher.stop()
        self.monitor.stop()
        self.ptz.close()
        self.pool.close()  # the read timeout and a second: no PyAV read left running at exit
        self.snapshots.close()
        stop_loop()  # the ONVIF clients' event-loop thread, if any camera was asked anything
