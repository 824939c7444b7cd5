"""The duty log on a console attached to its site's service.

Shifts, notes and handovers are commands: the service checks the role (and, for a handover,
both officers' passwords), writes the entry on the audit chain and answers. The console reads
the log from the database; it writes none of it, and its automatic entries are the service's.
"""

from __future__ import annotations

from concurrent.futures import Future

from controlroom.access.operators import Operator, authorize
from controlroom.flood.duty_log import DutyLog, DutyLogError
from controlroom.i18n import tr
from controlroom.service.client import refused_as
from controlroom.service.futures import then


class DutyLogAtService(DutyLog):
    def __init__(self, config, engine, commands) -> None:
        super().__init__(config, engine, None)
        self._commands = commands

    def start_shift(self, officer: Operator) -> str:
        authorize(officer, "duty.shift")  # said at once, nothing sent
        return str(self._ask("duty.start_shift", {}).result()["shift_id"])

    def note(self, operator: Operator, text: str) -> Future:
        authorize(operator, "duty.note")
        if not text.strip():
            raise DutyLogError(tr("A duty log entry needs text."))
        return self._ask("duty.note", {"text": text.strip()})

    def handover_signed(self, acting: Operator, outgoing_password: str, incoming_user: str, incoming_password: str,
                        note: str = "") -> str:
        authorize(acting, "duty.shift")
        result = self._ask("duty.handover", {"outgoing_password": outgoing_password, "incoming": incoming_user,
                                             "incoming_password": incoming_password, "note": note}).result()
        return str(result["shift_id"])

    def handover(self, outgoing: Operator, incoming: Operator, note: str = "") -> str:
        """Not here: a console hands over with both passwords, which the service checks."""
        raise NotImplementedError("an attached console hands over with handover_signed")

    def event(self, kind: str, text: str, **detail):
        """Automatic entries are the service's."""

    def _ask(self, op: str, args: dict) -> Future:
        """The command's Future; a refusal comes back as the DutyLogError the panel shows."""
        return then(self._commands.send(op, args), failure=refused_as(DutyLogError))
