"""A flood from the simulator, through the broker, gives a queue an operator can read.

The demo commune's simulator plays a flood at 600x (wall-clock timestamps): river stations
pass alarm levels I-III and citizen reports pour in. The queue must enter flood mode, group
the alerts by village and kind into a short list with the highest priority on top, and say
so in the banner. Set ALERTS_SHOT_DIR to keep a screenshot of what the operator sees.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from controlroom.alerts.model import Priority
from controlroom.sim.simulator import Simulator
from controlroom.ui.shell.context import AppContext


@pytest.mark.slow
def test_simulated_flood_gives_a_short_grouped_queue_with_the_worst_on_top(qtbot, demo_config, mqtt_broker, make_core):
    from controlroom.ui.alerts.panel import AlertPanel
    from controlroom.ui.shell.bridge import CoreBridge

    core = make_core(demo_config, broker=mqtt_broker, client_id="flood-console")
    bridge = CoreBridge(core.bus, core.live)
    context = AppContext(config=demo_config, core=core, bridge=bridge)
    engine = core.alerts
    simulator = Simulator(demo_config, mqtt_broker.host, mqtt_broker.port, seed=3, time_scale=600, timestamps="wall",
                          reports_at_human_pace=False)  # reports pour in at 600x too
    try:
        panel = AlertPanel(context, engine, sound=False)
        qtbot.addWidget(panel)
        panel.resize(1900, 900)
        simulator.start()
        qtbot.waitUntil(lambda: engine.snapshot().flood and len(engine.snapshot().alerts) > 25, timeout=240_000)
        qtbot.waitUntil(lambda: not panel.banner.isHidden(), timeout=10_000)
        snapshot = engine.snapshot()
        alerts = panel.visible_alerts(snapshot)
        assert panel.table.row_count() < len(alerts) / 2  # grouped: far fewer rows than alerts
        top = panel.table.model().index(0, 0)
        assert top.data() == max(a.priority for a in alerts).label()
        assert any(a.kind == "alarm_level" and a.priority is Priority.CRITICAL for a in alerts)
        assert snapshot.kpis.alerts_in_window > demo_config.alerts.flood_count
        shots = os.environ.get("ALERTS_SHOT_DIR")
        if shots:
            panel.table.expand(top)
            panel.grab().save(str(Path(shots) / "alerts_flood_test.png"))
    finally:
        simulator.stop()
        context.shutdown()
        bridge.close()
