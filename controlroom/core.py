"""The running core of one console: config, bus, live state, storage, the MQTT feed, and every
duty of the room, set up by the core in a fixed order.

No Qt here. Each capability package exposes ``setup(core) -> Service`` (a service with
``stop()``); ``start()`` calls them in order and keeps the results as typed attributes
(``core.access``, ``core.alerts``, ``core.broadcast``, ``core.flood``, ``core.cameras``) that
panels receive. Nothing a commune relies on is built by a window: the duties run with no
window open, and tests build real cores without a QApplication (two of them play two consoles).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from controlroom import access, alerts, broadcast, cameras, devices, flood
from controlroom.bus import EventBus
from controlroom.config import Config
from controlroom.feeds.mqtt_feed import MqttFeed
from controlroom.live_state import LiveState
from controlroom.paths import data_dir as default_data_dir
from controlroom.paths import default_database_url
from controlroom.service.client import CommandClient
from controlroom.service.watch import ServiceWatch
from controlroom.storage.db import create_engine_for, migrate
from controlroom.storage.writer import StorageWriter

if TYPE_CHECKING:
    from controlroom.access.service import AccessService
    from controlroom.alerts.engine import AlertEngine
    from controlroom.broadcast.broadcasting import Broadcasting
    from controlroom.cameras.service import CameraService
    from controlroom.devices.service import DeviceSources
    from controlroom.flood.duty import FloodDuty

log = logging.getLogger(__name__)


class ControlRoomCore:
    access: "AccessService"
    alerts: "AlertEngine"
    broadcast: "Broadcasting"
    flood: "FloodDuty"
    cameras: "CameraService"
    devices: "DeviceSources"

    def __init__(
        self,
        config: Config,
        *,
        db_url: str | None = None,
        broker_host: str | None = None,
        broker_port: int | None = None,
        client_id: str | None = None,
        feed_options: dict | None = None,
        data_dir: Path | None = None,
        monitor_cameras: bool = True,
        clock: Callable[[], datetime] | None = None,
        attached: bool = False,
    ) -> None:
        """`feed_options` are a started broker's link settings (BrokerHandle.feed_options():
        host, port, protocol, credentials, TLS); they take precedence over broker_host/port.
        `data_dir` holds media, snapshots and the like (default: the user's data dir).
        `monitor_cameras` opens every camera's sub stream at start (the console's duty; tools
        and tests that do not look at cameras turn it off). `clock` is the time broadcasts and
        bulletin repeats are scheduled by (UTC; a test can hold it still).

        `attached`: this core is a console of its site's service (``controlroom serve``), which
        owns the duties: readings (the service's live digest) are shown, not stored; alerts mirror the service's; operators'
        actions go to it over the command channel (``core.commands``) with their session."""
        self.config = config
        self.site_id = config.site.id
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self.monitor_cameras = monitor_cameras
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.bus = EventBus()
        self.live = LiveState(self.bus)  # first subscriber: every later one sees the value already stored
        self.db_url = db_url or config.database.url or default_database_url()
        self.engine = create_engine_for(self.db_url)
        self.attached = attached
        self.storage = StorageWriter(self.engine, self.bus, site_id=self.site_id, database=config.database,
                                     ingest=not attached)
        link = {"host": broker_host, "port": broker_port, **(feed_options or {})}
        self.feed = MqttFeed(config, self.bus, client_id=client_id, keep_session=not attached,
                            live_digest=attached, **link)
        self.service_watch = ServiceWatch(self.feed)  # the site's service, as its retained topics say
        self.commands: CommandClient | None = None
        if attached:
            self.commands = CommandClient(self.feed, self.bus, self.feed.client_id,
                                          service_down=lambda: self.service_watch.status.presence == "offline")
        else:
            self.feed.acknowledge_after(self.storage)  # a reading leaves the broker's care once stored
        self._running: list = []  # services set up, stopped in reverse
        self._started = False

    def start(self) -> None:
        """Migrate, start the writer, set up every capability in order, then connect the feed
        (last, so no early message finds a duty missing)."""
        migrate(self.engine)
        self.storage.start()
        self._started = True
        try:
            self.access = self._set_up(access.setup)
            self.alerts = self._set_up(alerts.setup)
            self.broadcast = self._set_up(broadcast.setup)
            self.flood = self._set_up(flood.setup)  # needs broadcast: bulletins are broadcasts
            self.cameras = self._set_up(cameras.setup)
            self.devices = self._set_up(devices.setup)  # vendors' topics join the feed before it connects
        except BaseException:
            self.stop()
            raise
        self.feed.start()

    def _set_up(self, setup: Callable[["ControlRoomCore"], object]):
        service = setup(self)
        self._running.append(service)
        return service

    def stop(self) -> None:
        """Stop the duties (last set up first), then the feed, then flush and stop the writer;
        one failing to stop does not keep the others running."""
        if not self._started:
            return
        while self._running:
            service = self._running.pop()
            try:
                service.stop()
            except Exception:  # keep stopping the rest; the log says which
                log.exception("stopping %s failed", type(service).__name__)
        self.feed.stop()
        self.storage.stop()
        self.engine.dispose()
        self._started = False
