"""A small HTTP server inside the app that hands broadcast audio to the speakers.

Speakers fetch the URL carried in their play command. Each published file gets an
unguessable name, so the server exposes only what was published; it binds to the configured
interface (the speakers' network), never to every interface by default.
"""

from __future__ import annotations

import logging
import mimetypes
import secrets
import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

log = logging.getLogger(__name__)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - signature from the stdlib
        log.debug("audio server: " + format, *args)


class AudioServer:
    def __init__(self, media_dir: Path, bind_host: str = "127.0.0.1", port: int = 0, public_host: str | None = None):
        self.media_dir = Path(media_dir)
        self.media_dir.mkdir(parents=True, exist_ok=True)
        handler = partial(_QuietHandler, directory=str(self.media_dir))
        self._server = ThreadingHTTPServer((bind_host, port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.public_host = public_host or bind_host
        self._thread = threading.Thread(target=self._server.serve_forever, name="audio-http", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def publish(self, source: Path) -> str:
        """Copy `source` under a random name and return the URL speakers fetch it from."""
        source = Path(source)
        suffix = source.suffix.lower() if mimetypes.guess_type(source.name)[0] else ".bin"
        name = secrets.token_urlsafe(12) + suffix
        shutil.copyfile(source, self.media_dir / name)
        return f"http://{self.public_host}:{self.port}/{name}"
