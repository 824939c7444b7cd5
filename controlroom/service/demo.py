"""Finding the site's service, and the bundled demo as a service.

`service_answers` tells whether a site's service is up on a broker (any console asks it at
start, to attach). The bundled demo as a service: `controlroom serve --demo` runs the demo commune headless (a
private broker, the service with every duty, the simulator standing in for the field), and
`controlroom --demo` attaches to it, or starts it as a child process when none runs.

The running demo service leaves ``demo-service.json`` in the demo's data folder: its process
id and how to reach its broker (a private broker's port and login change at every start).
A console trusts the file only if that service's retained presence on that broker says
"online" with a fresh health report; a file left by a killed service is ignored.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from controlroom.config import Config
from controlroom.paths import data_dir
from controlroom.service.watch import ServiceWatch

log = logging.getLogger(__name__)

STATE_FILE = "demo-service.json"
SIMULATOR_CLOCK_FILE = "demo-simulator-clock.json"
PROBE_TIMEOUT_S = 3.0
RETAINED_GRACE_S = 0.5
CHILD_START_TIMEOUT_S = 90.0  # a cold start on a slow PC: imports, migration, broker, 41 cameras' config
CHILD_STOP_TIMEOUT_S = 20.0


def state_file() -> Path:
    return data_dir() / STATE_FILE


def simulator_clock(time_scale: float) -> dict:
    """The demo simulator's clock on this data dir: it resumes where the last demo left the river
    (controlroom.sim.simulator.resumed_clock)."""
    from controlroom.sim.simulator import resumed_clock

    return resumed_clock(data_dir() / SIMULATOR_CLOCK_FILE, time_scale)


def write_state(link: dict, broker_pid: int | None = None) -> None:
    state = {"pid": os.getpid(), "link": link, "broker_pid": broker_pid}
    state_file().write_text(json.dumps(state), encoding="utf-8")


def stop_orphan_broker() -> None:
    """A demo service killed outright (SIGKILL, a crash) leaves its private Mosquitto running:
    stop it if the state file names it, its service is gone, and it is still a Mosquitto.
    (Linux: read from /proc; elsewhere it is left, and logged.)"""
    try:
        state = json.loads(state_file().read_text(encoding="utf-8"))
        service_pid, broker_pid = int(state["pid"]), state.get("broker_pid")
    except (OSError, ValueError, KeyError, TypeError):
        return
    if not broker_pid or _alive(service_pid):
        return
    try:
        command = Path(f"/proc/{int(broker_pid)}/cmdline").read_bytes()
    except OSError:
        if sys.platform != "linux":
            log.warning("a demo broker (pid %s) may be left from a service that stopped abruptly", broker_pid)
        return
    if b"mosquitto" not in command:
        return  # the pid was reused by something else
    log.warning("stopping the demo broker (pid %s) left by a service that stopped abruptly", broker_pid)
    try:
        os.kill(int(broker_pid), signal.SIGTERM)
    except OSError as exc:
        log.warning("could not stop it: %s", exc)


def _alive(pid: int) -> bool:
    if sys.platform == "win32":
        return True  # not checked there: never stop a broker that may be in use
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clear_state() -> None:
    try:
        state_file().unlink()
    except FileNotFoundError:
        pass


def service_answers(config: Config, link: dict, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """True if the site's service says "online" on this broker and its last health report is
    fresh (a retained "online" alone may be a service killed moments ago)."""
    watch_topics: dict[str, object] = {}

    class _Topics:  # what ServiceWatch subscribes through
        def subscribe_extra(self, suffix, callback):
            watch_topics[f"{config.topic_prefix}/{suffix}"] = callback

    watch = ServiceWatch(_Topics())
    heard, subscribed = threading.Event(), threading.Event()
    v5 = link.get("protocol", "v5") == "v5"
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311)
    if link.get("username"):
        client.username_pw_set(link["username"], link.get("password"))

    def on_connect(c, _userdata, _flags, reason_code, _properties) -> None:
        if not reason_code.is_failure:
            c.subscribe([(topic, 1) for topic in watch_topics])

    def on_subscribe(*_args) -> None:
        subscribed.set()

    def on_message(_c, _userdata, message) -> None:
        callback = watch_topics.get(message.topic)
        if callback is not None:
            callback(message.topic, message.payload)
            status = watch.status
            if status.presence == "online" and not status.silent(datetime.now(timezone.utc)):
                heard.set()

    client.on_connect, client.on_message, client.on_subscribe = on_connect, on_message, on_subscribe
    try:
        client.connect(link.get("host") or config.mqtt.host, int(link.get("port") or config.mqtt.port), keepalive=10)
    except OSError:
        return False
    client.loop_start()
    try:
        if subscribed.wait(timeout) and not heard.is_set():
            heard.wait(RETAINED_GRACE_S)  # retained messages follow the subscription at once
        return heard.is_set()
    finally:
        client.disconnect()
        client.loop_stop()


def running_demo_service(config: Config) -> dict | None:
    """The broker link of a demo service that answers, or None."""
    try:
        state = json.loads(state_file().read_text(encoding="utf-8"))
        link = dict(state["link"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return link if service_answers(config, link) else None


@dataclass
class ServiceChild:
    """A demo service this console started; stopped (cleanly) with the console."""

    process: subprocess.Popen
    link: dict

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        if sys.platform == "win32":  # its own process group: Ctrl+Break reaches only the child
            self.process.send_signal(signal.CTRL_BREAK_EVENT)
        else:
            self.process.terminate()  # SIGTERM: the service stops cleanly
        try:
            self.process.wait(CHILD_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log.error("the demo service did not stop within %.0f s; killing it", CHILD_STOP_TIMEOUT_S)
            self.process.kill()
            self.process.wait(5)


def start_demo_child(config: Config, *, seed: int, time_scale: float, lang: str, db_url: str | None) -> ServiceChild:
    """Start `controlroom serve --demo` and wait until it answers; RuntimeError if it does not."""
    stop_orphan_broker()
    clear_state()  # whatever is there belongs to a service that did not answer
    command = [sys.executable, "-m", "controlroom.cli", "--lang", lang, "serve", "--demo", "--seed", str(seed),
               "--time-scale", str(time_scale)]
    if db_url:
        command += ["--db", db_url]
    options: dict = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "stdin": subprocess.DEVNULL}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW
    process = subprocess.Popen(command, **options)
    deadline = time.monotonic() + CHILD_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the demo service stopped at start (exit code {process.returncode}); "
                               f"see {data_dir() / 'controlroom-serve.log'}")
        link = running_demo_service(config)
        if link is not None:
            log.info("started the demo service (pid %d)", process.pid)
            return ServiceChild(process, link)
        time.sleep(0.3)
    ServiceChild(process, {}).stop()
    raise RuntimeError(f"the demo service did not answer within {CHILD_START_TIMEOUT_S:.0f} s; "
                       f"see {data_dir() / 'controlroom-serve.log'}")
