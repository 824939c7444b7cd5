"""Where an operator's "show me" goes: this camera on the wall, that sensor's graph, an alert on
the map, a speaker or village in the broadcast panel.

A panel that can show something registers a handler (`provide`); any panel asks through the
typed methods, which return whether a panel took the request, so the asker can say what
opened. Panels never look each other up.
"""

from __future__ import annotations

from typing import Callable, Literal

Target = Literal["camera", "sensor", "alert", "speaker", "village"]


class Navigator:
    def __init__(self) -> None:
        self._handlers: dict[Target, Callable[..., object]] = {}

    def provide(self, target: Target, handler: Callable[..., object]) -> None:
        """`handler(id, ...)` shows it (and brings its panel to the front); returning False
        means it could not (an alert with no place on the map, say)."""
        self._handlers[target] = handler

    def _ask(self, target: Target, *args) -> bool:
        handler = self._handlers.get(target)
        return handler is not None and handler(*args) is not False

    def open_camera(self, camera_id: str) -> bool:
        return self._ask("camera", camera_id)

    def show_sensor(self, sensor_id: str, metric: str | None = None) -> bool:
        return self._ask("sensor", sensor_id, metric)

    def focus_alert(self, alert_id: str, bring_forward: bool = False) -> bool:
        """Pan the map to the alert; `bring_forward` also raises the map's panel."""
        return self._ask("alert", alert_id, bring_forward)

    def select_speaker(self, speaker_id: str) -> bool:
        return self._ask("speaker", speaker_id)

    def select_village(self, village_id: str) -> bool:
        return self._ask("village", village_id)
