"""The demo simulator: the commune's sensors, devices, speakers and citizen reports over MQTT.

It follows the MQTT contract of DESIGN.md exactly as real devices would, so the control room
cannot tell it from the field. Simulated time runs ``time_scale`` times faster than the wall
clock and starts at ``start`` (default: now); reading timestamps are simulated times, so the
graphs look like hours of data after minutes of demo. Values come from sim_models (seeded:
same seed and start, same series), speakers from sim_speakers (real-time playback).

Threads: ``sim-scheduler`` (readings, outages, reports), the speakers' ``sim-speakers-*``,
and one paho network thread per connection (``paho-mqtt-client-sim-…``). ``stop()`` joins them
all in well under 2 s and leaves every device and speaker marked offline (retained).
"""

from __future__ import annotations

import heapq
import json
import logging
import random
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from controlroom.config import Config, SensorConfig
from controlroom.i18n import tr
from controlroom.sim.links import DeviceLink, HubLink, LinkSettings, client_suffix, wait_published
from controlroom.sim.models import FloodScenario, SiteModel
from controlroom.sim.reports import ReportGenerator
from controlroom.sim.speakers import SimSpeakers

log = logging.getLogger(__name__)

_READING, _OUTAGE_START, _OUTAGE_END, _REPORT = "reading", "outage_start", "outage_end", "report"


def _iso(ts: datetime) -> str:
    return ts.isoformat(timespec="milliseconds")


class Simulator:
    """Publishes one commune's demo feeds to a broker until stopped.

    ``timestamps="simulated"`` stamps readings and reports with simulated time, which runs
    ahead of the wall clock when time_scale > 1: a receiver that rejects timestamps too far in
    the future (PayloadParser's max_clock_skew) drops them after max_clock_skew / (time_scale - 1)
    wall seconds. ``timestamps="wall"`` stamps them with the wall clock instead (the values
    still follow simulated time: a flood plays out in minutes on a real-time axis).

    Broker access comes from ``config.mqtt``; ``host``, ``port``, ``protocol`` ("v5" or "v311"),
    ``username``, ``password`` and ``tls`` override it with the same names as
    ``BrokerHandle.feed_options()``, so ``Simulator(config, **handle.feed_options())`` works.

    Citizen reports come at a human pace on the wall clock however fast simulated time runs
    (sim/reports.py); ``reports_at_human_pace=False`` lets them follow the simulated clock (tests
    that need many reports quickly). ``speaker_speed`` divides real playback time (tests use
    20-100). Device outages come from a seeded schedule: per device, on average every
    ``outage_mean_between_h`` simulated hours, none before ``outage_earliest_h``, each lasting
    15-60 simulated minutes.

    ``resume_at_s`` starts the simulated clock there instead of at 0 (with ``start`` the wall time
    of simulated zero): a demo started again on the data of an earlier run goes on with the river
    where that run left it (``resumed_clock``).
    """

    def __init__(self, config: Config, host: str | None = None, port: int | None = None, seed: int = 0,
                 time_scale: float = 60.0, *, start: datetime | None = None,
                 scenario: FloodScenario | None = None, speaker_speed: float = 1.0,
                 device_outages: bool = True, outage_mean_between_h: float = 24.0, outage_earliest_h: float = 2.0,
                 reports: bool = True, reports_at_human_pace: bool = True, speaker_offline_ids: set[str] | None = None,
                 speaker_fault_ids: set[str] | None = None, timestamps: str = "simulated",
                 protocol: str = "v5", username: str | None = None, password: str | None = None,
                 tls: bool | None = None, resume_at_s: float = 0.0):
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        if timestamps not in ("simulated", "wall"):
            raise ValueError("timestamps must be 'simulated' or 'wall'")
        self.timestamps = timestamps
        self.config = config
        self.link_settings = LinkSettings.from_config(config.mqtt, host, port, protocol, username, password, tls)
        self.host, self.port = self.link_settings.host, self.link_settings.port
        self.seed = seed
        self.time_scale = float(time_scale)
        self.resume_at_s = max(0.0, float(resume_at_s))
        self.prefix = config.topic_prefix
        self.model = SiteModel(config, seed, start or datetime.now(timezone.utc).replace(microsecond=0), scenario)
        self.start_time = self.model.start
        self.device_outages = device_outages
        self.outage_mean_between_h = outage_mean_between_h
        self.outage_earliest_h = outage_earliest_h
        self.stats: Counter = Counter()
        suffix = client_suffix()
        self.speakers = SimSpeakers(config, self._hub_publish, seed=seed, speed=speaker_speed,
                                    offline_ids=speaker_offline_ids, fault_ids=speaker_fault_ids)
        self.hub = HubLink(self.prefix, self.link_settings, suffix,
                           on_connected=self.speakers.publish_all_status, on_command=self.speakers.handle_command)
        self._sensors_by_device: dict[str, list[SensorConfig]] = {}
        for sensor in config.sensors:
            self._sensors_by_device.setdefault(sensor.status_device_id, []).append(sensor)
        self.devices = {device_id: DeviceLink(device_id, self.prefix, self.link_settings, suffix)
                        for device_id in self._sensors_by_device}
        report_pace = time_scale if reports_at_human_pace else 1.0  # see EVERYDAY_MEAN_WALL_MIN
        self._reports = ReportGenerator(config, seed, self.start_time, time_scale=report_pace) if reports else None
        self._outage_rng = {d: random.Random(f"{seed}:outage:{d}") for d in self.devices}
        self._queue: list[tuple[float, int, str, str, int]] = []
        self._seq = 0
        self._mono0 = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sim-scheduler", daemon=True)
        self._started = False

    # -- life cycle --

    def start(self) -> None:
        if self._started:
            raise RuntimeError("a Simulator starts once")
        self._started = True
        t0 = self.resume_at_s
        for sensor in self.config.sensors:
            phase = random.Random(f"{self.seed}:phase:{sensor.id}").uniform(0.0, min(sensor.interval_s, 5.0))
            self._schedule(t0 + phase, _READING, sensor.id, 0)
        if self.device_outages:
            for device_id in self.devices:
                self._schedule_next_outage(device_id, t0 + self.outage_earliest_h * 3600.0)
        if self._reports is not None:
            self._schedule(t0 + self._reports.gap_s(False) / 4, _REPORT, "", 0)
        self.speakers.start()
        self.hub.connect()
        for link in self.devices.values():
            link.connect()
        self._mono0 = time.monotonic()
        self._thread.start()
        log.info("simulator: %s to %s:%s, seed %s, %sx, simulated start %s", self.prefix, self.host,
                 self.port, self.seed, self.time_scale, _iso(self.start_time))
        if self.timestamps == "simulated" and self.time_scale > 1:
            log.warning("simulator: simulated timestamps run %gx ahead of the wall clock; a console that "
                        "rejects future timestamps will drop them (use timestamps='wall')", self.time_scale)

    def stop(self) -> None:
        """Stop publishing, mark speakers and devices offline (retained), join every thread."""
        if not self._started or self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(1.0)
        last = self.speakers.stop(timeout=0.8)
        wait_published(last, 0.5)
        self.hub.close()
        for link in self.devices.values():
            if link.up:
                link.drop()  # the broker publishes each device's Last Will "offline"
        self.hub.join()
        for link in self.devices.values():
            link.join()
        log.info("simulator stopped: %s", dict(self.stats))

    def wait_connected(self, timeout: float = 10.0) -> bool:
        """True once the hub and every device are connected (for tests and --demo start-up)."""
        deadline = time.monotonic() + timeout
        links = [self.hub.connected] + [link.connected for link in self.devices.values()]
        return all(event.wait(max(0.0, deadline - time.monotonic())) for event in links)

    def _hub_publish(self, topic_suffix: str, payload: dict, qos: int, retain: bool):
        return self.hub.publish(topic_suffix, payload, qos=qos, retain=retain)

    # -- simulated time --

    def sim_seconds(self) -> float:
        """Simulated seconds since simulated zero (``resume_at_s`` before start())."""
        if not self._mono0:
            return self.resume_at_s
        return self.resume_at_s + (time.monotonic() - self._mono0) * self.time_scale


    def _stamp(self, t_s: float) -> datetime:
        if self.timestamps == "wall":
            return datetime.now(timezone.utc)
        return self.model.time_at(t_s)

    def status_line(self) -> str:
        """One line for a terminal: simulated time, river levels against alarm levels, what was sent."""
        t_s = self.sim_seconds()
        local = self.model.time_at(t_s).astimezone(self.config.site.tz)
        levels = []
        for sensor_id, station in self.model.stations.items():
            level = self.model.flood.level(station, t_s / 3600.0)
            alarm = "III" if level >= station.level_3 else "II" if level >= station.level_2 else "I" if level >= station.level_1 else "-"
            levels.append(f"{sensor_id} {level:.2f} m ({alarm})")
        acks = sum(v for k, v in self.speakers.stats.items() if k.startswith("ack_"))
        return tr("{time} (+{hours} h) | {levels} | readings {readings}, reports {reports}, speaker answers {acks}",
                  time=f"{local:%Y-%m-%d %H:%M}", hours=f"{t_s / 3600:.1f}", levels=", ".join(levels),
                  readings=self.stats["readings"], reports=self.stats["reports"], acks=acks)

    # -- the scheduler thread --

    def _schedule(self, t_s: float, kind: str, key: str, n: int) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (t_s, self._seq, kind, key, n))

    def _schedule_next_outage(self, device_id: str, not_before_s: float) -> None:
        rng = self._outage_rng[device_id]
        start = not_before_s + rng.expovariate(1.0 / (self.outage_mean_between_h * 3600.0))
        self._schedule(start, _OUTAGE_START, device_id, 0)

    def _run(self) -> None:
        while not self._stop.is_set():
            now_s = self.sim_seconds()
            while self._queue and self._queue[0][0] <= now_s and not self._stop.is_set():
                t_s, _, kind, key, n = heapq.heappop(self._queue)
                self._handle(t_s, kind, key, n)
            if self._queue:
                wait = (self._queue[0][0] - self.sim_seconds()) / self.time_scale
                self._stop.wait(min(0.25, max(0.0, wait)))
            else:
                self._stop.wait(0.25)

    def _handle(self, t_s: float, kind: str, key: str, n: int) -> None:
        if kind == _READING:
            self._reading(t_s, key, n)
        elif kind == _OUTAGE_START:
            link = self.devices[key]
            log.info("simulator: device %s drops offline", key)
            self.stats["outages"] += 1
            link.drop()
            link.join()
            duration = self._outage_rng[key].uniform(15 * 60.0, 60 * 60.0)
            self._schedule(t_s + duration, _OUTAGE_END, key, 0)
        elif kind == _OUTAGE_END:
            log.info("simulator: device %s back online", key)
            self.devices[key].connect()
            self._schedule_next_outage(key, t_s)
        elif kind == _REPORT and self._reports is not None:
            flooding = self.model.flooding(t_s / 3600.0)
            local = self.model.time_at(t_s).astimezone(self.config.site.tz)
            report = self._reports.make(self._stamp(t_s), local, flooding)
            self.hub.publish(f"report/{report.report_id}", report.payload, qos=1)
            self.stats["reports"] += 1
            self._schedule(t_s + self._reports.gap_s(flooding), _REPORT, "", n + 1)

    def _reading(self, t_s: float, sensor_id: str, tick: int) -> None:
        sensor = self.config.sensor(sensor_id)
        values = self.model.sensor(sensor_id).sample(t_s)  # sampled even when offline: same series
        self._schedule(t_s + sensor.interval_s, _READING, sensor_id, tick + 1)
        link = self.devices[sensor.status_device_id]
        if not link.up:
            return
        ts = _iso(self._stamp(t_s))
        if len(values) == 1:
            payload = {"ts": ts, "value": next(iter(values.values()))}
        else:
            payload = {"ts": ts, "values": values}
        link.publish(f"{self.prefix}/sensor/{sensor_id}/reading", payload, qos=1)
        self.stats["readings"] += 1


def run_simulator(config: Config, host: str | None = None, port: int | None = None, seed: int = 0,
                  time_scale: float = 60.0, duration_s: float | None = None,
                  echo: Callable[[str], None] | None = print, status_every_s: float = 10.0,
                  **options) -> Counter:
    """Run a Simulator until Ctrl+C or `duration_s` wall seconds; return what it sent.

    `echo` gets a status line every `status_every_s` (None: silent). `options` go to
    Simulator (scenario, speaker_speed, device_outages, ...).
    """
    simulator = Simulator(config, host, port, seed=seed, time_scale=time_scale, **options)
    simulator.start()
    if echo is not None:
        echo(tr("Simulator: {site} -> mqtt://{host}:{port}/{prefix}/#, seed {seed}, time x{scale}. Ctrl+C stops.",
                site=config.site.name, host=simulator.host, port=simulator.port, prefix=simulator.prefix,
                seed=seed, scale=f"{time_scale:g}"))
    deadline = None if duration_s is None else time.monotonic() + duration_s
    next_status = time.monotonic() + status_every_s
    try:
        while deadline is None or time.monotonic() < deadline:
            remaining = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
            time.sleep(max(0.0, remaining))
            if echo is not None and time.monotonic() >= next_status:
                echo(simulator.status_line())
                next_status += status_every_s
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
    stats = simulator.stats + simulator.speakers.stats
    if echo is not None:
        echo(tr("Simulator stopped: {readings} readings, {reports} reports, {outages} device outages.",
                readings=stats["readings"], reports=stats["reports"], outages=stats["outages"]))
    return stats


def resumed_clock(path: Path, time_scale: float, now: datetime | None = None) -> dict:
    """``start`` and ``resume_at_s`` for a demo Simulator that goes on where the last run on the
    same data left the river: started again from 0 it would sit calm under the last run's flood,
    and the graphs and trends would show a cliff the river never made. ``path`` keeps the wall
    time of simulated zero; a missing or unreadable file starts a new clock there."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    try:
        origin = datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["origin"])
        if origin.tzinfo is None or origin > now:
            raise ValueError(origin)
    except (OSError, ValueError, KeyError, TypeError):
        origin = now
        try:
            path.write_text(json.dumps({"origin": _iso(origin)}), encoding="utf-8")
        except OSError as exc:
            log.warning("simulator: cannot keep the demo clock in %s (%s): the next start begins calm", path, exc)
    return {"start": origin, "resume_at_s": (now - origin).total_seconds() * time_scale}
