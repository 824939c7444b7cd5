"""One site's service: the core with every duty (cameras watched), presence and health on
MQTT, and the command channel. Started and stopped in a safe order."""

from __future__ import annotations

import logging
import re
import socket
from pathlib import Path

from controlroom.config import Config
from controlroom.core import ControlRoomCore
from controlroom.broadcast.job_payload import JOB_TOPIC, JOB_TTL_S, job_to_payload
from controlroom.broadcast.service import BroadcastUpdate
from controlroom.flood.bulletins_at_service import CHANGED_TOPIC as BULLETIN_CHANGED_TOPIC
from controlroom.service.commands import CommandChannel
from controlroom.service.health import HealthPublisher
from controlroom.service.live_digest import LiveDigest
from controlroom.storage.queries import latest_readings

log = logging.getLogger(__name__)


def service_client_id(config: Config) -> str:
    """The service's own MQTT session, apart from any console's on the same PC."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"controlroom-service-{config.site.id}-{socket.gethostname()}")[:64]


class ControlRoomService:
    def __init__(self, config: Config, *, db_url: str | None = None, feed_options: dict | None = None,
                 data_dir: Path | None = None, client_id: str | None = None, monitor_cameras: bool = True,
                 health_interval_s: float | None = None, config_path: Path | None = None) -> None:
        """`config_path`: the commune's file, which administrators may add cameras to (None: not
        changed, e.g. the bundled demo)."""
        self.config = config
        self.core = ControlRoomCore(config, db_url=db_url, feed_options=feed_options, data_dir=data_dir,
                                    client_id=client_id or service_client_id(config), monitor_cameras=monitor_cameras)
        options = {} if health_interval_s is None else {"interval_s": health_interval_s}
        self.health = HealthPublisher(self.core, **options)  # before start: the Last Will is set at connect
        self.commands = CommandChannel(self.core, config_path=config_path)
        self.live_digest = LiveDigest(self.core.bus, self.core.feed.publish)
        self._started = False

    def _tell_job_changed(self, update: BroadcastUpdate) -> None:
        """Consoles show the service's broadcasts as it runs them (MQTT 5 expiry: half a day)."""
        job = self.core.broadcast.service.job(update.job_id)
        if job is not None:
            self.core.feed.publish(JOB_TOPIC + job.id, job_to_payload(job), qos=1, retain=True, expiry_s=JOB_TTL_S)

    def _tell_bulletin_changed(self, bulletin_id: str) -> None:
        """Consoles re-read a bulletin when it is issued, repeated, superseded or cancelled."""
        self.core.feed.publish(BULLETIN_CHANGED_TOPIC, {"id": bulletin_id}, qos=1)

    def start(self) -> None:
        self.core.start()
        self.core.flood.bulletins.listeners.append(self._tell_bulletin_changed)
        self._unsubscribe = self.core.bus.subscribe(BroadcastUpdate, self._tell_job_changed)
        self._started = True
        known = {(sensor.id, metric) for sensor in self.config.sensors for metric in sensor.metrics}
        stored = latest_readings(self.core.engine, self.config.site.id)
        self.live_digest.start([r for r in stored if (r.sensor_id, r.metric) in known])
        self.commands.start()
        self.health.start()
        log.info("service for %s started (database %s)", self.config.site.id, self.core.db_url.split("@")[-1])

    def stop(self) -> None:
        """Commands first (no new actions), then the last health report, then the core."""
        if not self._started:
            return
        self._started = False
        self._unsubscribe()
        for name, stop in (("command channel", self.commands.stop), ("live digest", self.live_digest.stop),
                           ("health", self.health.stop), ("core", self.core.stop)):
            try:
                stop()
            except Exception:  # keep stopping the rest; the log says what failed
                log.exception("stopping the %s failed", name)
        log.info("service for %s stopped", self.config.site.id)
