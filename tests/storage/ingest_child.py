"""A console's storage side under load, for the kill -9 test: migrate, start the writer,
publish synthetic readings on the bus forever and print how many rows are committed.

Run: python ingest_child.py <database url>
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta, timezone

from controlroom.bus import EventBus
from controlroom.config import DatabaseConfig
from controlroom.domain import Reading
from controlroom.storage.db import create_engine_for, migrate
from controlroom.storage.writer import StorageWriter


def main(url: str) -> None:
    engine = create_engine_for(url)
    migrate(engine)
    bus = EventBus()
    writer = StorageWriter(engine, bus, "quangtho", DatabaseConfig())
    writer.start()
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    reported = -1
    i = 0
    while True:
        for _ in range(1000):
            bus.publish(Reading(f"s{i % 20}", "level", start + timedelta(milliseconds=i), float(i % 100)))
            i += 1
        written = writer.stats.rows_written
        if written != reported:
            print(f"written {written}", flush=True)
            reported = written
        time.sleep(0.001)


if __name__ == "__main__":
    main(sys.argv[1])
