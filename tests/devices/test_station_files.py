"""TT 10/2021 station files into a running core: dropped in the folder and sent over FTP, each
stored once; the same file again is refused as already received; a calibrating station's values
never raise an alarm (the same value from a measuring station does)."""

from __future__ import annotations

import ftplib
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from ..conftest import free_port, wait_until
from .conftest import vendor_config

STATION = "TTH_CauHai_QT01"
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def station_file(when: datetime, do: float, status: str = "00") -> str:
    stamp = when.astimezone(LOCAL).strftime("%Y%m%d%H%M%S")
    return "".join(f"{p}\t{v}\t{u}\t{stamp}\t{status}\n" for p, v, u in (("pH", 7.9, "-"), ("DO", do, "mg/L"), ("Salinity", 18.5, "‰")))


def stored(core, metric: str = "do") -> list[tuple[int, float]]:
    with core.engine.connect() as connection:
        return connection.execute(text(
            "SELECT ts_ms, value FROM readings WHERE sensor_id = 'qt_dam_cau_hai' AND metric = :m ORDER BY ts_ms"), {"m": metric}).all()


def do_alerts(core) -> list:
    return [a for a in core.alerts.snapshot().alerts if a.source.startswith("sensor/qt_dam_cau_hai")]


def test_station_files_by_folder_and_ftp_are_stored_once_and_calibration_raises_nothing(
        tmp_path, mqtt_broker, make_core, monkeypatch):
    monkeypatch.setenv("CONTROLROOM_TEST_FTP_PASSWORD", "mat-khau-thu")
    folder = tmp_path / "drop"
    config = vendor_config(tmp_path, folder)
    config = config.model_copy(update={"devices": config.devices.model_copy(update={"ftp_port": free_port(), "http_port": 0})})
    core = make_core(config, broker=mqtt_broker)
    station = next(s for s in core.devices.stats() if s.source_id == "tram_cau_hai")
    assert station.way == "folder"
    now = datetime.now(LOCAL).replace(microsecond=0)

    # 1. a calibrating station: DO 2.0 (below low_low 3.0) stored nowhere, alarms nothing
    calibrating = f"{STATION}_{(now - timedelta(minutes=10)).strftime('%Y%m%d%H%M%S')}.txt"
    (folder / calibrating).write_text(station_file(now - timedelta(minutes=10), 2.0, status="01"), encoding="utf-8")
    wait_until(lambda: (folder / "done" / calibrating).exists(), message="the calibrating file read")
    assert "station_calibrating" in (folder / "done" / f"{calibrating}.problems.txt").read_text(encoding="utf-8")

    # 2. a measuring station's file dropped in the folder: stored, once
    first = f"{STATION}_{(now - timedelta(minutes=5)).strftime('%Y%m%d%H%M%S')}.txt"
    body = station_file(now - timedelta(minutes=5), 6.4)
    (folder / first).write_text(body, encoding="utf-8")
    wait_until(lambda: len(stored(core)) == 1 and len(stored(core, "salinity")) == 1, message="the dropped file stored")
    assert stored(core)[0][1] == 6.4
    assert stored(core, "ph")[0][1] == 7.9
    wait_until(lambda: (folder / "done" / first).exists(), message="the dropped file moved to done")  # after storing

    # 3. the same contents again (a datalogger resending): refused, nothing stored twice
    readings_before = next(s for s in core.devices.stats() if s.source_id == "tram_cau_hai").readings
    (folder / f"{STATION}_resent.txt").write_text(body, encoding="utf-8")
    wait_until(lambda: (folder / "rejected" / f"{STATION}_resent.txt.reason.txt").exists(), message="the resent file refused")
    assert "already received" in (folder / "rejected" / f"{STATION}_resent.txt.reason.txt").read_text(encoding="utf-8")
    assert next(s for s in core.devices.stats() if s.source_id == "tram_cau_hai").readings == readings_before
    assert len(stored(core)) == 1
    assert not do_alerts(core), "neither the calibrating DO 2.0 nor a good 6.4 raised anything"

    # 4. over FTP, with the station's account: a measuring station at DO 2.0 raises the alarm
    over_ftp = f"{STATION}_{now.strftime('%Y%m%d%H%M%S')}.txt"
    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", core.devices.ftp.port, timeout=10)
        ftp.login("cauhai", "mat-khau-thu")
        ftp.storbinary(f"STOR {over_ftp}", io.BytesIO(station_file(now, 2.0).encode("utf-8")))
        try:
            ftp.retrbinary(f"RETR {over_ftp}", lambda _data: None)
            raise AssertionError("a station account must not read files back")
        except ftplib.error_perm:
            pass
    wait_until(lambda: len(stored(core)) == 2, message="the FTP file stored")
    # stored before it is moved aside: wait for the move, as for the first file
    wait_until(lambda: (folder / "done" / over_ftp).exists(), message="the FTP file moved to done")
    wait_until(lambda: do_alerts(core), message="DO 2.0 from a measuring station raises an alert")

    # 5. a file nobody can read: rejected with its reason, the watcher lives on
    (folder / f"{STATION}_garbled.txt").write_text("pH 7.9\n", encoding="utf-8")
    wait_until(lambda: (folder / "rejected" / f"{STATION}_garbled.txt.reason.txt").exists(), message="the garbled file refused")
    assert "expected 5" in (folder / "rejected" / f"{STATION}_garbled.txt.reason.txt").read_text(encoding="utf-8")
    stats = next(s for s in core.devices.stats() if s.source_id == "tram_cau_hai")
    assert stats.dropped["station_calibrating"] == 3
