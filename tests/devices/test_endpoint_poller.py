"""A provincial endpoint polled by the service (a real HTTP server here): JSON and CSV records
mapped into readings, each taken once however often it is answered again; an endpoint that fails
is counted with its reason and tried again later, less and less often, then taken up again."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from controlroom.bus import EventBus
from controlroom.devices.poller import EndpointPoller
from controlroom.devices.service import DeviceSources
from controlroom.domain import Reading

from ..conftest import wait_until
from ..mqtt.conftest import Collector
from .conftest import vendor_config


class Province:
    """The province's endpoints: /hydro.json and /quality.csv; `failing` answers 500."""

    def __init__(self) -> None:
        self.json_records = [{"ma_tram": "CAUHAI_01", "thoi_gian": "2026-12-05 07:00:00", "muc_nuoc": 0.62}]
        self.csv_text = "station,time,do,salinity\nQT01,2026-12-05T07:00:00+07:00,6.1,17.5\n"
        self.failing = False
        self.hits = 0
        province = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                province.hits += 1
                if province.failing:
                    self.send_error(500)
                    return
                if self.path == "/hydro.json":
                    body, kind = json.dumps({"status": "ok", "data": province.json_records}).encode(), "application/json"
                else:
                    body, kind = province.csv_text.encode(), "text/csv"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def province():
    server = Province()
    yield server
    server.close()


def sources_for(tmp_path, province) -> str:
    return f'''
[[sources]]
id = "tinh_thuy_van"
name = "Thủy văn tỉnh"
url = "{province.url}/hydro.json"
poll_s = 0.1
records = "data"
device = "payload.ma_tram"
metric = "'level'"
value = "payload.muc_nuoc"
timestamp = "payload.thoi_gian"
timestamp_format = "%Y-%m-%d %H:%M:%S"
devices = {{ "CAUHAI_01" = "dam_cau_hai" }}

[[sources]]
id = "tinh_chat_luong_nuoc"
name = "Chất lượng nước tỉnh"
url = "{province.url}/quality.csv"
format = "csv"
poll_s = 0.1
device = "payload.station"
values = "payload"
timestamp = "payload.time"
devices = {{ "QT01" = "qt_dam_cau_hai" }}
'''


def test_provincial_json_and_csv_records_are_taken_once_and_failures_back_off(tmp_path, province):
    config = vendor_config(tmp_path, extra=sources_for(tmp_path, province))
    config = config.model_copy(update={"sources": [s for s in config.sources if s.id.startswith("tinh_")]})
    bus = EventBus()
    readings = Collector(bus, Reading)
    sources = DeviceSources(config, feed=None, publish=bus.publish_batch)
    sources.start()
    try:
        wait_until(lambda: len(readings.snapshot()) == 3, message="the first answers mapped")
        hits = province.hits
        wait_until(lambda: province.hits >= hits + 6, message="polled again several times")
        got = sorted((r.sensor_id, r.metric, r.value, r.ts.isoformat()) for r in readings.snapshot())
        assert got == [("dam_cau_hai", "level", 0.62, "2026-12-05T00:00:00+00:00"),
                       ("qt_dam_cau_hai", "do", 6.1, "2026-12-05T00:00:00+00:00"),
                       ("qt_dam_cau_hai", "salinity", 17.5, "2026-12-05T00:00:00+00:00")], "each taken once"
        stats = {s.source_id: s for s in sources.stats()}
        assert stats["tinh_thuy_van"].readings == 1 and stats["tinh_thuy_van"].repeated >= 2

        province.json_records.append({"ma_tram": "CAUHAI_01", "thoi_gian": "2026-12-05 08:00:00", "muc_nuoc": 0.71})
        wait_until(lambda: len(readings.snapshot()) == 4, message="the new record taken")
        assert readings.snapshot()[-1].value == 0.71

        province.failing = True
        poller = next(p for p in sources.pollers if p.source.id == "tinh_thuy_van")
        wait_until(lambda: poller.next_wait_s >= 0.8, message="the poller backing off")
        assert {s.source_id: s for s in sources.stats()}["tinh_thuy_van"].dropped["fetch_failed"] >= 3
        province.failing = False
        province.json_records.append({"ma_tram": "CAUHAI_01", "thoi_gian": "2026-12-05 09:00:00", "muc_nuoc": 0.80})
        wait_until(lambda: len(readings.snapshot()) == 5, timeout=60, message="taken up again after the outage")
        wait_until(lambda: poller.next_wait_s == 0.1, message="back to its interval")
    finally:
        sources.stop()


def test_an_endpoint_that_never_answers_in_time_is_a_counted_failure(tmp_path):
    import socket

    listener = socket.socket()  # accepts the connection, never answers
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    config = vendor_config(tmp_path, extra=f'''
[[sources]]
id = "tinh_cham"
url = "http://127.0.0.1:{listener.getsockname()[1]}/slow.json"
timeout_s = 0.5
device = "payload.id"
values = "payload"
''')
    mapper_source = next(s for s in config.sources if s.id == "tinh_cham")
    from controlroom.devices.mapper import SourceMapper

    poller = EndpointPoller(SourceMapper(mapper_source, config), publish=lambda events: None)
    try:
        assert poller.poll_once() == 0
        stats = poller.mapper.stats()
        assert stats.dropped["fetch_failed"] == 1 and "timed out" in stats.last_problem[1]
        assert poller.next_wait_s == 20.0  # twice its 10 s interval
    finally:
        listener.close()
