"""Automatic monitoring stations' files (TT 10/2021/TT-BTNMT): a drop folder the station (or
its FTP upload) writes into, read by the service.

A file is ``<station>_<YYYYMMDDhhmmss>.txt``, one line per parameter: parameter, value, unit,
time (YYYYMMDDhhmmss), status code, separated by tabs (or by runs of spaces). Each line goes
through the source's mapper (profile ``tt10_station``), so a line with status "calibrating" or
"error" gives no reading and raises nothing. Each file is read once, when its size has stopped
changing (an upload in progress is left alone), then moved to ``done/`` (with a
``.problems.txt`` beside it if some lines were bad) or to ``rejected/`` with a ``.reason.txt``.
The same contents dropped again are recognised by their SHA-256 in the folder's ledger
(``.ledger``, kept for LEDGER_DAYS) and rejected as already received: nothing is stored twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from controlroom.devices.mapper import SourceMapper
from controlroom.domain import Reading, Rejected

log = logging.getLogger(__name__)
UTC = timezone.utc
LEDGER_DAYS = 90  # a datalogger keeps 60 days and may send them all again
MAX_FILE_BYTES = 4 * 1024 * 1024
_STAMPED_NAME = re.compile(r"^(?P<station>.+)_(?P<stamp>\d{14})$")
_PARTIAL_SUFFIXES = (".tmp", ".part", ".filepart", ".partial")


@dataclass(frozen=True)
class FileOutcome:
    name: str
    moved_to: Path
    readings: int
    problems: list[str]


def station_of(path: Path) -> str:
    """The station key of a file: its name without the trailing time stamp and extension."""
    match = _STAMPED_NAME.match(path.stem)
    return match.group("station") if match else path.stem


def parse_lines(text: str) -> list[tuple[int, dict | str]]:
    """(line number, fields) per non-empty line, or (line number, problem) for a malformed one."""
    rows: list[tuple[int, dict | str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.strip().split("\t") if "\t" in line else line.split()
        parts = [part.strip() for part in parts]
        if len(parts) != 5:
            rows.append((number, f"{len(parts)} fields, expected 5 (parameter, value, unit, time, status)"))
            continue
        parameter, value, unit, time, status = parts
        rows.append((number, {"parameter": parameter, "value": value, "unit": unit, "time": time, "status": status}))
    return rows


class StationFolder:
    """Watches one drop folder for one source; its thread hands each file's events to `publish`."""

    def __init__(self, folder: Path, mapper: SourceMapper, publish: Callable[[list], None], poll_s: float) -> None:
        self.folder = Path(folder)
        self.mapper = mapper
        self.publish = publish
        self.poll_s = poll_s
        self.done = self.folder / "done"
        self.rejected = self.folder / "rejected"
        self._ledger_path = self.folder / ".ledger"
        self._ledger: dict[str, tuple[str, str]] = {}  # sha256 -> (name, received at ISO)
        self._sizes: dict[str, int] = {}  # name -> size at the last look (an upload still growing?)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        for folder in (self.folder, self.done, self.rejected):
            folder.mkdir(parents=True, exist_ok=True)
        self._load_ledger()
        self._thread = threading.Thread(target=self._run, name=f"station-files-{self.mapper.source.id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.look_once()
            except Exception:  # a full disk or a permission problem: said, and tried again
                log.exception("station folder %s", self.folder)
            self._stop.wait(self.poll_s)

    def look_once(self) -> list[FileOutcome]:
        """Read every file whose size did not change since the last look."""
        outcomes = []
        sizes: dict[str, int] = {}
        for path in sorted(self.folder.iterdir()):
            if not path.is_file() or path.name.startswith(".") or path.name.endswith(_PARTIAL_SUFFIXES):
                continue
            size = path.stat().st_size
            sizes[path.name] = size
            if self._sizes.get(path.name) == size:
                outcomes.append(self._take(path))
                sizes.pop(path.name)
        self._sizes = sizes
        return outcomes

    def _take(self, path: Path) -> FileOutcome:
        now = datetime.now(UTC)
        data = path.read_bytes()[: MAX_FILE_BYTES + 1]
        digest = hashlib.sha256(data).hexdigest()
        seen = self._ledger.get(digest)
        if seen is not None:
            return self._reject(path, f"already received as {seen[0]} at {seen[1]} (same contents); not stored again")
        if len(data) > MAX_FILE_BYTES:
            return self._reject(path, f"larger than {MAX_FILE_BYTES} bytes")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return self._reject(path, f"not UTF-8 text (byte {exc.start})")
        station = station_of(path)
        events: list = []
        problems: list[str] = []
        for number, row in parse_lines(text):
            if isinstance(row, str):
                problems.append(f"line {number}: {row}")
                continue
            row["station"] = station
            for event in self.mapper.map([path.name], row, now, topic_text=path.name):
                if type(event) is Rejected:
                    problems.append(f"line {number}: {event.reason}: {event.detail}")
                events.append(event)
        readings = sum(1 for event in events if type(event) is Reading)
        if events:
            self.publish(events)
        self._remember(digest, path.name, now)
        held_back = any(p.split(": ", 2)[1].startswith("station_") for p in problems if p.count(": ") >= 2)
        if readings == 0 and not held_back:  # a calibrating station's file is a good file
            return self._reject(path, "no reading in the file" + ("".join("\n" + p for p in problems) if problems else ""))
        target = self._move(path, self.done)
        if problems:
            target.with_name(target.name + ".problems.txt").write_text("\n".join(problems) + "\n", encoding="utf-8")
        log.info("station file %s: %d readings, %d problems", path.name, readings, len(problems))
        return FileOutcome(path.name, target, readings, problems)

    def _reject(self, path: Path, reason: str) -> FileOutcome:
        target = self._move(path, self.rejected)
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
        log.warning("station file %s rejected: %s", path.name, reason.splitlines()[0])
        return FileOutcome(path.name, target, 0, [reason])

    @staticmethod
    def _move(path: Path, folder: Path) -> Path:
        target = folder / path.name
        n = 1
        while target.exists():
            target = folder / f"{path.stem}.{n}{path.suffix}"
            n += 1
        os.replace(path, target)
        return target

    def _load_ledger(self) -> None:
        """Read the ledger, dropping entries older than LEDGER_DAYS (and rewriting it then)."""
        if not self._ledger_path.exists():
            return
        horizon = datetime.now(UTC) - timedelta(days=LEDGER_DAYS)
        kept = 0
        lines = self._ledger_path.read_text(encoding="utf-8").splitlines()
        for line in lines:
            try:
                entry = json.loads(line)
                if datetime.fromisoformat(entry["at"]) >= horizon:
                    self._ledger[entry["sha256"]] = (entry["name"], entry["at"])
                    kept += 1
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line after a power cut
        if kept != len(lines):
            tmp = self._ledger_path.with_suffix(".tmp")
            tmp.write_text("".join(json.dumps({"sha256": d, "name": n, "at": a}) + "\n"
                                   for d, (n, a) in self._ledger.items()), encoding="utf-8")
            os.replace(tmp, self._ledger_path)

    def _remember(self, digest: str, name: str, at: datetime) -> None:
        self._ledger[digest] = (name, at.isoformat())
        with self._ledger_path.open("a", encoding="utf-8") as ledger:
            ledger.write(json.dumps({"sha256": digest, "name": name, "at": at.isoformat()}) + "\n")
            ledger.flush()
            os.fsync(ledger.fileno())
