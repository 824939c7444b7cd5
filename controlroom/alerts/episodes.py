"""Which alert episodes a consumer already acted on, so a re-delivery does not act twice."""

from __future__ import annotations

from collections import OrderedDict

from controlroom.alerts.model import Alert

DEFAULT_CAPACITY = 4096


class EpisodeMemory:
    """(alert id, raise count) pairs, oldest forgotten past `capacity` (a forgotten episode
    could act again only after thousands of newer ones), and dropped when an alert leaves."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._seen: OrderedDict[tuple[str, int], None] = OrderedDict()

    def first_time(self, alert: Alert) -> bool:
        """True the first time this episode of `alert` is seen (and remembers it)."""
        key = (alert.id, alert.raise_count)
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        return True

    def forget(self, alert_id: str) -> None:
        for key in [k for k in self._seen if k[0] == alert_id]:
            del self._seen[key]

    def __len__(self) -> int:
        return len(self._seen)
