"""Fixtures of the flood tests."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest


class SettableClock:
    """The core's clock in a test: real time until `set`, so a reading can grow old on cue."""

    def __init__(self) -> None:
        self.now: datetime | None = None

    def set(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now or datetime.now(timezone.utc)


@pytest.fixture
def flood_clock():
    return SettableClock()


@pytest.fixture
def second_commune_duty_panel(second_config, qtbot, make_core, flood_clock):
    """The second commune's flood duty panel on a real core (its clock: `flood_clock`) and its
    Qt bridge: (core, panel). Shut down afterwards."""
    from controlroom.ui.flood.duty_panel import create_flood_duty_panel
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext

    core = make_core(second_config, clock=flood_clock)
    bridge = CoreBridge(core.bus, core.live)
    context = AppContext(config=second_config, core=core, bridge=bridge)
    panel = create_flood_duty_panel(context, None)
    qtbot.addWidget(panel)
    yield core, panel
    context.shutdown()
    bridge.close()
