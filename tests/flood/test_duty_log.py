"""Duty log (sổ trực ban): shifts, automatic and free-text entries, handover sign-off, and no
change after sign-off goes unnoticed (it rides on the audit chain). Real SQLite + writer."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import update

from controlroom.bus import EventBus
from controlroom.domain import DeviceStatus
from controlroom.flood.duty_log import NOTE, DutyLog, DutyLogError, entry_text
from controlroom.flood.monitor import RiskLevelChanged
from controlroom.access.operators import Operator, Role
from controlroom.storage.db import create_engine_for, migrate
from controlroom.storage.models import audit_log
from controlroom.storage.writer import StorageWriter

AN = Operator("an", "Nguyễn Văn An", Role.DUTY_OFFICER)
BINH = Operator("binh", "Trần Thị Bình", Role.DUTY_OFFICER)


@pytest.fixture
def parts(demo_config, tmp_path):
    engine = create_engine_for(f"sqlite:///{tmp_path}/duty.db")
    migrate(engine)
    bus = EventBus()
    storage = StorageWriter(engine, bus, site_id=demo_config.site.id, database=demo_config.database)
    storage.start()
    yield demo_config, engine, storage, bus
    storage.stop()


def test_handover_signed_by_both_then_an_edit_is_caught(parts):
    config, engine, storage, bus = parts
    duty = DutyLog(config, engine, storage, bus)
    first = duty.start_shift(AN)
    with pytest.raises(DutyLogError):
        duty.start_shift(BINH)
    duty.note(AN, "Kiểm tra cống Phước Yên, nước đã qua mặt đường").result(timeout=30)
    bus.publish(RiskLevelChanged("wl_phu_oc", 2, 3, "measured", 3.1, datetime.now(timezone.utc)))
    bus.publish(DeviceStatus("wl_phuoc_yen", False, datetime.now(timezone.utc)))
    storage.flush()
    with pytest.raises(DutyLogError):
        duty.handover(BINH, AN)  # only the officer on duty hands over
    second = duty.handover(AN, BINH, "Bàn giao: 2 bản tin đang nhắc lại")
    duty.note(BINH, "Nhận ca").result(timeout=30)
    shifts = {s.id: s for s in duty.shifts()}
    assert shifts[first].signed_off and shifts[first].incoming == "binh"
    assert not shifts[second].signed_off and duty.current_shift().officer == "binh"
    texts = [entry_text(e) for e in duty.entries(shifts[first])]
    assert texts[0].endswith("Nguyễn Văn An") or "Nguyễn Văn An" in texts[0]
    assert any("Phước Yên" in t for t in texts) and any("2 → 3" in t for t in texts)
    station = next(x.name for x in config.sensors if x.status_device_id == "wl_phuoc_yen")
    assert any(station in t for t in texts)  # the device by its name
    assert "Nhận ca" not in " ".join(texts)  # the next shift's entry is not in the signed log
    assert duty.verify_shift(shifts[first]) == (True, "")

    note = next(e for e in duty.entries(shifts[first]) if e.action == NOTE)
    with engine.begin() as conn:  # someone edits the signed-off log in the database
        conn.execute(update(audit_log).where(audit_log.c.seq == note.seq).values(detail={"text": "Không có gì"}))
    ok, reason = duty.verify_shift(shifts[first])
    assert not ok and str(note.seq) in reason


def test_empty_note_is_refused(parts):
    config, engine, storage, bus = parts
    duty = DutyLog(config, engine, storage, bus)
    with pytest.raises(DutyLogError):
        duty.note(AN, "   ")


def test_the_log_says_in_words_who_did_what_and_a_console_closing_is_no_outage(second_config, tmp_path):
    """Read as an officer reads the log: "Tạm gác cảnh báo: <the alert's title> — <why>", "Đăng
    nhập (Cán bộ trực ban)"; not "alert.shelve sensor.<id>.<metric>.low" or "operator.sign_in
    command channel"; another console going away is not "Device controlroom-… went offline"; a risk
    level by its station's name, and only when it changed."""
    from datetime import timedelta

    from controlroom.access.audit import append_entry
    from controlroom.alerts import model
    from controlroom.alerts.store import write_alerts

    engine = create_engine_for(f"sqlite:///{tmp_path}/duty.db")
    migrate(engine)
    bus = EventBus()
    storage = StorageWriter(engine, bus, site_id=second_config.site.id, database=second_config.database)
    storage.start()
    try:
        duty = DutyLog(second_config, engine, storage, bus)
        shift = duty.start_shift(AN)
        sensor = second_config.sensor("ao_tom_1")
        now = datetime.now(timezone.utc)
        raised, _ = model.apply_condition(None, model.Condition(
            f"sensor/{sensor.id}/do", "low", "threshold", True, now, model.Priority.HIGH, 2.1, 3.0, 1,
            sensor.village, {"name": sensor.name, "label": "DO"}), "c")
        alert, event = model.shelve(raised, "an", "đang sục khí", timedelta(hours=1), now, "c")
        storage.execute(lambda conn: write_alerts(conn, second_config.site.id, [alert], [event])).result(timeout=30)
        storage.execute(lambda conn: append_entry(conn, second_config.site.id, now, "an", "operator.sign_in",
                                                  "command channel", {"role": "duty_officer"})).result(timeout=30)
        bus.publish(DeviceStatus(f"controlroom-{second_config.site.id}-may-tram-2", False, now))
        bus.publish(DeviceStatus(sensor.status_device_id, False, now))
        lagoon = second_config.sensor("dam_cau_hai")
        bus.publish(RiskLevelChanged(lagoon.id, 0, 0, "measured", 0.2, now))  # a start's first reckoning
        bus.publish(RiskLevelChanged(lagoon.id, 1, 2, "measured", 1.5, now))
        storage.flush()
        texts = [entry_text(e) for e in duty.entries(next(s for s in duty.shifts() if s.id == shift))]
    finally:
        storage.stop()
    assert any(t.startswith("Tạm gác cảnh báo: ") and sensor.name in t and t.endswith("— đang sục khí") for t in texts), texts
    assert "Đăng nhập (Cán bộ trực ban)" in texts, texts
    assert not any("may-tram-2" in t for t in texts), texts  # a console closing is no outage
    assert any(sensor.name in t and "mất kết nối" in t for t in texts), texts
    assert not any(t.startswith(("alert.", "operator.")) for t in texts), texts
    assert [t for t in texts if t.startswith("Cấp độ rủi ro")] == [f"Cấp độ rủi ro tại {lagoon.name}: 1 → 2 (theo số đo)"]
