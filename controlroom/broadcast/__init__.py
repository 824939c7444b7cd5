"""Loudspeaker broadcasting (truyền thanh): jobs to village speakers, acks, the daily programme.

`setup(core)` starts it and returns ``core.broadcast`` (a Broadcasting: service, audio
server, scheduler, programme).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from controlroom.broadcast.broadcasting import Broadcasting
    from controlroom.core import ControlRoomCore


def setup(core: "ControlRoomCore") -> "Broadcasting":
    from controlroom.broadcast.broadcasting import start_broadcasting

    return start_broadcasting(core)
