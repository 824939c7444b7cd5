"""Operator accounts in the database: add or update one, and the demo's documented accounts.

The demo seeds its own accounts (`DEMO_ACCOUNTS`, documented in the README) only when run
with --demo; a real console creates accounts with `controlroom operators add`.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from controlroom.access.operators import SYSTEM, Role, actor_name, operator_row
from controlroom.storage.models import operators
from controlroom.storage.upsert import upsert

# Demo only (controlroom --demo): user name -> (display name, role, password). Documented in
# the README's demo section; a real console creates accounts with `controlroom operators add`.
DEMO_ACCOUNTS = {
    "xem": ("Người xem (demo)", Role.VIEWER, "demo-xem-2025"),
    "vanhanh": ("Nhân viên vận hành (demo)", Role.OPERATOR, "demo-vanhanh-2025"),
    "trucban": ("Cán bộ trực ban (demo)", Role.DUTY_OFFICER, "demo-trucban-2025"),
    "quantri": ("Quản trị viên (demo)", Role.ADMIN, "demo-quantri-2025"),
}


def upsert_operator(conn: Connection, row: dict) -> None:
    """Insert the account, or update every column but its identity and creation time."""
    upsert(conn, operators, [row], ["site_id", "username"], keep=("created_at",))


def operator_names(conn: Connection, site_id: str) -> dict[str, str]:
    """Account -> the name people know its operator by, for reports and logs ("truc" -> "Lê Văn Trực");
    what the room does by itself (the programme, repeating bulletins) is the system's."""
    names = {SYSTEM.username: actor_name(SYSTEM.username)}
    names.update(conn.execute(select(operators.c.username, operators.c.display_name)
                              .where(operators.c.site_id == site_id)).all())
    return names


def seed_demo_operators(conn: Connection, site_id: str) -> int:
    """Create the demo accounts that do not exist yet (demo mode only); returns how many."""
    have = {r.username for r in conn.execute(select(operators.c.username).where(operators.c.site_id == site_id))}
    made = 0
    for username, (name, role, password) in DEMO_ACCOUNTS.items():
        if username not in have:
            conn.execute(operators.insert().values(**operator_row(site_id, username, name, role, password)))
            made += 1
    return made
