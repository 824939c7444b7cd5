"""The service's HTTP receiver for devices that push JSON (Sensor.Community stations, vendors'
gateways): ``POST <source's http_path>``, mapped by that source's profile.

Answers 200 with what was kept and what was dropped and why (a device's installer reads it),
404 for a path no source has, 413 past MAX_BODY_BYTES, 400 for a body that is not JSON. Bound to
the sensors' network only (``[devices] http_bind``); every request ends within TIMEOUT_S.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from controlroom.devices.mapper import MAX_PAYLOAD_BYTES, SourceMapper
from controlroom.domain import Reading, Rejected

log = logging.getLogger(__name__)
MAX_BODY_BYTES = MAX_PAYLOAD_BYTES
TIMEOUT_S = 10.0


class HttpReceiver:
    def __init__(self, bind: str, port: int, mappers: dict[str, SourceMapper],
                 publish: Callable[[list], None]) -> None:
        self.mappers = {path.rstrip("/") or "/": mapper for path, mapper in mappers.items()}
        self.publish = publish
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            timeout = TIMEOUT_S
            server_version = "controlroom"

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                receiver._post(self)

            def log_message(self, format: str, *args: object) -> None:
                log.debug("%s " + format, self.address_string(), *args)

        self._server = ThreadingHTTPServer((bind, port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.5},
                                        name="http-receiver", daemon=True)
        self._thread.start()
        log.info("device HTTP receiver on port %d: %s", self.port, ", ".join(sorted(self.mappers)))

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _post(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0].rstrip("/") or "/"
        mapper = self.mappers.get(path)
        if mapper is None:
            return _answer(request, 404, {"error": f"no source receives at {path}"})
        try:
            length = int(request.headers.get("Content-Length", ""))
        except ValueError:
            return _answer(request, 411, {"error": "Content-Length required"})
        if not 0 <= length <= MAX_BODY_BYTES:
            return _answer(request, 413, {"error": f"body over {MAX_BODY_BYTES} bytes"})
        body = request.rfile.read(length)
        now = datetime.now(timezone.utc)
        headers = {name.lower(): value for name, value in request.headers.items()}
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            mapper.reject_message("bad_json", path, str(exc)[:80])
            return _answer(request, 400, {"error": f"body is not JSON: {str(exc)[:80]}"})
        events = mapper.map(path.strip("/").split("/"), data, now, headers=headers)
        if events:
            self.publish(events)
        kept = sum(1 for event in events if type(event) is Reading)
        dropped = [f"{event.reason}: {event.detail}" for event in events if type(event) is Rejected]
        _answer(request, 200 if kept or not dropped else 422, {"readings": kept, "dropped": dropped})


def _answer(request: BaseHTTPRequestHandler, status: int, body: dict) -> None:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request.send_response(status)
    request.send_header("Content-Type", "application/json; charset=utf-8")
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)
