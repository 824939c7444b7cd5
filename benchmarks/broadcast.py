"""Broadcast to 100 simulated speakers: time from "start" to every speaker's ack.

Starts a private Mosquitto on a free loopback port, 100 simulated speakers (the simulator's,
behind one connection), and one console (core + broadcast service). Measures, over a few
rounds, the time from start_job() until every speaker has acked "started" and until every
one has acked "finished" (a 1-second clip played at 20x speed). Baseline, same run: the
broker round trip of one QoS-1 message from a publisher to a subscriber on loopback.
Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
import wave
from pathlib import Path

import paho.mqtt.client as mqtt
from bench_broker import start_broker

SPEAKERS = 100
ROUNDS = 5


def broker_roundtrip_ms(port: int, samples: int = 200) -> list[float]:
    received = threading.Event()
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="rt-sub")
    sub.on_message = lambda c, u, m: received.set()
    sub.connect("127.0.0.1", port)
    sub.subscribe("bench/rt", qos=1)
    sub.loop_start()
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="rt-pub")
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    time.sleep(0.3)
    times = []
    for _ in range(samples):
        received.clear()
        t0 = time.perf_counter()
        pub.publish("bench/rt", b"x", qos=1)
        received.wait(5)
        times.append((time.perf_counter() - t0) * 1000)
    for client in (sub, pub):
        client.loop_stop()
        client.disconnect()
    return times


def bench_config(port: int):
    from controlroom.config import SpeakerConfig, demo_config_path, load_config

    config = load_config(demo_config_path())
    villages = config.villages
    speakers = [SpeakerConfig(id=f"spk{i:03d}", name=f"Loa {i}", village=villages[i % len(villages)].id,
                              lat=villages[i % len(villages)].lat, lon=villages[i % len(villages)].lon)
                for i in range(SPEAKERS)]
    return config.model_copy(update={
        "speakers": speakers,
        "mqtt": config.mqtt.model_copy(update={"topic_prefix": f"bench{uuid.uuid4().hex[:6]}", "port": port}),
        "broadcast": config.broadcast.model_copy(update={"schedule": [], "start_timeout_s": 10.0}),
    })


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-broadcast-"))
    os.environ["CONTROLROOM_DATA_DIR"] = str(workdir / "data")
    from controlroom.broadcast.jobs import DeliveryState, Priority
    from controlroom.core import ControlRoomCore
    from controlroom.access.operators import SYSTEM
    from controlroom.sim.simulator import Simulator

    broker, port = start_broker(workdir)
    try:
        baseline = broker_roundtrip_ms(port)
        config = bench_config(port)
        simulator = Simulator(config, "127.0.0.1", port, seed=7, speaker_speed=20.0, device_outages=False,
                              reports=False, speaker_offline_ids=set(), speaker_fault_ids=set())
        simulator.start()
        simulator.wait_connected(10)
        core = ControlRoomCore(config, db_url=f"sqlite:///{workdir}/bench.db", broker_host="127.0.0.1",
                               broker_port=port, client_id="bench-console", data_dir=workdir / "data",
                               monitor_cameras=False)
        core.start()
        service = core.broadcast.service
        deadline = time.monotonic() + 10
        while len(service.speaker_statuses()) < SPEAKERS and time.monotonic() < deadline:
            time.sleep(0.05)
        clip = workdir / "clip.wav"
        with wave.open(str(clip), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(b"\0\0" * 8000)
        started_s, finished_s, played = [], [], []
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            job = service.start_job(title="bench", audio_path=clip, duration_s=1.0, targets=[s.id for s in config.speakers],
                                    priority=Priority.ANNOUNCEMENT, operator=SYSTEM)
            all_started = None
            while time.perf_counter() - t0 < 30:
                states = [d.state for d in service.job(job.id).deliveries.values()]
                if all_started is None and all(s is not DeliveryState.PENDING for s in states):
                    all_started = time.perf_counter() - t0
                if all(s is not DeliveryState.PENDING and s is not DeliveryState.STARTED for s in states):
                    break
                time.sleep(0.002)
            finished_s.append(time.perf_counter() - t0)
            started_s.append(all_started or float("nan"))
            played.append(service.job(job.id).totals().played)
            time.sleep(0.2)
        core.stop()
        simulator.stop()
    finally:
        broker.terminate()
        broker.wait(5)
        shutil.rmtree(workdir, ignore_errors=True)
    baseline_p50 = statistics.median(baseline)
    result = {
        "name": "broadcast",
        "speakers": SPEAKERS,
        "rounds": ROUNDS,
        "speakers_acked": min(played),
        "all_started_s": round(statistics.median(started_s), 4),
        "all_acked_s": round(statistics.median(finished_s), 4),
        "all_acked_s_max": round(max(finished_s), 4),
        "clip_play_time_s": 1.0 / 20.0,
        "baseline_roundtrip_ms": round(baseline_p50, 3),
        "baseline_roundtrip_ms_p99": round(sorted(baseline)[int(len(baseline) * 0.99) - 1], 3),
        "ratio_all_started_to_roundtrip": round(statistics.median(started_s) * 1000 / baseline_p50, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
