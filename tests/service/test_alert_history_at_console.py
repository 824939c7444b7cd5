"""An attached console's alert history is what the service stored: each transition once, by
the operator who made it, never an internal client id or a made-up "from the other console"."""

from __future__ import annotations

import json
import time

import pytest

from controlroom.access.accounts import upsert_operator
from controlroom.access.operators import Role, operator_row
from controlroom.ui.shell.context import AppContext

from ..conftest import wait_until

pytestmark = pytest.mark.timeout(180)


def test_history_of_a_selected_alert_follows_what_the_service_stored(qtbot, second_config, mqtt_broker, service,
                                                                     make_core, raw_client):
    from controlroom.ui.alerts.panel import AlertPanel
    from controlroom.ui.shell.bridge import CoreBridge

    site = second_config.site.id
    with service.core.engine.begin() as conn:
        upsert_operator(conn, operator_row(site, "truc_vh", "Trực ban VH", Role.DUTY_OFFICER, "mat-khau-truc"))
    console = make_core(second_config, broker=mqtt_broker, db_url=service.core.db_url, client_id="console-h",
                        attached=True)
    assert service.core.feed.wait_subscribed(30) and console.feed.wait_subscribed(30)
    operator = console.access.authenticate("truc_vh", "mat-khau-truc")
    assert operator is not None
    bridge = CoreBridge(console.bus, console.live)
    panel = AlertPanel(AppContext(config=second_config, core=console, bridge=bridge), console.alerts, sound=False)
    qtbot.addWidget(panel)
    panel.resize(1400, 600)

    pond = second_config.sensor("ao_tom_1")
    client = raw_client(mqtt_broker.host, mqtt_broker.port, second_config.topic_prefix)
    now_ms = int(time.time() * 1000)
    for i, value in enumerate((6.2, 2.1, 2.0, 1.9)):  # below the oxygen limit from the second reading
        client.client.publish(f"{second_config.topic_prefix}/sensor/{pond.id}/reading",
                              json.dumps({"ts": now_ms - 1000 * (4 - i), "values": {"do": value}}), qos=1).wait_for_publish(10)
    alert = wait_until(lambda: next((a for a in console.alerts.snapshot().alerts
                                     if a.source == f"sensor/{pond.id}/do" and a.active), None), 30)
    qtbot.waitUntil(lambda: _select(panel.table, alert.id), timeout=10000)  # the operator clicks its row

    qtbot.waitUntil(lambda: "phát sinh" in panel.history.toPlainText(), timeout=15000)
    text = panel.history.toPlainText()
    assert text.count("phát sinh") == 1, text  # raised once, as stored; not again as "seen here"
    assert "máy trạm khác" not in text and "service" not in text, text

    console.alerts.acknowledge([alert.id], operator, "đã gọi chủ ao")
    qtbot.waitUntil(lambda: "đã gọi chủ ao" in panel.history.toPlainText(), timeout=30000)
    lines = panel.history.toPlainText().splitlines()
    assert len(lines) == 2, lines
    assert "xác nhận" in lines[0] and "truc_vh" in lines[0] and "phát sinh" in lines[1], lines
    bridge.close()


def _select(table, alert_id: str) -> bool:
    """Select the row of `alert_id` as a click does; False while it is not in the queue yet."""
    from controlroom.widgets.alert_table import ID_ROLE

    model = table.model()
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        if index.data(ID_ROLE) == alert_id:
            table.setCurrentIndex(index)
            return table.selected_ids() == [alert_id]
    return False
