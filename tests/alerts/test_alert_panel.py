"""The queue view: order, filters, flood grouping with its banner, alarm sound stopping on ack."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from controlroom.alerts.model import AlertState
from controlroom.access.operators import Operator, Role
from controlroom.domain import CitizenReport, Reading
from controlroom.ui.shell.context import AppContext


def op(name: str) -> Operator:
    """A signed-in duty officer called `name` (the engine acts only for a session's Operator)."""
    return Operator(name, name, Role.DUTY_OFFICER)


@pytest.fixture
def panel_and_engine(qtbot, site_config, make_core):
    """The queue on a real core (no broker needed: readings go on the core's bus, as the feed's do)."""
    from controlroom.ui.alerts.panel import AlertPanel
    from controlroom.ui.shell.bridge import CoreBridge

    core = make_core(site_config)
    bridge = CoreBridge(core.bus, core.live)
    context = AppContext(config=site_config, core=core, bridge=bridge)
    panel = AlertPanel(context, core.alerts, sound=False)
    qtbot.addWidget(panel)
    panel.resize(1400, 600)
    yield panel, core.alerts, core.bus
    bridge.close()


def _report(i: int, village_lat: float = 16.5) -> CitizenReport:
    return CitizenReport(f"r{i}", datetime.now(timezone.utc), "flooding", f"Ngập {i}", village_lat, 107.5, None, "Lê C")


def test_new_alert_shows_first_and_rings_until_acknowledged(qtbot, panel_and_engine):
    panel, engine, bus = panel_and_engine
    now = datetime.now(timezone.utc)
    bus.publish(Reading("wl1", "level", now, 1.0))
    bus.publish(Reading("wl1", "level", now + timedelta(seconds=1), 4.8))  # level III: critical
    qtbot.waitUntil(lambda: panel.table.row_count() == 1, timeout=10000)
    assert panel.ringing
    panel.table.selectAll()
    engine.acknowledge(panel.table.selected_ids(), op("An"), "")
    qtbot.waitUntil(lambda: not panel.ringing, timeout=10000)
    assert engine.snapshot().alerts[0].state is AlertState.ACKNOWLEDGED
    qtbot.waitUntil(lambda: "An" in panel.history.toPlainText(), timeout=10000)  # who acknowledged, and when


def test_filters_by_village_and_priority(qtbot, panel_and_engine):
    panel, engine, bus = panel_and_engine
    bus.publish(_report(1, 16.5))  # v1
    bus.publish(_report(2, 16.6))  # v2
    qtbot.waitUntil(lambda: panel.table.row_count() == 2, timeout=10000)
    panel.village_filter.setCurrentIndex(panel.village_filter.findData("v2"))
    qtbot.waitUntil(lambda: panel.table.row_count() == 1, timeout=10000)
    panel.village_filter.setCurrentIndex(0)
    panel.priority_filter.setCurrentIndex(panel.priority_filter.count() - 1)  # critical only
    qtbot.waitUntil(lambda: panel.table.row_count() == 0, timeout=10000)
    # an empty list beside "need action: 2" says why it is empty
    qtbot.waitUntil(lambda: "Bộ lọc đang ẩn 2 trong 2 cảnh báo cần xử lý." in panel.kpis.text(), timeout=10000)
    panel.priority_filter.setCurrentIndex(0)
    qtbot.waitUntil(lambda: panel.table.row_count() == 2 and "Bộ lọc" not in panel.kpis.text(), timeout=10000)
    # flood mode's filter keeps villagers' flood reports in view
    panel.kind_filter.setCurrentIndex(panel.kind_filter.findData("flood"))
    qtbot.waitUntil(lambda: panel.table.row_count() == 2, timeout=10000)


def test_more_than_ten_alerts_in_ten_minutes_is_a_flood_grouped_by_village(qtbot, panel_and_engine):
    panel, engine, bus = panel_and_engine
    for i in range(12):
        bus.publish(_report(i, 16.5 if i % 3 else 16.6))
    qtbot.waitUntil(lambda: engine.snapshot().flood, timeout=10000)
    qtbot.waitUntil(lambda: not panel.banner.isHidden() and panel.table.row_count() == 2, timeout=10000)
    # two villages x one kind: one group row each
    panel.table.selectAll()
    assert len(panel.table.selected_ids()) == 12  # a selected group stands for its alerts
    version = engine.snapshot().version
    bus.publish(_report(99, 16.5))  # a refresh keeps the operator's selection
    qtbot.waitUntil(lambda: panel._version > version, timeout=10000)
    assert len(panel.table.selected_ids()) >= 12
    assert engine.snapshot().kpis.alerts_in_window == 13


def test_the_queue_acts_only_for_the_signed_in_operator_with_the_role(qtbot, panel_and_engine):
    """Signed out: every action is disabled and says to sign in, before any dialog; a viewer
    sees why they may not; an operator may; signing out takes it all back."""
    panel, engine, _bus = panel_and_engine
    session = panel.context.session
    assert not panel.manual_button.isEnabled() and "Hãy đăng nhập" in panel.manual_button.toolTip()
    panel.new_manual_alert()  # Ctrl+K and friends reach the slots even with the button disabled
    assert "Hãy đăng nhập" in panel.status.text() and not engine.snapshot().alerts

    session.sign_in(Operator("xem", "Người xem", Role.VIEWER))
    assert not panel.ack_button.isEnabled()
    assert "Người xem" in panel.ack_button.toolTip() and "alert.acknowledge" not in panel.ack_button.toolTip()
    assert panel.status.text() == ""  # the message to nobody does not stay for the next operator

    session.sign_out()
    session.sign_in(Operator("vanhanh", "Vận hành", Role.OPERATOR))
    assert panel.ack_button.isEnabled() and panel.manual_button.isEnabled()
    assert not panel.service_button.isEnabled()  # out of service needs a duty officer

    session.sign_out()
    assert not panel.ack_button.isEnabled() and not panel.manual_button.isEnabled()


def test_a_narrow_queue_keeps_the_alerts_own_words_in_view(qtbot, site_config):
    """No sideways scroll to learn what an alert is: narrow, the queue shows priority, state and
    the alert with a detail line that carries the hidden village and time; wide, every column
    and the detail line only the detail."""
    from zoneinfo import ZoneInfo

    from controlroom.alerts import model as m
    from controlroom.alerts.model import Condition, Priority
    from controlroom.widgets.alert_table import COLUMNS, TITLE_COLUMN, AlertTable

    table = AlertTable(ZoneInfo("Asia/Ho_Chi_Minh"), {"thon_x": "Thôn Xa"})
    qtbot.addWidget(table)
    raised = datetime(2026, 10, 5, 3, 4, 5, tzinfo=timezone.utc)
    condition = Condition("citizen/r9", "report", "citizen_report", True, raised, Priority.HIGH, None, None, 1, "thon_x",
                          {"text": "Nước vào nhà", "category": "flooding"})
    table.show_alerts([m.apply_condition(None, condition, "test")[0]], grouped=False)
    table.show()
    delegate = table.itemDelegateForColumn(TITLE_COLUMN)
    title = table.model().index(0, TITLE_COLUMN)
    char = table.fontMetrics().averageCharWidth()

    table.resize(char * 60, 300)
    qtbot.waitUntil(lambda: table.isColumnHidden(2), timeout=5000)
    assert [c for c in range(len(COLUMNS)) if not table.isColumnHidden(c)] == [0, 1, 5]
    line = delegate.detail_text(title)
    assert line == "Thôn Xa · 10:04 05/10 · Nước vào nhà"
    assert table.sizeHintForRow(0) > table.fontMetrics().height() * 1.8  # two lines in each row
    assert table.horizontalScrollBar().maximum() == 0

    table.resize(char * 200, 300)
    qtbot.waitUntil(lambda: not table.isColumnHidden(6), timeout=5000)
    assert not any(table.isColumnHidden(c) for c in range(len(COLUMNS)))
    assert delegate.detail_text(title) == "Nước vào nhà"  # village and time have their columns again
    assert table.horizontalScrollBar().maximum() == 0


def test_a_returned_alert_does_not_squeeze_every_alerts_words(qtbot, site_config):
    """One alert back to normal but unacknowledged ("Đã trở lại bình thường, chưa xác nhận")
    sized the state column to that whole text: in a 500-px queue the alert column kept "Mực nướ…"."""
    from dataclasses import replace
    from zoneinfo import ZoneInfo

    from controlroom.alerts import model as m
    from controlroom.alerts.model import AlertState, Condition, Priority
    from controlroom.widgets.alert_table import STATE_COLUMN, TITLE_COLUMN, AlertTable

    table = AlertTable(ZoneInfo("Asia/Ho_Chi_Minh"), {"thon_x": "Thôn Xa"})
    qtbot.addWidget(table)
    raised = datetime(2026, 10, 5, 3, 4, 5, tzinfo=timezone.utc)
    condition = Condition("citizen/r9", "report", "citizen_report", True, raised, Priority.HIGH, None, None, 1, "thon_x",
                          {"text": "Nước vào nhà", "category": "flooding"})
    alert = m.apply_condition(None, condition, "test")[0]
    returned = replace(alert, id="r2", active=False)  # back to normal, not acknowledged
    assert returned.state is AlertState.RETURNED_UNACKNOWLEDGED
    table.show_alerts([alert, returned], grouped=False)
    table.resize(500, 300)
    table.show()
    qtbot.waitExposed(table)
    label = AlertState.RETURNED_UNACKNOWLEDGED.label()
    assert table.columnWidth(STATE_COLUMN) < 0.8 * table.fontMetrics().horizontalAdvance(label)  # on two lines
    assert table.columnWidth(TITLE_COLUMN) >= 0.4 * table.viewport().width()
    assert table.horizontalScrollBar().maximum() == 0


def test_a_group_whose_alerts_are_shelved_says_so_not_handled(qtbot, panel_and_engine):
    """Flood mode groups the queue; a group shelved for an hour read "đã xử lý hết" (all handled)."""
    panel, engine, bus = panel_and_engine
    for i in range(12):
        bus.publish(_report(i, 16.5 if i % 3 else 16.6))
    qtbot.waitUntil(lambda: engine.snapshot().flood and panel.table.row_count() == 2, timeout=10000)
    v2 = [a.id for a in engine.snapshot().alerts if a.village == "v2"]
    engine.shelve(v2, op("An"), "đang kiểm tra", 3600)

    def state_of_group(village: str) -> str:
        model = panel.table.model()
        for row in range(model.rowCount()):
            if model.index(row, 3).data() == village:
                return model.index(row, 1).data()
        return ""

    village_name = next(v.name for v in panel.config.villages if v.id == "v2")
    qtbot.waitUntil(lambda: state_of_group(village_name) == f"{len(v2)} tạm gác", timeout=10000)


def test_the_counters_stay_in_view_above_the_list(qtbot, panel_and_engine):
    """In flood mode at 1920 x 1080 the queue's column is short and the panel scrolls: the
    counters ("Cần xử lý: 9 …") sat under the list and went out of view first."""
    panel, _engine, _bus = panel_and_engine
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.kpis.geometry().bottom() < panel.table.geometry().top()
    assert panel.table.geometry().bottom() < panel.history.geometry().top()  # the history goes first
