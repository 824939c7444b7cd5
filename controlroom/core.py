"""The running core of one console: config, bus, live state, storage and the MQTT feed.

No Qt here. The UI builds one ControlRoomCore and talks to it; tests build two to play two
consoles. Capability services (alerts, cameras, broadcast, ...) take the core's parts they
need in their constructors rather than reaching for globals.
"""

from __future__ import annotations

import logging

from controlroom.bus import EventBus
from controlroom.config import Config
from controlroom.live_state import LiveState
from controlroom.feeds.mqtt_feed import MqttFeed
from controlroom.paths import default_database_url
from controlroom.storage.db import create_engine_for, migrate
from controlroom.storage.writer import StorageWriter

log = logging.getLogger(__name__)


class ControlRoomCore:
    def __init__(
        self,
        config: Config,
        *,
        db_url: str | None = None,
        broker_host: str | None = None,
        broker_port: int | None = None,
        client_id: str | None = None,
        feed_options: dict | None = None,
    ) -> None:
        """`feed_options` are a started broker's link settings (BrokerHandle.feed_options():
        host, port, protocol, credentials, TLS); they take precedence over broker_host/port."""
        self.config = config
        self.site_id = config.site.id
        self.bus = EventBus()
        self.live = LiveState(self.bus)
        self.db_url = db_url or config.database.url or default_database_url()
        self.engine = create_engine_for(self.db_url)
        self.storage = StorageWriter(self.engine, self.bus, site_id=self.site_id, database=config.database)
        link = {"host": broker_host, "port": broker_port, **(feed_options or {})}
        self.feed = MqttFeed(config, self.bus, client_id=client_id, **link)
        self._started = False

    def start(self) -> None:
        """Migrate the schema, then start the writer before the feed so nothing is missed."""
        migrate(self.engine)
        self.storage.start()
        self.feed.start()
        self._started = True

    def stop(self) -> None:
        """Stop the feed first, then flush and stop the writer (clean quit in < 2 s)."""
        if not self._started:
            return
        self.feed.stop()
        self.storage.stop()
        self.engine.dispose()
        self._started = False
