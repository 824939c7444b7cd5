"""The flood duty as the core runs it: risk monitor, repeating bulletins, duty log, damage report."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from controlroom.flood.bulletins import BulletinService
from controlroom.flood.bulletins_at_service import BulletinsAtService
from controlroom.flood.damage_report import DamageReports
from controlroom.flood.damage_report_at_service import DamageReportsAtService
from controlroom.flood.duty_log import DutyLog
from controlroom.flood.duty_log_at_service import DutyLogAtService
from controlroom.flood.monitor import FloodRiskMonitor
from controlroom.flood.risk_retained import RiskPublisher, follow_service_levels

log = logging.getLogger(__name__)


@dataclass
class FloodDuty:
    """``core.flood``: what the flood-duty panel, flood mode and the map bind to."""

    monitor: FloodRiskMonitor
    bulletins: BulletinService
    duty_log: DutyLog
    damage: DamageReports
    risk_publisher: RiskPublisher | None = None  # not on an attached console: the service publishes

    def stop(self) -> None:
        """Bulletin repeats ride the broadcast timer, which stops with broadcasting."""
        self.duty_log.close()
        if self.risk_publisher is not None:
            self.risk_publisher.close()
        self.monitor.close()
        if isinstance(self.bulletins, BulletinsAtService):
            self.bulletins.close()


def start_flood_duty(core, broadcasting) -> FloodDuty:
    """Wire the flood duty onto a core and its Broadcasting; active bulletins resume repeating."""
    audit = core.access.audit
    monitor = FloodRiskMonitor(core.config, core.bus, core.live, core.feed, clock=core.clock)
    monitor.seed(lambda sensor_id, start, end: _levels(core, sensor_id, start, end))
    risk_publisher = None
    if core.commands is None:
        bulletins = BulletinService(core.config, core.engine, core.storage, broadcasting.service, monitor, audit,
                                    clock=core.clock)
        broadcasting.service.add_tick_hook(bulletins.tick)
        risk_publisher = RiskPublisher(monitor, core.bus, core.feed)
        broadcasting.service.add_tick_hook(risk_publisher.tick)
    else:  # attached: the service sends and repeats them
        bulletins = BulletinsAtService(core.config, core.engine, broadcasting.service, monitor, core.commands,
                                       core.feed)
    follow_service_levels(monitor, core.feed)  # what the service holds (a restarted service: what it held)
    bulletins.load()
    if core.commands is None:
        duty_log = DutyLog(core.config, core.engine, core.storage, core.bus, audit)
        damage = DamageReports(core.config, core.engine, core.storage, audit)
    else:  # attached: the service writes both (an attached console would write each automatic entry again)
        duty_log = DutyLogAtService(core.config, core.engine, core.commands)
        damage = DamageReportsAtService(core.config, core.engine, core.commands)
    return FloodDuty(monitor, bulletins, duty_log, damage, risk_publisher)


def _levels(core, sensor_id: str, start: float, end: float):
    """Raw water levels of one station from storage; none if the database does not answer."""
    from controlroom.storage.queries import read_series

    try:
        series = read_series(core.engine, core.site_id, sensor_id, "level", start, end, "raw")
    except Exception:  # a database outage must not keep the flood duty from starting
        log.exception("could not seed the trend of %s from storage", sensor_id)
        return [], []
    return series.ts, series.value
