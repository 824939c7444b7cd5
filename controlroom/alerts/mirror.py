"""The alert queue as a console attached to its site's service sees it.

The service's engine is the one authority: it evaluates readings, holds the states and
publishes each alert retained on ``room/alert/<id>``. The mirror shows exactly that: every
message replaces its copy (a cleared one removes it), and nothing is evaluated, stored or
published here. An operator's action is checked against the role at once (a viewer is told
so without a round trip), then sent over the command channel; the service checks it again,
audits it, applies it, and the change comes back as the next retained message. The
command's outcome is on the bus (``CommandOutcome``) for the console to show.

Same surface as the engine (snapshot, listeners, history, the actions), so panels take
either.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import datetime
from typing import Any, Iterable

from controlroom.access.operators import Operator, authorize
from controlroom.alerts import model
from controlroom.alerts.engine import AlertEngine
from controlroom.alerts.model import Priority
from controlroom.domain import RoomAlertMessage

log = logging.getLogger(__name__)


class AlertMirror(AlertEngine):
    def __init__(self, config, bus, commands, *, console_id: str | None = None) -> None:
        """`commands` is the console's CommandClient."""
        super().__init__(config, bus, console_id=console_id or commands.reply_to.rsplit("/", 1)[-1])
        self.commands = commands

    def start(self, live: Any = None) -> None:
        """Only the room's alert messages: readings and statuses are the service's to judge."""
        if self._thread is not None:
            return
        inbox = self._inbox
        self._unsubscribe.append(self.bus.subscribe(RoomAlertMessage, inbox.put, batch=lambda run: inbox.put(list(run))))
        self._thread = threading.Thread(target=self._run, name="alert-mirror", daemon=True)
        self._thread.start()

    # -- what the service says -------------------------------------------------------------

    def _on_remote(self, message: RoomAlertMessage, changes: list) -> None:
        local = self._alerts.get(message.alert_id)
        if not message.state:  # the service dropped it (settled long enough)
            if local is not None:
                del self._alerts[local.id]
                self.flood.forget(local.id)
                changes.append((local, None, False))
            return
        remote = self._remote_alert(message)
        if remote is None or local == remote:
            return  # another site's, malformed, or a redelivered retained copy
        self.counters["remote_applied"] += 1
        self._alerts[remote.id] = remote
        unacknowledged = model.AlertState.UNACKNOWLEDGED
        if remote.state is unacknowledged and (local is None or local.state is not unacknowledged):
            self.flood.annunciated(remote.id, time.monotonic(), new_episode=local is None)
        changes.append((remote, None, False))  # the service stored the transition: the history is read from there

    def _tick(self, now: datetime, changes: list) -> None:
        """Shelving ends, stale sensors and settling are the service's clock, not ours."""

    # -- operator actions: checked here, done by the service ---------------------------------

    def acknowledge(self, alert_ids: Iterable[str], operator: Operator, comment: str = "") -> None:
        self._send(operator, "alert.acknowledge", "alert.acknowledge", {"ids": list(alert_ids), "comment": comment})

    def shelve(self, alert_ids: Iterable[str], operator: Operator, reason: str, duration_s: float) -> None:
        if not reason.strip():
            raise ValueError("a shelving reason is required")
        self._send(operator, "alert.shelve", "alert.shelve",
                   {"ids": list(alert_ids), "reason": reason.strip(), "duration_s": duration_s})

    def unshelve(self, alert_ids: Iterable[str], operator: Operator) -> None:
        self._send(operator, "alert.shelve", "alert.unshelve", {"ids": list(alert_ids)})

    def set_in_service(self, alert_ids: Iterable[str], operator: Operator, in_service: bool, reason: str = "") -> None:
        self._send(operator, "alert.out_of_service", "alert.in_service",
                   {"ids": list(alert_ids), "in_service": in_service, "reason": reason})

    def raise_manual(self, operator: Operator, text: str, priority: Priority, village: str | None = None,
                     source: str | None = None) -> str:
        """The alert's id is chosen here, so the console can follow it before the service answers."""
        if not text.strip():
            raise ValueError("the alert needs a text")
        source = source or f"manual/{uuid.uuid4().hex[:10]}"
        self._send(operator, "alert.raise", "alert.raise",
                   {"text": text.strip(), "priority": priority.name.lower(), "village": village, "source": source})
        return model.make_alert_id(source, "manual")

    def _send(self, operator: Operator, permission: str, op: str, args: dict) -> None:
        if not isinstance(operator, Operator):
            raise TypeError(f"{op} needs the signed-in Operator, not {type(operator).__name__}")
        authorize(operator, permission)  # PermissionDenied at once; the service checks again
        self.commands.send(op, args)

