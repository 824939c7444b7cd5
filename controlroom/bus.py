"""A small thread-safe publish/subscribe bus between core services.

Callbacks run on the publishing thread (usually the MQTT network thread), so they must be
quick: a subscriber with slow work (storage, Qt) hands the event to its own queue. A failing
subscriber is logged and counted; it never breaks the publisher's loop.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from typing import Any, Callable

log = logging.getLogger(__name__)

Callback = Callable[[Any], None]


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[type, tuple[Callback, ...]] = defaultdict(tuple)
        self.subscriber_errors = 0

    def subscribe(self, event_type: type, callback: Callback) -> Callable[[], None]:
        """Call `callback(event)` for every published event of `event_type` (or a subclass
        registered as `object` for everything). Returns a function that unsubscribes."""
        with self._lock:
            self._subscribers[event_type] = self._subscribers[event_type] + (callback,)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers[event_type] = tuple(
                    c for c in self._subscribers[event_type] if c is not callback
                )

        return unsubscribe

    def publish(self, event: Any) -> None:
        for callback in self._subscribers.get(type(event), ()) + self._subscribers.get(object, ()):
            try:
                callback(event)
            except Exception:  # a broken subscriber must not kill the feed thread
                self.subscriber_errors += 1
                log.exception("bus subscriber %r failed on %s", callback, type(event).__name__)
