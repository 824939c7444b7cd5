"""Find or start the MQTT broker the console talks to.

Production always uses the configured broker (Mosquitto with ``resources/mosquitto/
controlroom.conf``). For a demo on a PC without one, ``ensure_broker`` starts a private broker
bound to 127.0.0.1 on a free port: Mosquitto if its binary is installed (with the project's
config: persistence on, no queue limit), else amqtt, an embedded pure-Python broker that
speaks MQTT 3.1.1 only and queues for persistent sessions only for clients that log in — so
its handle tells the feed to use ``protocol="v311"`` and a username (``feed_options()``).
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable

from controlroom.config import Config
from controlroom.i18n import tr

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 1.5
START_TIMEOUT_S = 15.0
_WINDOWS_MOSQUITTO = Path(os.environ.get("PROGRAMFILES", r"C:\Program Files")) / "mosquitto" / "mosquitto.exe"
# settings of the shipped config that a private demo broker replaces with its own
_PRIVATE_OVERRIDES = (
    "listener", "allow_anonymous", "password_file", "acl_file", "persistence_location",
    "log_dest", "log_type", "cafile", "certfile", "keyfile", "require_certificate", "include_dir",
    "pid_file", "user",
)


@dataclass
class BrokerHandle:
    """Where the broker is, what it is, and how to stop it if we started it."""

    host: str
    port: int
    kind: str  # "configured" | "mosquitto" | "embedded"
    description: str
    protocol: str = "v5"  # the MQTT version the feed must speak to it
    username: str | None = None
    password: str | None = None
    tls: bool | None = None  # None: as configured; False for a private loopback broker
    pid: int | None = None  # the Mosquitto process this handle started
    _stop: Callable[[], None] | None = field(default=None, repr=False)

    def feed_options(self) -> dict:
        """Keyword arguments for MqttFeed(config, bus, **handle.feed_options())."""
        return {
            "host": self.host, "port": self.port, "protocol": self.protocol,
            "username": self.username, "password": self.password, "tls": self.tls,
        }

    def stop(self) -> None:
        """Stop the broker if this handle started it (a configured broker is left alone)."""
        if self._stop is not None:
            stop, self._stop = self._stop, None
            stop()


def broker_answers(host: str, port: int, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """True if something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, alive: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if broker_answers("127.0.0.1", port, timeout=0.5):
            return True
        if not alive():
            return False
        time.sleep(0.05)
    return False


def mosquitto_binary() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    if sys.platform == "win32" and _WINDOWS_MOSQUITTO.exists():
        return str(_WINDOWS_MOSQUITTO)
    return None


def shipped_mosquitto_conf() -> str:
    """The production broker config the project ships (resources/mosquitto/controlroom.conf)."""
    return resources.files("controlroom.resources").joinpath("mosquitto", "controlroom.conf").read_text(encoding="utf-8")


def private_mosquitto_conf(port: int, persistence_dir: Path) -> str:
    """The shipped config, bound to loopback on `port` with its own persistence folder."""
    kept = [
        line for line in shipped_mosquitto_conf().splitlines()
        if line.split(" ", 1)[0].strip() not in _PRIVATE_OVERRIDES
    ]
    kept += [
        "",
        "# private demo broker (written by controlroom.feeds.broker)",
        f"listener {port} 127.0.0.1",
        # started as root, Mosquitto drops to the "mosquitto" user, which cannot write our
        # persistence folder: naming the current user keeps it (ignored when not root)
        *([f"user {getpass.getuser()}"] if os.name == "posix" else []),
        "allow_anonymous true",
        f"persistence_location {persistence_dir.as_posix()}/",
        "log_dest none",
    ]
    return "\n".join(kept) + "\n"


def _start_mosquitto(binary: str, workdir: Path) -> BrokerHandle | None:
    port = _free_loopback_port()
    folder = workdir / "mosquitto"
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "mosquitto.conf"
    conf.write_text(private_mosquitto_conf(port, folder), encoding="utf-8")
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not _wait_for_port(port, lambda: proc.poll() is None):
        log.warning("private mosquitto did not start (exit code %s)", proc.poll())
        _stop_process(proc)
        return None

    return BrokerHandle(
        "127.0.0.1", port, "mosquitto",
        tr("private Mosquitto broker on 127.0.0.1:{port} (demo)", port=port),
        tls=False, pid=proc.pid, _stop=lambda: _stop_process(proc),
    )


def _stop_process(proc: subprocess.Popen) -> None:
    """SIGTERM (Mosquitto then saves its persistence file), SIGKILL only if it hangs."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


class EmbeddedBroker:
    """amqtt running on its own asyncio loop in a named thread, bound to 127.0.0.1."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._broker = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="embedded-mqtt-broker", daemon=True)

    def _config(self) -> dict:
        return {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
            # anonymous off: amqtt queues for offline persistent sessions only for logged-in clients
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": False}},
        }

    def _run(self) -> None:
        from amqtt.broker import Broker  # optional at run time: only the demo fallback needs it

        asyncio.set_event_loop(self._loop)
        try:
            self._broker = Broker(self._config(), loop=self._loop)
            self._loop.run_until_complete(self._broker.start())
        except Exception as exc:  # reported to start() and logged; the thread ends
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    def start(self) -> None:
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)  # amqtt logs every packet at INFO
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S) or self._error is not None:
            raise RuntimeError(f"embedded broker did not start: {self._error}")

    def stop(self) -> None:
        if self._broker is not None and self._loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
            try:
                future.result(timeout=10)
            except Exception as exc:  # shutting down anyway; say why it was not clean
                log.warning("embedded broker shutdown: %s", exc)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


def _start_embedded() -> BrokerHandle:
    broker = EmbeddedBroker(_free_loopback_port())
    broker.start()
    return BrokerHandle(
        "127.0.0.1", broker.port, "embedded",
        tr("embedded MQTT broker on 127.0.0.1:{port} (demo, MQTT 3.1.1, nothing survives a restart)", port=broker.port),
        protocol="v311", username="controlroom", password=secrets.token_urlsafe(12),
        tls=False, _stop=broker.stop,
    )


def ensure_broker(config: Config, demo: bool, workdir: Path, private: bool = False) -> BrokerHandle:
    """Use the configured broker if it answers; for a demo, start a private one otherwise
    (`private`: always, whether the configured one answers or not).

    Without `demo` the configured broker is returned even when it is down: the feed keeps
    retrying and the status bar says so."""
    host, port = config.mqtt.host, config.mqtt.port
    if not (demo and private) and broker_answers(host, port):
        return BrokerHandle(host, port, "configured", tr("broker {host}:{port}", host=host, port=port))
    if not demo:
        return BrokerHandle(
            host, port, "configured", tr("broker {host}:{port} (not answering yet)", host=host, port=port)
        )
    binary = mosquitto_binary()
    if binary is not None:
        handle = _start_mosquitto(binary, Path(workdir))
        if handle is not None:
            log.info("%s; started %s", _why(private, host, port), handle.description)
            return handle
    handle = _start_embedded()
    log.info("%s; started %s", _why(private, host, port), handle.description)
    return handle


def _why(private: bool, host: str, port: int) -> str:
    return "the bundled demo runs its own broker" if private else f"configured broker {host}:{port} not answering"
