"""`controlroom audit verify`: 0 on an intact or empty chain, 1 naming the first bad entry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import update

from controlroom.access.audit import AuditLog
from controlroom.storage.models import audit_log


CONSOLE_SCRIPT = str(Path(sys.executable).with_name("controlroom"))


def verify(db_url: str) -> subprocess.CompletedProcess:
    return subprocess.run([CONSOLE_SCRIPT, "audit", "verify", "--db", db_url], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).parent)


def test_verify_command_on_empty_intact_and_tampered_chains(db_url, engine, writer):
    assert verify(db_url).returncode == 0
    log = AuditLog(writer, "quangtho")
    for i in range(3):
        log.record("trucban", "alert.shelve", f"a{i}", {"reason": "bảo trì"}).result(timeout=10)
    intact = verify(db_url)
    assert intact.returncode == 0 and "3" in intact.stdout
    with engine.begin() as conn:
        seq = conn.execute(audit_log.select().order_by(audit_log.c.seq)).all()[1].seq
        conn.execute(update(audit_log).where(audit_log.c.seq == seq).values(detail={"reason": "sửa lại"}))
    tampered = verify(db_url)
    assert tampered.returncode == 1
    assert f"#{seq}" in tampered.stdout
    assert "Traceback" not in tampered.stderr
