"""Fixtures of the flood tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def second_commune_duty_panel(second_config, qtbot, make_core):
    """The second commune's flood duty panel on a real core and its Qt bridge: (core, panel).
    Shut down afterwards."""
    from controlroom.ui.flood.duty_panel import create_flood_duty_panel
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext

    core = make_core(second_config)
    bridge = CoreBridge(core.bus, core.live)
    context = AppContext(config=second_config, core=core, bridge=bridge)
    panel = create_flood_duty_panel(context, None)
    qtbot.addWidget(panel)
    yield core, panel
    context.shutdown()
    bridge.close()
