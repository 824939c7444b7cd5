"""Flood duty (trực ban phòng chống lũ): risk levels, warning bulletins that repeat until
superseded, the duty log and the quick damage report.

`setup(core)` needs ``core.broadcast`` (bulletins go out as broadcasts) and returns
``core.flood``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from controlroom.core import ControlRoomCore
    from controlroom.flood.duty import FloodDuty


def setup(core: "ControlRoomCore") -> "FloodDuty":
    from controlroom.flood.duty import start_flood_duty

    return start_flood_duty(core, core.broadcast)
