"""`controlroom operators add USER --role ROLE` and `controlroom operators list`: local
accounts (salted scrypt hashes, never the password) — how the first admin is made.

The password is asked twice on the terminal (not echoed) or read from stdin with
`--password-stdin` (scripts); it never appears on the command line.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime, timezone

from sqlalchemy import select

from controlroom.i18n import tr
from controlroom.access.accounts import upsert_operator
from controlroom.access.operators import Role, operator_row
from controlroom.storage.models import operators

MIN_PASSWORD = 8
def add_operators_parser(sub) -> None:
    parser = sub.add_parser("operators", help=tr("manage operator accounts"), description=tr("manage operator accounts"))
    actions = parser.add_subparsers(dest="operators_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help=tr("add an operator or set a new password"),
                             description=tr("add an operator or set a new password"))
    add.add_argument("username")
    add.add_argument("--role", choices=[r.name.lower() for r in Role if r is not Role.NOBODY], default="operator", help=tr("role of the account"))
    add.add_argument("--name", help=tr("name shown in the console (default: the user name)"))
    add.add_argument("--password-stdin", action="store_true", help=tr("read the password from standard input"))
    add.add_argument("--db", metavar="URL", help=tr("database URL (default: SQLite in the data folder)"))
    add.add_argument("--config", metavar="PATH", help=tr("commune configuration file (TOML)"))
    listing = actions.add_parser("list", help=tr("list operator accounts"), description=tr("list operator accounts"))
    listing.add_argument("--db", metavar="URL", help=tr("database URL (default: SQLite in the data folder)"))
    listing.add_argument("--config", metavar="PATH", help=tr("commune configuration file (TOML)"))


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    try:
        first = getpass.getpass(tr("Password: "))
        again = getpass.getpass(tr("Password again: "))
    except EOFError:  # no terminal to ask on (a script, a service): say how instead of a traceback
        print(tr("No terminal to ask the password on: pass it on standard input with --password-stdin."),
              file=sys.stderr)
        return None
    if again != first:
        print(tr("The two passwords differ."), file=sys.stderr)
        return None
    return first


def run_operators_command(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from controlroom.access.audit import append_entry
    from controlroom.config import ConfigError, demo_config_path, load_config
    from controlroom.paths import default_database_url
    from controlroom.storage.db import create_engine_for, migrate

    try:
        config = load_config(args.config or demo_config_path())
    except ConfigError as exc:
        for message in exc.messages:
            print(message, file=sys.stderr)
        return 2
    site_id = config.site.id
    try:
        engine = create_engine_for(args.db or config.database.url or default_database_url())
        migrate(engine)
        if args.operators_command == "list":
            with engine.connect() as conn:
                for row in conn.execute(select(operators.c.username, operators.c.display_name, operators.c.role,
                                               operators.c.active).where(operators.c.site_id == site_id)
                                        .order_by(operators.c.username)):
                    print(f"{row.username}\t{Role[row.role.upper()].label}\t{row.display_name}"
                          + ("" if row.active else "\t" + tr("inactive")))
            return 0
        password = _read_password(args.password_stdin)
        if password is None:
            return 1
        if len(password) < MIN_PASSWORD:
            print(tr("The password needs at least {n} characters.", n=MIN_PASSWORD), file=sys.stderr)
            return 1
        role = Role[args.role.upper()]
        row = operator_row(site_id, args.username, args.name or args.username, role, password)
        with engine.begin() as conn:
            upsert_operator(conn, row)
            append_entry(conn, site_id, datetime.now(timezone.utc), getpass.getuser(), "operators.save", args.username,
                         {"role": role.name.lower(), "via": "cli"})
    except SQLAlchemyError as exc:
        print(tr("Cannot open the database: {reason}", reason=str(exc).splitlines()[0]), file=sys.stderr)
        return 2
    print(tr("Account {user} saved with the role {role}.", user=args.username, role=role.label))
    return 0
