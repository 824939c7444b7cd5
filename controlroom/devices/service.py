"""The running sources of one site: each ``[[sources]]`` table's mapper, wired to where its data
comes from (the feed's MQTT link, the HTTP receiver, a drop folder and its FTP account, a polled
provincial endpoint)."""

from __future__ import annotations

import logging
import os
from typing import Callable

from controlroom.config import Config
from controlroom.devices.ftp_drop import FtpDrop
from controlroom.devices.http_receiver import HttpReceiver
from controlroom.devices.mapper import SourceMapper, SourceStats
from controlroom.devices.poller import EndpointPoller
from controlroom.devices.station_files import StationFolder
from controlroom.feeds.mqtt_feed import MqttFeed
from controlroom.i18n import tr

log = logging.getLogger(__name__)


class DeviceSources:
    def __init__(self, config: Config, feed: MqttFeed, publish: Callable[[list], None], *, enabled: bool = True) -> None:
        self.mappers = [SourceMapper(source, config) for source in config.sources] if enabled else []
        self._config = config
        self._feed = feed
        self._publish = publish
        self.http: HttpReceiver | None = None
        self.ftp: FtpDrop | None = None
        self.folders: list[StationFolder] = []
        self.pollers: list[EndpointPoller] = []

    def start(self) -> None:
        """Subscribe, listen and watch; a port already taken is said and the rest runs on."""
        settings = self._config.devices
        http_paths: dict[str, SourceMapper] = {}
        ftp_accounts = {}
        for mapper in self.mappers:
            source = mapper.source
            if mapper.way == "mqtt":
                self._feed.add_source(mapper.topic, mapper.map_message)
            elif mapper.way == "http":
                http_paths[mapper.http_path] = mapper
            elif mapper.way == "url":
                self.pollers.append(EndpointPoller(mapper, self._publish))
            else:
                self.folders.append(StationFolder(source.folder, mapper, self._publish, source.poll_s))
                if source.ftp_user:
                    password = os.environ.get(source.ftp_password_env or "")
                    if not password:
                        log.error(tr("FTP account {user}: the variable {name} holding its password is not set",
                                     user=source.ftp_user, name=source.ftp_password_env))
                    else:
                        ftp_accounts[source.ftp_user] = (password, source.folder)
        for part in (*self.folders, *self.pollers):
            part.start()
        if http_paths:
            try:
                self.http = HttpReceiver(settings.http_bind, settings.http_port, http_paths, self._publish)
                self.http.start()
            except OSError as exc:
                log.error(tr("the device HTTP receiver cannot listen on {bind}:{port}: {reason}",
                             bind=settings.http_bind, port=settings.http_port, reason=exc))
        if ftp_accounts:
            try:
                passive = settings.ftp_passive_ports
                self.ftp = FtpDrop(settings.ftp_bind, settings.ftp_port, ftp_accounts,
                                   range(passive[0], passive[1] + 1) if passive else None)
                self.ftp.start()
            except OSError as exc:
                log.error(tr("the station FTP drop cannot listen on {bind}:{port}: {reason}",
                             bind=settings.ftp_bind, port=settings.ftp_port, reason=exc))

    def stats(self) -> list[SourceStats]:
        return [mapper.stats() for mapper in self.mappers]

    def stop(self) -> None:
        for part in (self.http, self.ftp, *self.folders, *self.pollers):
            if part is not None:
                part.stop()
