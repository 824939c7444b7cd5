"""A small thread-safe publish/subscribe bus between core services.

Callbacks run on the publishing thread (usually the MQTT network thread), so they must be
quick: a subscriber with slow work (storage, Qt) hands the event to its own queue. A failing
subscriber is logged and counted; it never breaks the publisher's loop.

The hot path is batched: one MQTT message carries several readings, published with
``publish_batch(events)``. A subscriber that registered a batch callback
(``subscribe(type, cb, batch=batch_cb)``) gets the whole run of same-typed events in one call
(one lock, one queue put); the others get one call per event, as with ``publish``.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Sequence

log = logging.getLogger(__name__)

Callback = Callable[[Any], None]
BatchCallback = Callable[[Sequence[Any]], None]


class _Subscription:
    __slots__ = ("callback", "batch")

    def __init__(self, callback: Callback, batch: BatchCallback | None) -> None:
        self.callback = callback
        self.batch = batch


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[type, tuple[_Subscription, ...]] = {}
        # event type -> its subscriptions followed by the catch-all (object) ones; rebuilt on
        # every (un)subscribe so publishing reads one dict without a lock
        self._routes: dict[type, tuple[_Subscription, ...]] = {}
        self.subscriber_errors = 0

    def subscribe(
        self, event_type: type, callback: Callback, *, batch: BatchCallback | None = None
    ) -> Callable[[], None]:
        """Call `callback(event)` for every published event of `event_type` (`object`: every
        event). With `batch`, `batch(events)` receives a run of such events published with
        ``publish_batch`` in one call instead. Returns a function that unsubscribes."""
        subscription = _Subscription(callback, batch)
        with self._lock:
            self._subscribers[event_type] = self._subscribers.get(event_type, ()) + (subscription,)
            self._routes = {}

        def unsubscribe() -> None:
            with self._lock:
                kept = tuple(s for s in self._subscribers.get(event_type, ()) if s is not subscription)
                self._subscribers[event_type] = kept
                self._routes = {}

        return unsubscribe

    def _route(self, event_type: type) -> tuple[_Subscription, ...]:
        routes = self._routes
        route = routes.get(event_type)
        if route is None:
            with self._lock:
                route = self._subscribers.get(event_type, ()) if event_type is not object else ()
                route = route + self._subscribers.get(object, ())
                self._routes[event_type] = route
        return route

    def publish(self, event: Any) -> None:
        for subscription in self._route(type(event)):
            try:
                subscription.callback(event)
            except Exception:  # a broken subscriber must not kill the feed thread
                self._failed(subscription.callback, type(event))

    def publish_batch(self, events: Sequence[Any]) -> None:
        """Publish `events` in order; consecutive events of one type go out as one batch."""
        n = len(events)
        if n == 0:
            return
        if n == 1:
            self.publish(events[0])
            return
        start = 0
        while start < n:
            event_type = type(events[start])
            end = start + 1
            while end < n and type(events[end]) is event_type:
                end += 1
            run = events if (start == 0 and end == n) else events[start:end]
            self._deliver_run(event_type, run)
            start = end

    def _deliver_run(self, event_type: type, run: Sequence[Any]) -> None:
        for subscription in self._route(event_type):
            batch = subscription.batch
            if batch is not None:
                try:
                    batch(run)
                except Exception:  # see publish()
                    self._failed(batch, event_type)
                continue
            callback = subscription.callback
            for event in run:
                try:
                    callback(event)
                except Exception:  # see publish()
                    self._failed(callback, event_type)

    def _failed(self, callback: Callable, event_type: type) -> None:
        self.subscriber_errors += 1
        log.exception("bus subscriber %r failed on %s", callback, event_type.__name__)
