"""`controlroom audit verify [--db URL] [--config PATH]`: check the audit log's hash chain.

Exit 0 and "OK" for an intact chain (a fresh, empty database included); exit 1 naming the
first entry that does not follow; exit 2 when the database cannot be opened.
"""

from __future__ import annotations

import argparse
import sys

from controlroom.i18n import tr


def add_audit_parser(sub) -> None:
    audit = sub.add_parser("audit", help=tr("check the audit log"), description=tr("check the audit log"))
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = actions.add_parser("verify", help=tr("verify the audit log's hash chain"),
                                description=tr("verify the audit log's hash chain"))
    verify.add_argument("--db", metavar="URL", help=tr("database URL (default: SQLite in the data folder)"))
    verify.add_argument("--config", metavar="PATH", help=tr("commune configuration file (TOML)"))


def run_audit_command(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from controlroom.access.audit import verify_chain
    from controlroom.config import ConfigError, load_config
    from controlroom.paths import default_database_url
    from controlroom.storage.db import create_engine_for, migrate

    url = args.db
    if url is None and args.config:
        try:
            url = load_config(args.config).database.url
        except ConfigError as exc:
            for message in exc.messages:
                print(message, file=sys.stderr)
            return 2
    engine = create_engine_for(url or default_database_url())
    try:
        migrate(engine)  # a fresh database gets its (empty) tables: an empty chain is intact
        result = verify_chain(engine)
    except SQLAlchemyError as exc:
        print(tr("Cannot open the database: {reason}", reason=str(exc).splitlines()[0]), file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if result.ok:
        print(tr("OK: {n} audit entries, the chain is intact.", n=result.entries))
        return 0
    print(tr("TAMPERED: entry #{seq} — {reason}", seq=result.first_bad_seq, reason=result.reason))
    return 1
