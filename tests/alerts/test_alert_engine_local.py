"""The engine without a broker: VN_AQI bands, camera health, shelving expiry, manual alerts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from controlroom.alerts.engine import AlertEngine
from controlroom.alerts.model import AlertState, Priority
from controlroom.access.operators import Operator, Role
from controlroom.bus import EventBus
from controlroom.domain import DeviceStatus, Reading

from ..conftest import wait_until


def op(name: str) -> Operator:
    """A signed-in duty officer called `name` (the engine acts only for a session's Operator)."""
    return Operator(name, name, Role.DUTY_OFFICER)


@pytest.fixture
def engine(site_config):
    bus = EventBus()
    engine = AlertEngine(site_config, bus, console_id="local", tick_s=0.1)
    engine.start()
    yield engine, bus
    engine.stop()


def test_vn_aqi_band_very_bad_raises_an_air_quality_alert(engine):
    engine, bus = engine
    now = datetime.now(timezone.utc)
    hour = now.replace(minute=0, second=0, microsecond=0)
    # last hour's mean (history by now: it feeds the NowCast, raises nothing), then two live readings
    for ts in (hour - timedelta(minutes=30), now - timedelta(seconds=10), now):
        bus.publish(Reading("aq1", "pm25", ts, 200.0))  # NowCast 200 µg/m³ -> sub-index ~250
    alert = wait_until(lambda: engine.snapshot().get("sensor.aq1.aqi"))
    assert alert.detail["vn_aqi_band"] == 5 and alert.priority is Priority.HIGH  # Rất xấu (201-300)


def test_camera_health_offline_raises_camera_alert_after_its_delay(engine):
    engine, bus = engine
    bus.publish(DeviceStatus("cam1", False, datetime.now(timezone.utc) - timedelta(minutes=5)))  # down for 5 min
    alert = wait_until(lambda: engine.snapshot().get("camera.cam1.offline"))
    assert alert.kind == "camera_offline" and alert.village == "v1"
    bus.publish(DeviceStatus("cam1", True, datetime.now(timezone.utc)))
    wait_until(lambda: engine.snapshot().get("camera.cam1.offline").state is AlertState.RETURNED_UNACKNOWLEDGED)


def test_timed_shelving_expires_by_itself(engine):
    engine, bus = engine
    alert_id = engine.raise_manual(op("An"), "Sạt lở bờ sông", Priority.HIGH, "v1")
    wait_until(lambda: engine.snapshot().get(alert_id))
    engine.shelve([alert_id], op("An"), "đã cử người xuống kiểm tra", duration_s=1)
    wait_until(lambda: engine.snapshot().get(alert_id).state is AlertState.SHELVED)
    back = wait_until(lambda: (a := engine.snapshot().get(alert_id)).state is AlertState.UNACKNOWLEDGED and a)
    actions = [e.action for e in engine.history(alert_id)]
    assert actions == ["raise", "shelve", "unshelve"] and back.shelved_by is None
    assert engine.history(alert_id)[-1].actor == "system"


def test_only_a_session_operator_with_the_role_acts(engine):
    """A typed name is no identity, a viewer may not raise an alert, and nobody signed in may do nothing."""
    from controlroom.access.operators import NOBODY, PermissionDenied

    engine, _ = engine
    with pytest.raises(TypeError):
        engine.acknowledge(["x"], "Nguyễn Văn An")  # a name typed in a dialog
    with pytest.raises(PermissionDenied, match="Người xem"):
        engine.raise_manual(Operator("xem", "Người xem", Role.VIEWER), "Sạt lở", Priority.HIGH)
    with pytest.raises(PermissionDenied):
        engine.raise_manual(NOBODY, "Sạt lở", Priority.HIGH)
    assert not engine.snapshot().alerts  # nothing raised


def test_a_reading_the_rules_cannot_read_spoils_nothing_else_of_its_message(engine, caplog):
    """The engine takes a message's values together; one it cannot evaluate (here a text where a
    number belongs, which the feed's parser never lets through) is logged and the rest of the
    run is still evaluated."""
    engine, bus = engine
    now = datetime.now(timezone.utc)
    bus.publish_batch([Reading("pond", "ph", now, "không đọc được"), Reading("pond", "ph", now, 9.3),
                       Reading("pond", "ph", now + timedelta(seconds=1), 9.4)])
    alert = wait_until(lambda: engine.snapshot().get("sensor.pond.ph.high"))
    assert alert.active and engine.counters["readings"] == 3
    assert "alert engine failed on a reading of pond" in caplog.text
