"""What a panel factory receives: the running core, the Qt bridge, the config, and a place
to register shutdown work. Passed in explicitly (no globals), one per main window."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from controlroom.config import Config

log = logging.getLogger(__name__)


@dataclass
class AppContext:
    """`core` is a controlroom.core.ControlRoomCore, `bridge` a controlroom.ui.shell.bridge.CoreBridge.

    `services` holds capability services a panel creates and another may reuse (e.g. the
    alert engine), keyed by a short name. `ui_scale` is the factor by which fixed pixel sizes
    must grow on a large screen that the OS does not scale itself (65-inch 4K displays)."""

    config: Config
    core: Any
    bridge: Any
    broker_description: str = ""  # short: "127.0.0.1:1883, external broker"
    broker_detail: str = ""  # longer, for the tooltip
    ui_scale: float = 1.0
    config_path: Path | None = None  # where the config was read (None: the bundled demo, not to be edited)
    services: dict[str, Any] = field(default_factory=dict)
    ready_checks: list[Callable[[], bool]] = field(default_factory=list)  # `--screenshot` waits for these
    _shutdown: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def px(self, pixels: float) -> int:
        """A pixel size scaled for this screen."""
        return round(pixels * self.ui_scale)

    def on_shutdown(self, callback: Callable[[], None]) -> None:
        """Run `callback` when the app quits, before the core stops (stop threads, readers)."""
        self._shutdown.append(callback)

    def shutdown(self) -> None:
        """Run the shutdown callbacks last-registered first; one failing does not skip the rest."""
        while self._shutdown:
            callback = self._shutdown.pop()
            try:
                callback()
            except Exception:  # keep shutting down; the log names what failed
                log.exception("shutdown callback %r failed", callback)
