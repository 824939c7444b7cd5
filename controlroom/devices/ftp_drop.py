"""An FTP drop for stations that can only push files by FTP (TT 10/2021 dataloggers): one FTP
server in the service (pyftpdlib), one account per station folder, whose home is that folder.

Accounts may only list and store (no reading back, no deleting); passwords come from the
environment variable the config names, never from the config file. Files land in the folder the
StationFolder watches; an upload in progress is left alone until its size stops changing.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

log = logging.getLogger(__name__)
PERMISSIONS = "elw"  # change into the home, list it, store files
MAX_CONNECTIONS = 32


class FtpDrop:
    def __init__(self, bind: str, port: int, accounts: dict[str, tuple[str, Path]],
                 passive_ports: range | None = None) -> None:
        """`accounts`: user -> (password, folder)."""
        authorizer = DummyAuthorizer()
        for user, (password, folder) in accounts.items():
            Path(folder).mkdir(parents=True, exist_ok=True)
            authorizer.add_user(user, password, str(folder), perm=PERMISSIONS)
        handler = type("StationFtpHandler", (FTPHandler,), {
            "authorizer": authorizer,
            "banner": "controlroom station drop",
            "timeout": 120,
            "passive_ports": list(passive_ports) if passive_ports else None,
        })
        self._server = FTPServer((bind, port), handler)
        self._server.max_cons = MAX_CONNECTIONS
        self.port = self._server.address[1]
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"timeout": 0.5, "handle_exit": False},
                                        name="ftp-drop", daemon=True)
        self._thread.start()
        log.info("station FTP drop on port %d", self.port)

    def stop(self) -> None:
        self._server.close_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
