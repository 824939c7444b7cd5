"""The compose dialog's confirmation step and the live delivery board, offscreen."""

from __future__ import annotations

import csv
import uuid

import pytest

from controlroom.broadcast.jobs import DeliveryState, Priority
from controlroom.access.accounts import upsert_operator
from controlroom.access.operators import Operator, Role, operator_row
from controlroom.sim.simulator import Simulator
from controlroom.ui.shell.bridge import CoreBridge
from controlroom.ui.broadcast.panel import BroadcastPanel


@pytest.fixture
def console(demo_config, mqtt_broker, make_core, qtbot):
    broadcast = demo_config.broadcast.model_copy(update={"start_timeout_s": 3.0, "finish_margin_s": 5.0, "schedule": []})
    mqtt_cfg = demo_config.mqtt.model_copy(update={"topic_prefix": f"t{uuid.uuid4().hex[:8]}"})
    config = demo_config.model_copy(update={"broadcast": broadcast, "mqtt": mqtt_cfg})
    offline = [s.id for s in config.speakers if s.village == "la_van_ha"][:1]
    simulator = Simulator(config, mqtt_broker.host, mqtt_broker.port, seed=3, speaker_speed=20.0, device_outages=False,
                          reports=False, speaker_offline_ids=set(offline), speaker_fault_ids=set())
    simulator.start()
    core = make_core(config, broker=mqtt_broker)
    broadcasting = core.broadcast
    bridge = CoreBridge(core.bus, core.live)
    officer = Operator("trucban", "Nguyễn Văn Trực", Role.DUTY_OFFICER)
    panel = BroadcastPanel(broadcasting.service, lambda: officer, programme=broadcasting.programme)
    bridge.speaker_status.connect(panel.apply_speaker_status)
    bridge.other_event.connect(panel.apply_event)
    qtbot.addWidget(panel)
    panel.resize(1400, 800)
    panel.show()
    yield panel, config, offline[0]
    bridge.close()
    simulator.stop()


def test_emergency_to_every_village_needs_the_explicit_confirmation(console, qtbot):
    panel, config, _ = console
    dialog = panel.compose(priority=Priority.EMERGENCY)
    dialog.select_villages([v.id for v in config.villages])
    dialog.text_edit.setPlainText("Cảnh báo lũ khẩn cấp. Nước sông Bồ đang lên nhanh.")
    dialog.next_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=10_000)
    assert dialog.confirm_check.isVisible()
    assert not dialog.confirm_button.isEnabled()
    assert str(len(config.speakers)) in dialog.confirm_details.text()
    dialog.confirm_check.setChecked(True)
    assert dialog.confirm_button.isEnabled()
    dialog.reject()


def test_broadcast_from_the_panel_shows_delivery_on_the_board(console, qtbot, tmp_path):
    panel, config, offline = console
    qtbot.waitUntil(lambda: len(panel.service.speaker_statuses()) == len(config.speakers), timeout=10_000)
    dialog = panel.compose()
    dialog.select_villages(["la_van_ha"])
    dialog.text_edit.setPlainText("Thông báo lịch tiêm phòng cho gia súc.")
    dialog.next_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=10_000)
    assert not dialog.confirm_check.isVisible()  # one village, not an emergency: no tick box
    panel.grab().save(str(tmp_path / "compose.png"))
    dialog.confirm_button.click()
    qtbot.waitUntil(lambda: panel.board.job_id is not None, timeout=10_000)
    job = panel.service.job(panel.board.job_id)
    qtbot.waitUntil(lambda: job.finished, timeout=30_000)
    qtbot.waitUntil(lambda: panel.board.totals.text() == job.totals().summary(), timeout=5_000)
    assert "Nguyễn Văn Trực" in panel.board.title.text()  # the officer's name, not the account
    states = {panel.board.table.item(r, 2).data(256) for r in range(panel.board.table.rowCount())}
    assert states == {DeliveryState.PLAYED.value, DeliveryState.OFFLINE.value}
    assert panel.board.retry_button.isEnabled()  # the offline speaker can be retried
    assert offline in job.deliveries and job.deliveries[offline].state is DeliveryState.OFFLINE
    # the panel with a job on its board still fits the dock it has at 1920 x 1080 (~900 px, tabbed
    # beside the camera wall): the totals wrap, the buttons flow, no scroll bar cuts anything off
    assert panel.minimumSizeHint().width() <= 640, panel.minimumSizeHint()


def test_broadcast_log_exports_as_csv_excel_reads(console, qtbot, tmp_path):
    panel, config, _ = console
    with panel.service.engine.begin() as conn:
        upsert_operator(conn, operator_row(config.site.id, "trucban", "Nguyễn Văn Trực", Role.DUTY_OFFICER, "mat-khau-1"))
    qtbot.waitUntil(lambda: len(panel.service.speaker_statuses()) == len(config.speakers), timeout=10_000)
    dialog = panel.compose()
    dialog.select_villages(["pho_nam_a"])
    dialog.text_edit.setPlainText("Bản tin thôn Phò Nam A")
    dialog.next_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=10_000)
    dialog.confirm_button.click()
    qtbot.waitUntil(lambda: panel.board.job_id is not None and panel.service.job(panel.board.job_id).finished, timeout=30_000)
    target = tmp_path / "log.csv"
    qtbot.waitUntil(lambda: _flushed(panel), timeout=10_000)
    panel.export_log(target, days=1)
    qtbot.waitUntil(lambda: str(target) in panel.status_label.text(), timeout=10_000)  # written and closed
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    lines = raw.decode("utf-8-sig").splitlines()
    assert len(lines) == 2
    speakers = [s for s in config.speakers if s.village == "pho_nam_a"]
    row = next(csv.reader([lines[1]]))
    assert row[1] == "Nguyễn Văn Trực" and row[3] == "Bản tin thôn Phò Nam A"
    assert row[5] == "; ".join(s.name for s in speakers)  # the speakers' names, not their ids
    assert row[-4:] == [str(len(speakers)), str(len(speakers)), "0", "0"]


def _flushed(panel) -> bool:
    from sqlalchemy import select

    from controlroom.storage.models import broadcasts

    with panel.service.engine.connect() as conn:
        state = conn.execute(select(broadcasts.c.state).where(broadcasts.c.id == panel.board.job_id)).scalar()
    return state == "finished"


def test_programme_editor_saves_a_day_change_and_refuses_an_operator(console, qtbot):
    from PyQt6.QtCore import Qt

    from controlroom.ui.broadcast.programme_editor import ProgrammeEditor

    panel, config, _ = console
    panel.programme.save(_entry(), panel.operator).result(10)
    editor = panel.open_programme()
    qtbot.addWidget(editor)
    entry = panel.programme.entries()[0]
    sunday = editor.table.item(0, 3 + 6)
    sunday.setCheckState(Qt.CheckState.Unchecked if 6 in entry.weekdays else Qt.CheckState.Checked)
    changed = panel.programme.entries()[0]
    assert (6 in changed.weekdays) != (6 in entry.weekdays)
    restricted = ProgrammeEditor(panel.programme, config, Operator("vh", "Vận hành", Role.OPERATOR))
    qtbot.addWidget(restricted)
    restricted.table.item(0, 3).setCheckState(Qt.CheckState.Unchecked if 0 in changed.weekdays else Qt.CheckState.Checked)
    assert panel.programme.entries()[0].weekdays == changed.weekdays
    assert restricted.message.text()  # the operator is told why


def _entry():
    from controlroom.config import ScheduledBroadcastConfig

    return ScheduledBroadcastConfig(id="noon", title="Bản tin trưa", time="11:30", zone="all", text="Bản tin trưa")
