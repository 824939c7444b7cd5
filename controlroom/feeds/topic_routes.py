"""Which extra subscriber a message's topic belongs to (the service's presence, a command, a
broadcast job...), found by the feed itself: exact topics by one dict lookup, wildcard filters
by their fixed prefix first. paho's own topic matcher walked its tree for every reading: a
sixth of the network thread in an ingest flood."""

from __future__ import annotations

from typing import Callable

import paho.mqtt.client as mqtt


class TopicRoutes:
    def __init__(self) -> None:
        self._exact: dict[str, Callable] = {}
        self._patterns: list[tuple[str, str, Callable]] = []  # (prefix before the wildcard, filter, callback)

    def add(self, topic_filter: str, callback: Callable) -> None:
        wildcards = [i for i in (topic_filter.find("+"), topic_filter.find("#")) if i >= 0]
        if wildcards:
            self._patterns.append((topic_filter[:min(wildcards)], topic_filter, callback))
        else:
            self._exact[topic_filter] = callback

    @property
    def empty(self) -> bool:
        return not (self._exact or self._patterns)

    def find(self, topic: str) -> Callable | None:
        """The callback whose filter matches `topic` (the first added wins), or None."""
        route = self._exact.get(topic)
        if route is None:
            for prefix, topic_filter, callback in self._patterns:
                if topic.startswith(prefix) and mqtt.topic_matches_sub(topic_filter, topic):
                    return callback
        return route
