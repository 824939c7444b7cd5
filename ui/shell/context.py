"""What a panel factory receives: the running core (typed handles to every duty), the Qt
bridge, the operator's session, the navigator between panels, and a place to register
shutdown work. Passed in explicitly (no globals), one per main window."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from controlroom.config import Config
from controlroom.ui.shell.navigator import Navigator

if TYPE_CHECKING:
    from controlroom.core import ControlRoomCore
    from controlroom.ui.access.sign_in import Session
    from controlroom.ui.shell.bridge import CoreBridge

log = logging.getLogger(__name__)


@dataclass
class AppContext:
    """`ui_scale` is the factor by which fixed pixel sizes must grow on a large screen that
    the OS does not scale itself (65-inch 4K displays). `session` defaults to one on the
    core's own operator session."""

    config: Config
    core: "ControlRoomCore"
    bridge: "CoreBridge"
    broker_description: str = ""  # short: "127.0.0.1:1883, external broker"
    broker_detail: str = ""  # longer, for the tooltip
    ui_scale: float = 1.0
    config_path: Path | None = None  # where the config was read (None: the bundled demo, not to be edited)
    simulation_speed: float | None = None  # the demo's simulator drives the readings this much faster than life
    session: "Session | None" = None
    navigator: Navigator = field(default_factory=Navigator)
    ready_checks: list[Callable[[], bool]] = field(default_factory=list)  # `--screenshot` waits for these
    _shutdown: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self.session is None:
            from controlroom.ui.access.sign_in import Session

            self.session = Session(self.core.access.session)

    def px(self, pixels: float) -> int:
        """A pixel size scaled for this screen."""
        return round(pixels * self.ui_scale)

    def on_shutdown(self, callback: Callable[[], None]) -> None:
        """Run `callback` when the app quits, before the core stops (stop timers, views)."""
        self._shutdown.append(callback)

    def shutdown(self) -> None:
        """Run the shutdown callbacks last-registered first; one failing does not skip the rest."""
        while self._shutdown:
            callback = self._shutdown.pop()
            try:
                callback()
            except Exception:  # keep shutting down; the log names what failed
                log.exception("shutdown callback %r failed", callback)
