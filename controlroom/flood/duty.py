"""Assemble the flood duty for one console: risk monitor, bulletins, duty log, damage report."""

from __future__ import annotations

from dataclasses import dataclass

from controlroom.access.audit import AuditLog
from controlroom.flood.bulletins import BulletinService
from controlroom.flood.monitor import FloodRiskMonitor


@dataclass
class FloodDuty:
    monitor: FloodRiskMonitor
    bulletins: BulletinService
    duty_log: object | None = None
    damage: object | None = None


def start_flood_duty(core, broadcasting, clock=None) -> FloodDuty:
    """Wire the flood duty onto a running core and its Broadcasting (repeats ride its timer)."""
    audit = AuditLog(core.storage, core.site_id)
    monitor = FloodRiskMonitor(core.config, core.bus, core.feed)
    kwargs = {"clock": clock} if clock else {}
    bulletins = BulletinService(core.config, core.engine, core.storage, broadcasting.service, monitor, audit, **kwargs)
    bulletins.load()
    broadcasting.service.add_tick_hook(bulletins.tick)
    duty = FloodDuty(monitor, bulletins)
    try:
        from controlroom.flood.duty_log import DutyLog
        duty.duty_log = DutyLog(core.config, core.engine, core.storage, core.bus, audit)
    except ImportError:  # built in the same change; absent only mid-way
        pass
    try:
        from controlroom.flood.damage_report import DamageReports
        duty.damage = DamageReports(core.config, core.engine, core.storage, audit)
    except ImportError:
        pass
    return duty
