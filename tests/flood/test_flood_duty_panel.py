"""The flood duty panel offscreen: the banner follows the river, F8 + Enter warns the
low-lying villages, the damage table sums villages, the duty log takes a note."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from PyQt6.QtCore import Qt

from controlroom.domain import Reading
from controlroom.access.operators import Operator, Role
from controlroom.ui.shell.bridge import CoreBridge
from controlroom.ui.shell.context import AppContext
from controlroom.ui.flood.duty_panel import create_flood_duty_panel

OFFICER = Operator("trucban", "Trực ban", Role.DUTY_OFFICER)


@pytest.fixture
def panel(demo_config, mqtt_broker, make_core, qtbot):
    mqtt_cfg = demo_config.mqtt.model_copy(update={"topic_prefix": f"t{uuid.uuid4().hex[:8]}"})
    broadcast = demo_config.broadcast.model_copy(update={"schedule": []})
    config = demo_config.model_copy(update={"mqtt": mqtt_cfg, "broadcast": broadcast})
    core = make_core(config, broker=mqtt_broker)
    bridge = CoreBridge(core.bus, core.live)
    context = AppContext(config=config, core=core, bridge=bridge)
    context.session.sign_in(OFFICER)
    widget = create_flood_duty_panel(context, None)
    qtbot.addWidget(widget)
    widget.resize(1200, 900)
    widget.show()
    yield widget, core, config
    context.shutdown()
    bridge.close()


def test_f8_then_enter_warns_every_low_lying_village(panel, qtbot):
    widget, core, config = panel
    station = next(s for s in config.sensors if s.kind == "water_level")
    core.bus.publish(Reading(station.id, "level", datetime.now(timezone.utc), 4.62))
    qtbot.waitUntil(lambda: widget.banner.level == 3, timeout=10_000)
    assert "3" in widget.banner.title.text()
    qtbot.keyClick(widget, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: widget.compose_dialog is not None and widget.compose_dialog.isVisible(), timeout=10_000)
    dialog = widget.compose_dialog
    assert "4,62" in dialog.text.toPlainText() and "cấp 3" in dialog.text.toPlainText()
    with qtbot.waitSignal(widget.issued, timeout=60_000) as issued:
        qtbot.keyClick(dialog.issue_button, Qt.Key.Key_Return)
    bulletin = widget.duty.bulletins.bulletins()[0]
    assert bulletin.id == issued.args[0]
    low = {v.id for v in config.villages if v.low_lying}
    job = context_job = widget.duty.bulletins._service.job(bulletin.job_id(0))
    villages = {s.village for s in config.speakers if s.id in context_job.targets}
    assert villages == low and job.priority.name == "EMERGENCY"
    qtbot.waitUntil(lambda: widget.table.rowCount() == 1, timeout=10_000)
    assert widget.table.item(0, 3).text() == "1"  # sent once when issued: not "0 times"


def test_damage_table_sums_the_villages(panel, qtbot):
    widget, core, config = panel
    tab = widget.damage_tab
    tab.new_event()
    qtbot.waitUntil(lambda: tab.event_box.count() == 1, timeout=20_000)
    col = {vid: i + 1 for i, (vid, _) in enumerate(tab.villages)}
    from controlroom.flood.damage_indicators import INDICATORS
    row = next(i for i, ind in enumerate(INDICATORS) if ind.code == "evacuated_people")
    qtbot.waitUntil(lambda: tab.table.item(row, 0) is not None, timeout=20_000)  # the event's figures loaded
    tab.table.item(row, col["la_van_ha"]).setText("120")
    tab.table.item(row, col["phuoc_yen"]).setText("35")
    assert tab.table.item(row, len(tab.villages) + 1).text() == "155"
    tab.save()
    qtbot.waitUntil(lambda: widget.duty.damage.per_village(tab.event_id()).get("phuoc_yen") == {"evacuated_people": 35.0},
                    timeout=20_000)


def test_duty_log_takes_a_note(panel, qtbot):
    widget, core, config = panel
    tab = widget.duty_tab
    tab.start_shift()
    qtbot.waitUntil(lambda: "Trực ban" in tab.shift_label.text() or "trucban" in tab.shift_label.text(), timeout=20_000)
    tab.note.setText("Nước tràn qua đường liên thôn La Vân Hạ")
    tab.add_note()
    qtbot.waitUntil(lambda: any("La Vân Hạ" in tab.entries.item(i).text() for i in range(tab.entries.count())),
                    timeout=20_000)


def test_duty_log_exports_a_pdf(panel, qtbot, data_dir):
    widget, core, config = panel
    tab = widget.duty_tab
    tab.start_shift()
    qtbot.waitUntil(lambda: tab.log_shift() is not None, timeout=20_000)
    tab.export_pdf()
    qtbot.waitUntil(lambda: bool(list((data_dir / "reports").glob("so-truc-ban-*.pdf"))), timeout=30_000)
    qtbot.waitUntil(lambda: "so-truc-ban" in widget.status.text(), timeout=30_000)


def test_f8_needs_a_duty_officer_and_says_so_before_any_dialog(panel, qtbot):
    widget, _core, _config = panel
    session = widget.context.session
    session.sign_out()
    assert not widget.warn_button.isEnabled() and "Hãy đăng nhập" in widget.warn_button.toolTip()
    session.sign_in(Operator("vanhanh_t", "Vận hành", Role.OPERATOR))
    assert not widget.warn_button.isEnabled() and not widget.set_forecast_button.isEnabled()
    widget.open_warning()  # F8 reaches the slot whatever the button says
    assert widget.compose_dialog is None and "Vận hành" in widget.status.text()
    session.sign_in(OFFICER)
    assert widget.warn_button.isEnabled() and widget.set_forecast_button.isEnabled()


def test_the_bulletin_table_fits_a_narrow_dock(panel, qtbot):
    """The right column of a 1920x1080 console is ~500 px: every bulletin column is in view."""
    widget, _core, _config = panel
    widget.resize(440, 900)  # narrower than the real column: room to spare for fonts and themes
    table = widget.table
    qtbot.waitUntil(lambda: table.viewport().width() < 440)
    header = table.horizontalHeader()
    assert sum(header.sectionSizeHint(c) for c in range(table.columnCount())) <= table.viewport().width()
    assert table.horizontalHeaderItem(5).toolTip() == "Đã phát (lần gần nhất)"  # the whole words


def test_stopping_a_warning_asks_first_and_keeps_the_reason(panel, qtbot):
    """One click on "Cancel selected bulletin" stopped a flood warning's repeats with nothing
    asked: now the officer confirms and says why, and the duty log keeps it."""
    widget, core, config = panel
    station = next(s for s in config.sensors if s.kind == "water_level")
    core.bus.publish(Reading(station.id, "level", datetime.now(timezone.utc), 4.62))
    qtbot.waitUntil(lambda: widget.banner.level == 3, timeout=10_000)
    widget.open_warning()
    qtbot.waitUntil(lambda: widget.compose_dialog is not None and widget.compose_dialog.isVisible(), timeout=10_000)
    with qtbot.waitSignal(widget.issued, timeout=60_000):
        widget.compose_dialog.accept()
    qtbot.waitUntil(lambda: widget.table.rowCount() == 1, timeout=10_000)
    assert not widget.history.isVisible()  # the bulletin's life shows once one is selected
    widget.table.selectRow(0)
    assert widget.history.isVisible()
    bulletin = widget.duty.bulletins.bulletins()[0]

    widget.cancel_selected()
    assert widget.cancel_dialog.isVisible()
    widget.cancel_dialog.reject()  # "Keep it": nothing sent (below, the one cancellation has the reason)
    assert widget.duty.bulletins.bulletins()[0].state == "active"

    widget.cancel_selected()
    widget.cancel_dialog.setTextValue("nước đã rút dưới báo động I")
    widget.cancel_dialog.accept()
    def cancellations() -> list[dict]:
        return [detail for _ts, _actor, action, detail in widget.duty.bulletins.history(bulletin.id)
                if action == "bulletin.cancelled"]

    qtbot.waitUntil(lambda: bool(cancellations()), timeout=10_000)  # stored just after the state changed
    assert cancellations() == [{"reason": "nước đã rút dưới báo động I"}]
    assert widget.duty.bulletins.bulletins()[0].state == "cancelled"


def test_the_bulletin_table_has_room_in_a_1080p_column(panel, qtbot):
    """The right column of a 1920x1080 console gives the panel ~500 x 470 px: under the risk banner
    the table shows at least two bulletins (the forecast, entered now and then, has its own tab;
    a bulletin's life shows only once one is selected)."""
    widget, _core, _config = panel
    widget.resize(500, 470)
    table = widget.table
    qtbot.waitUntil(lambda: table.isVisible() and table.viewport().height() > 0)
    assert table.viewport().height() >= 2 * table.verticalHeader().defaultSectionSize()
