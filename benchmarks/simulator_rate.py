"""How fast can the demo simulator publish, against a bare paho publisher in the same run?

Starts a private Mosquitto on loopback, counts readings a subscriber receives for a few
seconds from (1) a plain paho client publishing the same kind of QoS-1 JSON reading as fast
as it can (baseline) and (2) the simulator at a time scale far beyond what it can keep up
with. Also times Simulator.stop(). Prints one JSON line last.
Run: /opt/crvenv/bin/python benchmarks/simulator_rate.py
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

from controlroom.config import demo_config_path, load_config
from controlroom.sim.simulator import Simulator
from bench_broker import start_broker

SECONDS = 3.0


class Counter:
    def __init__(self, port: int, pattern: str):
        self.count = 0
        self._lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-sub-{pattern[:8]}", protocol=mqtt.MQTTv5)
        self.client.on_message = self._on_message
        done = threading.Event()
        self.client.on_subscribe = lambda *args: done.set()
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(pattern, qos=1)
        self.client.loop_start()
        done.wait(10)

    def _on_message(self, client, userdata, message) -> None:
        with self._lock:
            self.count += 1

    def read(self) -> int:
        with self._lock:
            return self.count

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def measure(counter: Counter) -> float:
    start_count, start = counter.read(), time.monotonic()
    time.sleep(SECONDS)
    return (counter.read() - start_count) / (time.monotonic() - start)


def baseline(port: int) -> float:
    counter = Counter(port, "base/#")
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-pub", protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    stop = threading.Event()

    def pump() -> None:
        n = 0
        while not stop.is_set():
            payload = {"ts": "2026-11-25T10:00:00.000+00:00", "values": {"pm25": 41.2 + n % 7, "pm10": 63.0}}
            info = client.publish(f"base/sensor/s{n % 8}/reading", json.dumps(payload), qos=1)
            if n % 200 == 0:
                info.wait_for_publish(5)
            n += 1

    thread = threading.Thread(target=pump, name="bench-pump")
    thread.start()
    time.sleep(0.5)
    rate = measure(counter)
    stop.set()
    thread.join()
    client.disconnect()
    client.loop_stop()
    counter.close()
    return rate


def simulator(port: int) -> tuple[float, float]:
    config = load_config(demo_config_path())
    config = config.model_copy(update={"mqtt": config.mqtt.model_copy(update={"topic_prefix": "bench"})})
    counter = Counter(port, "bench/sensor/#")
    sim = Simulator(config, "127.0.0.1", port, seed=1, time_scale=1e6, device_outages=False, reports=False)
    sim.start()
    sim.wait_connected(10)
    time.sleep(0.5)
    rate = measure(counter)
    t0 = time.monotonic()
    sim.stop()
    stop_s = time.monotonic() - t0
    counter.close()
    return rate, stop_s


def main() -> None:
    if shutil.which("mosquitto") is None:
        raise SystemExit("mosquitto is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start_broker(Path(tmp))
        try:
            base = baseline(port)
            rate, stop_s = simulator(port)
        finally:
            proc.terminate()
            proc.wait(10)
    sensors = len(load_config(demo_config_path()).sensors)
    print(json.dumps({
        "name": "simulator_rate",
        "readings_msgs_per_s": round(rate),
        "baseline_msgs_per_s": round(base),
        "ratio": round(rate / base, 3) if base else None,
        "stop_s": round(stop_s, 3),
        "max_time_scale_demo_config": round(rate * 60 / sensors),  # 60 s intervals
    }))


if __name__ == "__main__":
    sys.exit(main())
