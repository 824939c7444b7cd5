"""Adding a camera where the site's service runs: an administrator's attached console sends it,
the service appends it to the commune's file (only if the file still loads), audits once and
answers; an operator's session, a block naming no village of the commune, or a service without
a file it may change are refused in words, and the file is left as it was."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from controlroom.access.accounts import upsert_operator
from controlroom.access.operators import Role, operator_row
from controlroom.config import load_config
from controlroom.service.client import CommandFailed
from controlroom.service.runner import ControlRoomService
from controlroom.storage.models import audit_log

from ..conftest import SITES, wait_until

pytestmark = pytest.mark.timeout(180)


def _fields(**changes) -> dict:
    fields = {"id": "vh_cong_moi", "name": "Cống mới ven đầm", "village": "th_cu_lac", "group": "diem_ngap",
              "lat": 16.289, "lon": 107.72, "main_url": "rtsp://10.30.5.21/main", "sub_url": "rtsp://10.30.5.21/sub",
              "ptz": False, "onvif_host": "10.30.5.21", "onvif_port": 80, "user": "xem",
              "password_env": "VH_CAM_PASSWORD", "max_clock_drift_s": 5.0}
    return {**fields, **changes}


def _camera_audits(engine) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.actor, audit_log.c.target, audit_log.c.detail)
                            .where(audit_log.c.action == "config.camera_added"))
        return [tuple(r) for r in rows]


def _service(config, path, mqtt_broker, tmp_path, data_dir, name):
    return ControlRoomService(config, db_url=f"sqlite:///{(tmp_path / f'{name}.sqlite3').as_posix()}",
                              feed_options={"host": mqtt_broker.host, "port": mqtt_broker.port},
                              data_dir=data_dir / name, monitor_cameras=False, config_path=path)


def _attached_console(service, config, mqtt_broker, make_core, name):
    """Accounts at the service (an administrator and an operator) and a console attached to it."""
    with service.core.engine.begin() as conn:
        upsert_operator(conn, operator_row(config.site.id, "quantri_vh", "Quản trị VH", Role.ADMIN, "mat-khau-qt"))
        upsert_operator(conn, operator_row(config.site.id, "vanhanh_vh", "Vận hành VH", Role.OPERATOR, "mat-khau-vh"))
    console = make_core(config, broker=mqtt_broker, db_url=service.core.db_url, client_id=name, attached=True)
    assert console.feed.wait_subscribed(30) and service.core.feed.wait_subscribed(30)
    return console


def _refused(console, **changes) -> CommandFailed:
    """The service's refusal of a camera (the fields changed by `changes`)."""
    with pytest.raises(CommandFailed) as refused:
        console.commands.send("config.add_camera", _fields(**changes)).result(timeout=60)
    return refused.value


def test_an_administrator_adds_a_camera_through_the_service(second_config, mqtt_broker, tmp_path, data_dir, make_core):
    path = tmp_path / "lagoon_commune.toml"
    shutil.copy(SITES / "lagoon_commune.toml", path)
    shutil.copytree(SITES / "lagoon-layers", tmp_path / "lagoon-layers")
    original = path.read_text(encoding="utf-8")
    service = _service(second_config, path, mqtt_broker, tmp_path, data_dir, "service")
    service.start()
    try:
        console = _attached_console(service, second_config, mqtt_broker, make_core, "console-add-cam")

        assert console.access.authenticate("vanhanh_vh", "mat-khau-vh") is not None
        assert _refused(console).code == "denied"

        assert console.access.authenticate("quantri_vh", "mat-khau-qt") is not None
        assert "khong_co" in str(_refused(console, village="khong_co"))  # the file's own check, in words, naming the bad reference
        assert "vh_cau_dam" in str(_refused(console, id="vh_cau_dam"))  # an id the commune already uses
        assert path.read_text(encoding="utf-8") == original and not list(tmp_path.glob("*.new"))

        answer = console.commands.send("config.add_camera", _fields()).result(timeout=60)
        assert answer["path"] == str(path)
        camera = next(c for c in load_config(path).cameras if c.id == "vh_cong_moi")
        assert camera.village == "th_cu_lac" and camera.onvif.host == "10.30.5.21"
        assert path.read_text(encoding="utf-8").startswith(original.rstrip("\n"))
        wait_until(lambda: _camera_audits(service.core.engine), 30, message="the service's audit entry")
        assert _camera_audits(service.core.engine) == [("quantri_vh", "vh_cong_moi", {"file": str(path)})]
    finally:
        service.stop()


def test_a_service_without_a_file_it_may_change_refuses(second_config, mqtt_broker, tmp_path, data_dir, make_core):
    service = _service(second_config, None, mqtt_broker, tmp_path, data_dir, "nofile")
    service.start()
    try:
        console = _attached_console(service, second_config, mqtt_broker, make_core, "console-no-file")
        assert console.access.authenticate("quantri_vh", "mat-khau-qt") is not None
        assert "--config" in str(_refused(console))
        assert _camera_audits(service.core.engine) == []
    finally:
        service.stop()
