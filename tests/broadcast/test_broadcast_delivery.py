"""Broadcasts through the real broker to the simulator's speakers: targets, acks, pre-emption,
the programme across a restart."""

from __future__ import annotations

import threading
import time
import uuid
import wave
from datetime import datetime, timezone

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import select

from controlroom.broadcast.jobs import DeliveryState, Priority
from controlroom.config import ScheduledBroadcastConfig
from controlroom.access.operators import Operator, PermissionDenied, Role
from controlroom.flood.duty_log import DutyEntry, entry_text
from controlroom.sim.simulator import Simulator
from controlroom.storage.models import audit_log, broadcasts

from ..conftest import wait_until

VILLAGES = ["la_van_ha", "phuoc_yen"]
DUTY_OFFICER = Operator("trucban", "Trực ban", Role.DUTY_OFFICER)


def silence_wav(path, seconds: float, rate: int = 8000):
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * int(seconds * rate))
    return path


class CommandSpy:
    """A plain MQTT client that records which speakers were sent commands."""

    def __init__(self, host, port, prefix):
        self.topics: list[str] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"spy-{uuid.uuid4().hex[:6]}")
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        self.client.subscribe(f"{prefix}/speaker/+/cmd", qos=1)
        self.client.loop_start()

    def _on_message(self, client, userdata, message):
        with self._lock:
            self.topics.append(message.topic.split("/")[2])

    def speakers(self) -> set[str]:
        with self._lock:
            return set(self.topics)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def site(demo_config, mqtt_broker, tmp_path, data_dir):
    """Config with a unique prefix, short ack timeouts, and no programme."""
    broadcast = demo_config.broadcast.model_copy(update={"start_timeout_s": 3.0, "finish_margin_s": 5.0, "schedule": []})
    mqtt_cfg = demo_config.mqtt.model_copy(update={"topic_prefix": f"t{uuid.uuid4().hex[:8]}"})
    return demo_config.model_copy(update={"broadcast": broadcast, "mqtt": mqtt_cfg})


def start_console(make_core, config, broker, db_url):
    """A console's core; its broadcasting (``core.broadcast``) runs with it."""
    core = make_core(config, broker=broker, db_url=db_url)
    return core, core.broadcast


def test_broadcast_to_two_villages_reaches_exactly_their_speakers(site, mqtt_broker, tmp_path, make_core):
    offline = next(s.id for s in site.speakers if s.village == "phuoc_yen")
    simulator = Simulator(site, mqtt_broker.host, mqtt_broker.port, seed=1, speaker_speed=20.0, device_outages=False,
                          reports=False, speaker_offline_ids={offline}, speaker_fault_ids=set())
    simulator.start()
    assert simulator.wait_connected(10)
    spy = CommandSpy(mqtt_broker.host, mqtt_broker.port, site.topic_prefix)
    core, broadcasting = start_console(make_core, site, mqtt_broker, f"sqlite:///{tmp_path}/a.db")
    try:
        service = broadcasting.service
        wait_until(lambda: len(service.speaker_statuses()) == len(site.speakers))
        targets = service.speakers_in(VILLAGES)
        job = service.start_job(title="Thử", audio_path=silence_wav(tmp_path / "a.wav", 2.0), duration_s=2.0,
                                targets=targets, priority=Priority.ANNOUNCEMENT, operator=DUTY_OFFICER)
        wait_until(lambda: service.job(job.id).finished)
        states = {s: d.state for s, d in service.job(job.id).deliveries.items()}
        assert set(states) == set(targets)
        assert states.pop(offline) is DeliveryState.OFFLINE
        assert set(states.values()) == {DeliveryState.PLAYED}
        totals = service.job(job.id).totals()
        assert (totals.played, totals.offline, totals.total) == (len(targets) - 1, 1, len(targets))
        wait_until(lambda: spy.speakers() == set(targets), timeout=5)
    finally:
        spy.close()
        core.stop()
        simulator.stop()
    with core.engine.connect() as conn:
        row = conn.execute(select(broadcasts).where(broadcasts.c.id == job.id)).mappings().one()
        outcome = conn.execute(select(audit_log).where((audit_log.c.action == "broadcast.outcome")
                                                       & (audit_log.c.target == job.id))).one()
    assert row["state"] == "finished" and row["detail"]["played"] == len(targets) - 1
    # the duty log names the broadcast by its title, not its id
    text = entry_text(DutyEntry(outcome.seq, None, outcome.actor, outcome.action, outcome.target, outcome.detail))
    assert text.startswith("Bản phát Thử: ") and job.id not in text, text


def test_emergency_preempts_a_routine_broadcast_on_the_same_speakers(site, mqtt_broker, tmp_path, make_core):
    simulator = Simulator(site, mqtt_broker.host, mqtt_broker.port, seed=2, speaker_speed=2.0, device_outages=False,
                          reports=False, speaker_offline_ids=set(), speaker_fault_ids=set())
    simulator.start()
    assert simulator.wait_connected(10)
    core, broadcasting = start_console(make_core, site, mqtt_broker, f"sqlite:///{tmp_path}/b.db")
    try:
        service = broadcasting.service
        wait_until(lambda: len(service.speaker_statuses()) == len(site.speakers))
        targets = service.speakers_in(["la_van_ha"])
        routine = service.start_job(title="Chương trình", audio_path=silence_wav(tmp_path / "long.wav", 60.0),
                                    duration_s=60.0, targets=targets, priority=Priority.ROUTINE, operator=DUTY_OFFICER)
        wait_until(lambda: all(d.state is DeliveryState.STARTED for d in service.job(routine.id).deliveries.values()))
        emergency = service.start_job(title="Khẩn cấp", audio_path=silence_wav(tmp_path / "short.wav", 1.0),
                                      duration_s=1.0, targets=targets, priority=Priority.EMERGENCY, operator=DUTY_OFFICER)
        wait_until(lambda: service.job(emergency.id).finished)
        assert {d.state for d in service.job(emergency.id).deliveries.values()} == {DeliveryState.PLAYED}
        routine_deliveries = service.job(routine.id).deliveries.values()
        assert {d.state for d in routine_deliveries} == {DeliveryState.INTERRUPTED}
        assert all(emergency.id in d.detail for d in routine_deliveries)
        assert set(service.retry(routine.id, DUTY_OFFICER)) == set(targets)  # one click sends it again
    finally:
        core.stop()
        simulator.stop()


def test_schedule_fires_once_and_not_again_after_a_restart(site, mqtt_broker, tmp_path, make_core):
    now_local = datetime.now(timezone.utc).astimezone(site.site.tz)
    entry = ScheduledBroadcastConfig(id="bulletin", title="Bản tin thử", time=now_local.strftime("%H:%M"),
                                     zone="low_lying", text="Bản tin thử nghiệm")
    site = site.model_copy(update={"broadcast": site.broadcast.model_copy(update={"schedule": [entry]})})
    db_url = f"sqlite:///{tmp_path}/c.db"
    core, broadcasting = start_console(make_core, site, mqtt_broker, db_url)
    try:
        wait_until(lambda: any(j.id.startswith("sched:bulletin@") for j in broadcasting.service.jobs()))
        time.sleep(0.5)  # more ticks inside the same minute
        assert len(broadcasting.service.jobs()) == 1
    finally:
        core.stop()
    core, broadcasting = start_console(make_core, site, mqtt_broker, db_url)
    try:
        time.sleep(1.0)  # ten ticks of the restarted timer
        assert broadcasting.service.jobs() == []
        with core.engine.connect() as conn:
            fired = conn.execute(select(broadcasts.c.id)).scalars().all()
        assert len(fired) == 1 and fired[0].startswith("sched:bulletin@")
    finally:
        core.stop()


def test_roles_are_enforced_by_the_service_itself(site, mqtt_broker, tmp_path, make_core):
    core, broadcasting = start_console(make_core, site, mqtt_broker, f"sqlite:///{tmp_path}/d.db")
    try:
        service = broadcasting.service
        clip = silence_wav(tmp_path / "x.wav", 1.0)
        targets = service.speakers_in(["la_van_ha"])
        viewer = Operator("xem", "Người xem", Role.VIEWER)
        with pytest.raises(PermissionDenied):
            service.start_job(title="x", audio_path=clip, duration_s=1, targets=targets, operator=viewer)
        operator = Operator("vanhanh", "Vận hành", Role.OPERATOR)
        with pytest.raises(PermissionDenied):
            service.start_job(title="x", audio_path=clip, duration_s=1, targets=targets,
                              priority=Priority.EMERGENCY, operator=operator)
        assert service.jobs() == []
        service.start_job(title="x", audio_path=clip, duration_s=1, targets=targets, operator=operator)
        core.storage.flush()
        from controlroom.access.audit import verify_chain
        with core.engine.connect() as conn:
            actions = conn.execute(select(audit_log.c.actor, audit_log.c.action)).all()
        assert ("vanhanh", "broadcast.start") in actions
        assert verify_chain(core.engine).ok
    finally:
        core.stop()
