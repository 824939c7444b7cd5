"""The flood duty as the core runs it: risk monitor, repeating bulletins, duty log, damage report."""

from __future__ import annotations

from dataclasses import dataclass

from controlroom.flood.bulletins import BulletinService
from controlroom.flood.damage_report import DamageReports
from controlroom.flood.duty_log import DutyLog
from controlroom.flood.monitor import FloodRiskMonitor


@dataclass
class FloodDuty:
    """``core.flood``: what the flood-duty panel, flood mode and the map bind to."""

    monitor: FloodRiskMonitor
    bulletins: BulletinService
    duty_log: DutyLog
    damage: DamageReports

    def stop(self) -> None:
        """Bulletin repeats ride the broadcast timer, which stops with broadcasting."""
        self.duty_log.close()
        self.monitor.close()


def start_flood_duty(core, broadcasting) -> FloodDuty:
    """Wire the flood duty onto a core and its Broadcasting; active bulletins resume repeating."""
    audit = core.access.audit
    monitor = FloodRiskMonitor(core.config, core.bus, core.live, core.feed)
    bulletins = BulletinService(core.config, core.engine, core.storage, broadcasting.service, monitor, audit,
                                clock=core.clock)
    bulletins.load()
    broadcasting.service.add_tick_hook(bulletins.tick)
    duty_log = DutyLog(core.config, core.engine, core.storage, core.bus, audit)
    damage = DamageReports(core.config, core.engine, core.storage, audit)
    return FloodDuty(monitor, bulletins, duty_log, damage)
