"""Flood bulletins on a console attached to its site's service.

The service sends bulletins and their repeats, whether or not any console is open. Here the
officer composes (the draft and its words come from this console's view of the stations),
and issuing or cancelling is a command the service carries out and audits; the bulletins
shown are read from the database whenever the service says one changed
(``room/bulletin/changed``). Nothing is repeated, claimed or resent from here.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from controlroom.access.operators import Operator, authorize
from controlroom.flood.bulletins import Bulletin, BulletinDraft, BulletinService

log = logging.getLogger(__name__)

CHANGED_TOPIC = "room/bulletin/changed"


class BulletinsAtService(BulletinService):
    def __init__(self, config, engine, broadcasting, monitor, commands, feed) -> None:
        super().__init__(config, engine, None, broadcasting, monitor, None)
        self._commands = commands
        # one reader thread; notices come at the pace of officers and repeats, minutes apart
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="bulletin-reader")
        feed.subscribe_extra(CHANGED_TOPIC, self._on_changed)

    def load(self) -> None:
        """Read the bulletins as they are; a repeat left unsent is the service's to resend."""
        self.load_rows()

    def issue(self, draft: BulletinDraft, operator: Operator, audio: tuple[Path, float] | None = None) -> Bulletin:
        """Ask the service to issue the officer's draft (its words as edited); waits for the answer
        (call off the GUI thread) and returns the bulletin as stored."""
        authorize(operator, "broadcast.emergency")
        result = self._commands.send("bulletin.issue", {"zone": draft.zone, "text": draft.text}).result()
        bulletin_id = str(result["bulletin_id"])
        self._reload_one(bulletin_id)
        return next(b for b in self.bulletins() if b.id == bulletin_id)

    def cancel(self, bulletin_id: str, operator: Operator, reason: str = "") -> None:
        authorize(operator, "broadcast.emergency")
        self._commands.send("bulletin.cancel", {"bulletin_id": bulletin_id, "reason": reason}).result()
        self._reload_one(bulletin_id)
        self._notify(bulletin_id)

    def tick(self, now) -> None:
        """Repeats are the service's."""

    def close(self) -> None:
        self._reader.shutdown(wait=False, cancel_futures=True)

    def _on_changed(self, _topic: str, payload: bytes) -> None:
        try:
            bulletin_id = str(json.loads(payload)["id"])[:64]
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("bulletin notice not understood: %s", exc)
            return
        self._reader.submit(self._reread, bulletin_id)

    def _reread(self, bulletin_id: str) -> None:
        try:
            self._reload_one(bulletin_id)
        except Exception:  # the database is away: the next notice (or a restart) reads it
            log.exception("could not read bulletin %s", bulletin_id)
            return
        self._notify(bulletin_id)
