"""Access: operators and roles, the hash-chained audit log, and the console's session.

`setup(core)` returns the AccessService (``core.access``) that every other capability
records its audit entries through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from controlroom.access.service import AccessService
    from controlroom.core import ControlRoomCore


def setup(core: "ControlRoomCore") -> "AccessService":
    from controlroom.access.service import AccessService

    return AccessService(core.engine, core.storage, core.site_id, commands=core.commands)
