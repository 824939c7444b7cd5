"""Simulated loudspeakers over a real broker: acks, pre-emption, offline and faulty ones."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from controlroom.feeds.payloads import PayloadParser
from controlroom.sim.simulator import Simulator

from .conftest import wait_until


@pytest.fixture
def sim(mqtt_broker, sim_config):
    simulator = Simulator(sim_config, mqtt_broker.host, mqtt_broker.port, seed=6, time_scale=60.0,
                          speaker_speed=20.0, device_outages=False, reports=False)
    simulator.start()
    assert simulator.wait_connected(30)
    yield simulator
    simulator.stop()


@pytest.fixture
def room(mqtt_broker, sim_config, listeners):
    """The console's side: hears acks and statuses, sends commands."""
    return listeners(mqtt_broker.host, mqtt_broker.port, f"{sim_config.topic_prefix}/speaker/#")


def _healthy(sim) -> list[str]:
    return [s for s in sim.speakers.ids if s not in sim.speakers.offline_ids | sim.speakers.fault_ids]


def _acks(room, speaker_id: str) -> list[tuple[str, str, str | None]]:
    return [(a["job"], a["result"], a["detail"]) for _, a in room.json(f"/speaker/{speaker_id}/ack")]


def _cmd(room, sim, speaker_id: str, **command) -> None:
    room.publish(f"{sim.prefix}/speaker/{speaker_id}/cmd", command)


def test_play_is_acked_started_then_finished_after_the_audio(sim, room, audio_server):
    speaker = _healthy(sim)[0]
    _cmd(room, sim, speaker, job="j1", action="play", source=f"{audio_server}/short.wav", priority=1, volume=55)
    wait_until(lambda: ("j1", "finished", None) in _acks(room, speaker), message="finished ack")
    assert _acks(room, speaker) == [("j1", "started", None), ("j1", "finished", None)]
    wait_until(lambda: room.json(f"/speaker/{speaker}/status")[-1][1]["state"] == "idle", message="idle again")
    assert "playing" in [s["state"] for _, s in room.json(f"/speaker/{speaker}/status")]
    parser = PayloadParser(sim.config)
    for topic, payload, _ in room.snapshot(f"/speaker/{speaker}/"):
        if not topic.endswith("/cmd"):
            parser.parse(topic, payload, datetime.now(timezone.utc))
    assert sum(parser.rejects.values()) == 0, parser.rejects
    assert room.json(f"/speaker/{speaker}/status")[-1][1]["volume"] == 55


def test_offline_speaker_does_not_answer_while_faulty_one_fails(sim, room, audio_server):
    offline = sorted(sim.speakers.offline_ids)[0]
    faulty = sorted(sim.speakers.fault_ids)[0]
    healthy = _healthy(sim)[0]
    for speaker in (offline, faulty, healthy):
        _cmd(room, sim, speaker, job="j2", action="play", source=f"{audio_server}/short.wav", priority=2)
    wait_until(lambda: ("j2", "finished", None) in _acks(room, healthy), message="healthy speaker finished")
    wait_until(lambda: _acks(room, faulty), message="faulty speaker answers")
    assert _acks(room, faulty) == [("j2", "failed", "amplifier fault")]
    assert _acks(room, offline) == []


def test_higher_priority_preempts_and_lower_priority_is_rejected(sim, room, audio_server):
    speaker = _healthy(sim)[1]
    _cmd(room, sim, speaker, job="routine", action="play", source=f"{audio_server}/long.wav", priority=1)
    wait_until(lambda: ("routine", "started", None) in _acks(room, speaker), message="routine started")
    _cmd(room, sim, speaker, job="flood", action="play", source=f"{audio_server}/long.wav", priority=3)
    wait_until(lambda: ("flood", "started", None) in _acks(room, speaker), message="emergency started")
    assert ("routine", "failed", "preempted by flood") in _acks(room, speaker)
    _cmd(room, sim, speaker, job="later", action="play", source=f"{audio_server}/short.wav", priority=1)
    wait_until(lambda: any(job == "later" for job, _, _ in _acks(room, speaker)), message="answer to low priority")
    assert [r for job, r, _ in _acks(room, speaker) if job == "later"] == ["rejected"]
    _cmd(room, sim, speaker, job="stop1", action="stop")
    wait_until(lambda: ("flood", "finished", "stopped") in _acks(room, speaker), message="stopped")
    wait_until(lambda: room.json(f"/speaker/{speaker}/status")[-1][1]["state"] == "idle", message="idle again")


def test_volume_command_and_bad_commands(sim, room, audio_server):
    speaker = _healthy(sim)[2]
    _cmd(room, sim, speaker, job="v1", action="volume", volume=35)
    wait_until(lambda: ("v1", "finished", None) in _acks(room, speaker), message="volume ack")
    assert room.json(f"/speaker/{speaker}/status")[-1][1]["volume"] == 35  # status is sent before the ack
    _cmd(room, sim, speaker, job="v2", action="volume", volume=300)
    _cmd(room, sim, speaker, job="p1", action="play", source="ftp://nowhere/a.mp3", priority=1)
    _cmd(room, sim, speaker, job="p2", action="play", source=f"{audio_server}/missing.wav", priority=1)
    wait_until(lambda: len(_acks(room, speaker)) >= 5, message="answers to bad commands")
    results = {(job, result) for job, result, _ in _acks(room, speaker)}
    assert {("v2", "rejected"), ("p1", "rejected"), ("p2", "started"), ("p2", "failed")} <= results
    wait_until(lambda: room.json(f"/speaker/{speaker}/status")[-1][1]["state"] == "idle", message="idle after failure")
