"""Alerts (cảnh báo): rules -> ISA-18.2 states -> the shared queue, as the room's one authority.

`setup(core)` starts the AlertEngine (``core.alerts``): it evaluates every reading, device
status and citizen report, publishes each change on the bus (``AlertChanged``) and retained
on MQTT, and persists it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from controlroom.alerts.engine import AlertEngine
    from controlroom.core import ControlRoomCore


def setup(core: "ControlRoomCore") -> "AlertEngine":
    from controlroom.alerts.engine import AlertEngine

    if core.commands is not None:  # attached: the service's engine is the authority
        from controlroom.alerts.mirror import AlertMirror

        mirror = AlertMirror(core.config, core.bus, core.commands)
        mirror.start()
        return mirror
    engine = AlertEngine(core.config, core.bus, feed=core.feed, storage=core.storage)
    engine.start(live=core.live)
    return engine
