"""Sign-in puts the operator where the core checks roles; a signed-in viewer cannot broadcast
even by calling the core service; sign-ins are in the audit log, whose verification names an
edited row (also through `controlroom audit verify --db`); idle lock; no plain-text passwords."""

from __future__ import annotations

import subprocess
import sys
import wave

import pytest
from sqlalchemy import select, update

from controlroom.access.audit import AuditLog, verify_chain
from controlroom.access.operators import Operator, PermissionDenied, Role, authenticate
from controlroom.access.accounts import DEMO_ACCOUNTS, seed_demo_operators
from controlroom.storage.models import audit_log, operators
from controlroom.ui.access.sign_in import IdleLock, SignInDialog


def silence(path, seconds=1.0, rate=8000):
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * int(seconds * rate))
    return path


def seeded(context):
    core = context.core
    core.storage.execute(lambda conn: seed_demo_operators(conn, core.site_id)).result(timeout=30)
    return core


def audit_rows(engine):
    with engine.connect() as conn:
        return conn.execute(select(audit_log.c.seq, audit_log.c.actor, audit_log.c.action).order_by(audit_log.c.seq)).all()


def test_signed_in_viewer_cannot_broadcast_even_through_the_core(qtbot, ops_context, tmp_path):
    core = seeded(ops_context)
    viewer = core.access.authenticate("xem", DEMO_ACCOUNTS["xem"][2])
    assert viewer is not None and viewer.role is Role.VIEWER
    session = ops_context.session
    session.sign_in(viewer)
    assert core.access.session.acting_operator() is viewer
    service = core.broadcast.service
    with pytest.raises(PermissionDenied):
        service.start_job(title="Cảnh báo", audio_path=silence(tmp_path / "s.wav"), duration_s=1,
                          targets=service.speakers_in(["la_van_ha"]), operator=session.acting_operator())
    assert service.jobs() == []
    core.storage.flush()
    assert ("xem", "operator.sign_in") in [(r.actor, r.action) for r in audit_rows(core.engine)]


def test_sign_in_dialog_checks_in_the_background_and_audits_failures(qtbot, ops_context):
    core = seeded(ops_context)
    session = ops_context.session
    dialog = SignInDialog(session, core.access.authenticate)
    qtbot.addWidget(dialog)
    dialog.username.setText("trucban")
    dialog.password.setText("wrong-password")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.button.isEnabled(), timeout=20_000)
    assert session.operator is None and dialog.password.text() == ""
    dialog.password.setText(DEMO_ACCOUNTS["trucban"][2])
    with qtbot.waitSignal(session.changed, timeout=20_000):
        dialog.submit()
    assert session.operator.role is Role.DUTY_OFFICER
    assert core.access.session.operator.username == "trucban"
    core.storage.flush()
    actions = [(r.actor, r.action) for r in audit_rows(core.engine)]
    assert ("trucban", "operator.sign_in_failed") in actions and ("trucban", "operator.sign_in") in actions


def test_idle_lock_locks_after_the_configured_time(qtbot, ops_context):
    now = [1000.0]
    session = ops_context.session
    session.sign_in(Operator("vanhanh", "Vận hành", Role.OPERATOR))
    idle = IdleLock(session, timeout_s=300, clock=lambda: now[0])
    now[0] += 299
    assert not idle.check()
    from PyQt6.QtCore import QEvent
    from PyQt6.QtGui import QKeyEvent
    from PyQt6.QtCore import Qt

    idle.eventFilter(None, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_A, Qt.KeyboardModifier.NoModifier))
    now[0] += 299
    assert not idle.check() and not session.locked
    now[0] += 2
    with qtbot.waitSignal(session.locked_changed):
        assert idle.check()
    assert session.locked


def test_audit_verify_names_an_edited_sign_in_row(ops_context):
    core = ops_context.core
    log = AuditLog(core.storage, core.site_id)
    for user in ("xem", "vanhanh", "trucban"):
        log.record(user, "operator.sign_in", "console", {"role": "x"})
    core.storage.flush()
    url = str(core.engine.url.render_as_string(hide_password=False))
    ok = subprocess.run([sys.executable, "-m", "controlroom.cli.main", "audit", "verify", "--db", url],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    seqs = [r.seq for r in audit_rows(core.engine)]
    with core.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == seqs[1]).values(actor="someone-else"))
    assert verify_chain(core.engine).first_bad_seq == seqs[1]
    bad = subprocess.run([sys.executable, "-m", "controlroom.cli.main", "audit", "verify", "--db", url],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and f"#{seqs[1]}" in (bad.stdout + bad.stderr)


def test_first_admin_from_the_cli_has_a_salted_hash_and_no_plain_text(tmp_path, data_dir):
    db = tmp_path / "accounts.sqlite3"
    url = f"sqlite:///{db.as_posix()}"
    password = "mật-khẩu-quản-trị-42"
    for user in ("anh", "binh"):
        done = subprocess.run([sys.executable, "-m", "controlroom.cli.main", "operators", "add", user, "--role", "admin",
                               "--password-stdin", "--db", url], input=password + "\n", capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    from controlroom.storage.db import create_engine_for

    engine = create_engine_for(url)
    with engine.connect() as conn:
        rows = conn.execute(select(operators.c.username, operators.c.password_hash, operators.c.salt)).all()
    assert rows[0].password_hash != rows[1].password_hash and rows[0].salt != rows[1].salt  # salted
    assert authenticate(engine, "quangtho", "anh", password).role is Role.ADMIN
    assert authenticate(engine, "quangtho", "anh", "wrong") is None
    engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("accounts.sqlite3*"))
    assert password.encode("utf-8") not in raw


def test_alert_acknowledge_and_shelve_check_the_role_in_the_engine_and_are_audited(ops_context):
    from controlroom.alerts.model import AlertState, Priority

    from ..conftest import wait_until

    core = ops_context.core
    engine = core.alerts
    operator = Operator("vanhanh", "Vận hành", Role.OPERATOR)
    first = engine.raise_manual(operator, "Nước tràn qua đường", Priority.HIGH)
    second = engine.raise_manual(operator, "Sạt lở bờ kênh", Priority.HIGH)
    wait_until(lambda: engine.snapshot().get(second) is not None, message="the manual alerts")
    viewer = Operator("xem", "Người xem", Role.VIEWER)
    with pytest.raises(PermissionDenied):
        engine.acknowledge([first], viewer)
    with pytest.raises(PermissionDenied):
        engine.shelve([second], viewer, "bảo trì", 600)
    engine.acknowledge([first], operator, "đã xem camera")
    engine.shelve([second], operator, "bảo trì", 600)
    wait_until(lambda: engine.snapshot().get(second).state is AlertState.SHELVED, message="shelved")
    wait_until(lambda: engine.snapshot().get(first).acked, message="acknowledged")
    core.storage.flush()
    actions = [(r.actor, r.action) for r in audit_rows(core.engine)]
    assert ("vanhanh", "alert.acknowledge") in actions and ("vanhanh", "alert.shelve") in actions
    assert all(actor != "xem" for actor, _ in actions)
    assert verify_chain(core.engine).ok


def test_the_broadcast_panel_follows_the_signed_in_role(qtbot, ops_context):
    from controlroom.ui.broadcast.panel import create_broadcast_panel

    panel = create_broadcast_panel(ops_context, None)
    qtbot.addWidget(panel)
    session = ops_context.session
    assert not panel.new_button.isEnabled() and "Hãy đăng nhập" in panel.new_button.toolTip()
    session.sign_in(Operator("vanhanh_t", "Vận hành", Role.OPERATOR))
    assert panel.new_button.isEnabled() and not panel.emergency_button.isEnabled()
    assert "Vận hành" in panel.emergency_button.toolTip()
    session.sign_out()
    session.sign_in(Operator("trucban_t", "Trực ban", Role.DUTY_OFFICER))
    assert panel.new_button.isEnabled() and panel.emergency_button.isEnabled()
