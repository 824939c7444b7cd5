"""`controlroom evidence verify PATH` and `controlroom evidence export-key PATH`.

verify: exit 0 and "OK" when the signature and every file match; exit 1 naming the first
changed or missing file. export-key: writes this console's public key (PEM) for the police.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from controlroom.i18n import tr


def add_evidence_parser(sub) -> None:
    evidence = sub.add_parser("evidence", help=tr("check or share evidence exports"),
                              description=tr("check or share evidence exports"))
    actions = evidence.add_subparsers(dest="evidence_command", metavar="ACTION", required=True)
    verify = actions.add_parser("verify", help=tr("verify an evidence folder against its signed manifest"),
                                description=tr("verify an evidence folder against its signed manifest"))
    verify.add_argument("path", metavar="PATH", help=tr("the evidence folder (or its manifest.json)"))
    verify.add_argument("--key", metavar="PEM", help=tr("trusted public key (PEM); default: the key in the manifest"))
    key = actions.add_parser("export-key", help=tr("write this console's public evidence key (PEM)"),
                             description=tr("write this console's public evidence key (PEM)"))
    key.add_argument("path", metavar="PATH", help=tr("where to write the public key"))


def run_evidence_command(args: argparse.Namespace) -> int:
    from controlroom.cameras import evidence

    if args.evidence_command == "export-key":
        try:
            path = evidence.export_public_key(Path(args.path))
        except (OSError, evidence.EvidenceError) as exc:
            print(tr("Cannot write the public key: {reason}", reason=str(exc)), file=sys.stderr)
            return 2
        print(tr("Public key written to {path} (fingerprint {fp})", path=str(path),
                 fp=evidence.fingerprint(evidence.load_or_create_key())))
        return 0
    trusted = None
    if args.key:
        try:
            trusted = Path(args.key).read_bytes()
        except OSError as exc:
            print(tr("Cannot read the key file: {reason}", reason=str(exc)), file=sys.stderr)
            return 2
    try:
        result = evidence.verify_package(Path(args.path), trusted)
    except ValueError as exc:
        print(tr("Cannot read the key file: {reason}", reason=str(exc)), file=sys.stderr)
        return 2
    print(result.message if result.ok else tr("FAILED: {message}", message=result.message))
    return 0 if result.ok else 1
