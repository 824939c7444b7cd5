"""The quick damage report on a console attached to its site's service.

Opening a disaster event, a village's figures and the note that a report was exported are
commands: the service checks the role, writes and audits. The console reads the figures and
makes the PDF/XLSX from them; it writes nothing to the database.
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime

from controlroom.access.operators import Operator, authorize
from controlroom.flood.damage_report import DamageReportError, DamageReports, QuickReport
from controlroom.service.client import CommandFailed


class DamageReportsAtService(DamageReports):
    def __init__(self, config, engine, commands) -> None:
        super().__init__(config, engine, None, None)
        self._commands = commands

    def open_event(self, operator: Operator, hazard: str, started_at: datetime, **detail) -> str:
        authorize(operator, "damage.report")
        result = self._ask("damage.open_event", {"hazard": hazard, "started_at": started_at.isoformat(),
                                                 "detail": detail})
        return str(result["event_id"])

    def set_village(self, operator: Operator, event_id: str, village: str, figures: dict[str, float]) -> None:
        authorize(operator, "damage.report")
        self._ask("damage.set_village", {"event_id": event_id, "village": village, "figures": figures})

    def mark_exported(self, operator: Operator, report: QuickReport, paths: list[str]) -> Future:
        return self._commands.send("damage.exported", {"event_id": report.event.id, "number": report.number,
                                                       "paths": paths, "totals": report.totals})

    def _ask(self, op: str, args: dict) -> dict:
        """Waits for the service (call off the GUI thread); a refusal is the DamageReportError shown."""
        try:
            return self._commands.send(op, args).result()
        except CommandFailed as exc:
            raise DamageReportError(str(exc)) from None
