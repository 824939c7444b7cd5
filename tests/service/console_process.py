"""A console attached to its site's service, as its own process, for a test to kill: it signs
in, issues a flood bulletin through the service, says so on stdout, and waits.

    python console_process.py CONFIG DB_URL HOST PORT DATA_DIR USER PASSWORD
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from controlroom.config import load_config
from controlroom.core import ControlRoomCore


def main(config_path: str, db_url: str, host: str, port: str, data_dir: str, user: str, password: str) -> None:
    config = load_config(config_path)
    core = ControlRoomCore(config, db_url=db_url, broker_host=host, broker_port=int(port), client_id="console-killed",
                           data_dir=Path(data_dir), monitor_cameras=False, attached=True)
    core.start()
    if not core.feed.wait_subscribed(60):
        raise SystemExit("no broker")
    operator = core.access.authenticate(user, password)
    bulletins = core.flood.bulletins
    bulletin = bulletins.issue(bulletins.compose(), operator)
    print("ISSUED", bulletin.id, flush=True)
    time.sleep(3600)


if __name__ == "__main__":
    main(*sys.argv[1:8])
