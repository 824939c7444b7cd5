"""Operator accounts: salted hashes only, sign-in by password, roles that gate actions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from controlroom.access.operators import (
    Operator,
    PermissionDenied,
    Role,
    authenticate,
    authorize,
    hash_password,
    operator_row,
)
from controlroom.storage.models import operators

SITE = "quangtho"


def test_same_password_hashes_differently_with_each_salt():
    assert hash_password("matkhau")[0] != hash_password("matkhau")[0]


def test_sign_in_checks_the_password_and_never_stores_it(engine, writer):
    row = operator_row(SITE, "trucban", "Nguyễn Văn A", Role.DUTY_OFFICER, "Lũ-2026!")
    writer.execute(lambda conn: conn.execute(operators.insert().values(**row))).result(timeout=10)
    signed_in = authenticate(engine, SITE, "trucban", "Lũ-2026!")
    assert signed_in == Operator("trucban", "Nguyễn Văn A", Role.DUTY_OFFICER)
    assert authenticate(engine, SITE, "trucban", "wrong") is None
    assert authenticate(engine, SITE, "nobody", "Lũ-2026!") is None
    with engine.connect() as conn:
        stored = conn.execute(select(operators)).mappings().one()
    assert "Lũ-2026!" not in str(dict(stored))


def test_each_role_may_do_only_its_share():
    viewer, operator, officer = (Operator("u", "U", role) for role in (Role.VIEWER, Role.OPERATOR, Role.DUTY_OFFICER))
    with pytest.raises(PermissionDenied):
        authorize(viewer, "alert.acknowledge")
    authorize(operator, "alert.acknowledge")
    with pytest.raises(PermissionDenied):
        authorize(operator, "broadcast.emergency")
    authorize(officer, "broadcast.emergency")
