"""Operators, roles and what each role may do — enforced in the core, not by hiding buttons.

Roles, lowest first: viewer (xem), operator (vận hành), duty officer (trực ban), admin
(quản trị). A core service that performs an action calls ``authorize(operator, action)``
before it acts, so a viewer cannot broadcast even by calling the service directly.
Passwords are stored as salted scrypt hashes (stdlib hashlib); never as text.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Engine, func, select

from controlroom.i18n import tr
from controlroom.storage.models import operators

SCRYPT_PARAMS = {"kdf": "scrypt", "n": 2**14, "r": 8, "p": 1, "dklen": 32}


class Role(enum.IntEnum):
    NOBODY = 0  # no one signed in (or the console is locked): may do nothing
    VIEWER = 1
    OPERATOR = 2
    DUTY_OFFICER = 3
    ADMIN = 4

    @property
    def label(self) -> str:
        return {0: tr("not signed in"), 1: tr("Viewer"), 2: tr("Operator"), 3: tr("Duty officer"),
                4: tr("Administrator")}[self.value]


# The least role each action needs.
PERMISSIONS: dict[str, Role] = {
    "alert.acknowledge": Role.OPERATOR,
    "alert.shelve": Role.OPERATOR,
    "alert.raise": Role.OPERATOR,
    "alert.out_of_service": Role.DUTY_OFFICER,
    "broadcast.start": Role.OPERATOR,
    "broadcast.emergency": Role.DUTY_OFFICER,
    "broadcast.programme": Role.DUTY_OFFICER,
    "camera.ptz": Role.OPERATOR,
    "camera.export": Role.OPERATOR,  # snapshots and replay clips: pictures of people leave the wall
    "evidence.export": Role.OPERATOR,
    "flood.risk_level": Role.DUTY_OFFICER,
    "duty.note": Role.OPERATOR,  # a line in the duty log
    "duty.shift": Role.DUTY_OFFICER,  # open a shift, hand it over
    "damage.report": Role.OPERATOR,  # the quick damage report's events and figures
    "config.change": Role.ADMIN,
    "operators.manage": Role.ADMIN,
}


def action_label(action: str) -> str:
    """What an action is, in the operator's words (never the internal id)."""
    return {
        "alert.acknowledge": tr("acknowledge alerts"), "alert.shelve": tr("shelve alerts"),
        "alert.raise": tr("raise an alert"), "alert.out_of_service": tr("take alerts out of service"),
        "broadcast.start": tr("broadcast on the loudspeakers"), "broadcast.emergency": tr("issue an emergency broadcast"),
        "broadcast.programme": tr("change the broadcast programme"), "camera.ptz": tr("move a camera"),
        "camera.export": tr("save pictures and clips of the cameras"),
        "evidence.export": tr("export evidence"), "flood.risk_level": tr("set the flood forecast"),
        "duty.note": tr("write in the duty log"), "duty.shift": tr("take or hand over a duty shift"),
        "damage.report": tr("fill in the damage report"),
        "config.change": tr("change the configuration"), "operators.manage": tr("manage accounts"),
    }.get(action, action)


@dataclass(frozen=True)
class Operator:
    username: str
    display_name: str
    role: Role

    def may(self, action: str) -> bool:
        return self.role >= PERMISSIONS[action]


SYSTEM = Operator("system", "system", Role.ADMIN)  # the programme and automatic actions
NOBODY = Operator("", "", Role.NOBODY)  # who acts on a console no one is signed in to: nobody may


def actor_name(username: str, display_name: str = "") -> str:
    """The name an action is shown under in logs and reports: the room's own work (the programme,
    repeating bulletins) in words, else the operator's name, else the account."""
    if username == SYSTEM.username:
        return tr("the system (automatic)")
    return display_name or username


class PermissionDenied(Exception):
    """The signed-in operator's role does not allow the action; the message says so."""

    def __init__(self, operator: Operator, action: str):
        if operator.role is Role.NOBODY:
            message = tr("Sign in first: only a signed-in {needed} may {action}.", action=action_label(action),
                         needed=PERMISSIONS[action].label)
        else:
            message = tr("{name} ({role}) may not {action}: that needs the role {needed}.", name=operator.display_name,
                         role=operator.role.label, action=action_label(action), needed=PERMISSIONS[action].label)
        super().__init__(message)
        self.operator = operator
        self.action = action


def authorize(operator: Operator, action: str) -> None:
    if not operator.may(action):
        raise PermissionDenied(operator, action)


def hash_password(password: str, salt: bytes | None = None) -> tuple[str, str]:
    """(hash hex, salt hex) with scrypt at SCRYPT_PARAMS."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_PARAMS["n"], r=SCRYPT_PARAMS["r"],
                            p=SCRYPT_PARAMS["p"], dklen=SCRYPT_PARAMS["dklen"])
    return digest.hex(), salt.hex()


def password_matches(password: str, stored_hash: str, salt_hex: str) -> bool:
    candidate, _ = hash_password(password, bytes.fromhex(salt_hex))
    return hmac.compare_digest(candidate, stored_hash)


def operator_row(site_id: str, username: str, display_name: str, role: Role, password: str) -> dict:
    digest, salt = hash_password(password)
    now = datetime.now(timezone.utc)
    return {"site_id": site_id, "username": username, "display_name": display_name, "role": role.name.lower(),
            "password_hash": digest, "salt": salt, "params": SCRYPT_PARAMS, "active": True,
            "created_at": now, "updated_at": now}


def count_active(engine: Engine, site_id: str) -> int:
    """How many active accounts the site has (0 means sign-in cannot work yet); a database read."""
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(operators).where(
            operators.c.site_id == site_id, operators.c.active.is_(True))).scalar_one()


def active_account(engine: Engine, site_id: str, username: str) -> Operator | None:
    """The account as it is now (its current role), or None once deactivated or removed."""
    with engine.connect() as conn:
        row = conn.execute(select(operators).where(operators.c.site_id == site_id,
                                                   operators.c.username == username)).mappings().first()
    if row is None or not row["active"]:
        return None
    return Operator(row["username"], row["display_name"], Role[row["role"].upper()])


def authenticate(engine: Engine, site_id: str, username: str, password: str) -> Operator | None:
    """The operator if the password is right and the account active (run off the GUI thread:
    scrypt takes ~50 ms by design)."""
    with engine.connect() as conn:
        row = conn.execute(select(operators).where(operators.c.site_id == site_id,
                                                   operators.c.username == username)).mappings().first()
    if row is None or not row["active"]:
        hash_password(password)  # same work either way: no timing hint that the name exists
        return None
    if not password_matches(password, row["password_hash"], row["salt"]):
        return None
    return Operator(row["username"], row["display_name"], Role[row["role"].upper()])
