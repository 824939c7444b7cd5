"""`controlroom serve`: the site's headless service (no Qt), run by systemd, the Windows Task
Scheduler or by hand. Logs to stdout and to a rotating file; stops cleanly on SIGTERM,
Ctrl+C and (Windows) Ctrl+Break or the console window closing."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from controlroom.config import ConfigError, demo_config_path, load_config
from controlroom.i18n import SUPPORTED_LANGUAGES, tr

log = logging.getLogger(__name__)

LOG_NAME = "controlroom-serve.log"


def add_serve_parser(sub) -> None:
    serve = sub.add_parser("serve", help=tr("run the site's service: ingest, alerts, broadcasts and bulletins, headless"),
                           description=tr("run the site's service: ingest, alerts, broadcasts and bulletins, headless"))
    serve.add_argument("--config", metavar="PATH", help=tr("commune configuration file (TOML)"))
    serve.add_argument("--db", metavar="URL", help=tr("database URL (default: SQLite in the data folder)"))
    serve.add_argument("--host", help=tr("MQTT broker host (default: from the configuration)"))
    serve.add_argument("--port", type=int, help=tr("MQTT broker port (default: from the configuration)"))
    serve.add_argument("--lang", choices=SUPPORTED_LANGUAGES, default=None, help=tr("interface language (default: vi)"))
    serve.add_argument("--demo", action="store_true",
                       help=tr("run the bundled demo commune headless: its own broker, the service and the simulator"))
    serve.add_argument("--seed", type=int, default=1, help=tr("random seed of the demo simulator"))
    serve.add_argument("--time-scale", type=float, default=60.0, help=tr("speed of the demo simulator's clock (default: {x})", x=60.0))


def log_to_stdout() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)


def run_serve(args: argparse.Namespace) -> int:
    from controlroom.cli.main import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK

    log_to_stdout()
    try:
        config = load_config(args.config or demo_config_path())
    except ConfigError as exc:
        for message in exc.messages:
            print(message, file=sys.stderr)
        return EXIT_CONFIG
    stop = threading.Event()
    _stop_on_signals(stop)
    parts: list = []  # what was started, stopped in reverse
    try:
        from controlroom.memory_trim import start_memory_trim
        from controlroom.service.heap import settle_after_start
        from controlroom.service.runner import ControlRoomService

        link = {"host": args.host, "port": args.port}
        if args.demo:
            config, link = _demo_broker(config, parts)
        service = ControlRoomService(config, db_url=args.db, feed_options=link, monitor_cameras=not args.demo,
                                     config_path=Path(args.config) if args.config and not args.demo else None)
        service.start()
        parts.append(service)
        if args.demo:
            _demo_field(config, link, args, parts)
        settle_after_start()
        start_memory_trim()
        log.info(tr("Service for {site} running; Ctrl+C stops.", site=config.site.name))
        while not stop.wait(1.0):  # wake now and then: Windows delivers signals only between waits
            pass
        return EXIT_OK
    except Exception as exc:  # one line for whoever started it, details in the log
        log.exception("the service failed")
        print(tr("The service could not start: {reason}", reason=str(exc).splitlines()[0] if str(exc) else type(exc).__name__),
              file=sys.stderr)
        return EXIT_FAILURE
    finally:
        for part in reversed(parts):
            try:
                part.stop()
            except Exception:  # keep stopping the rest
                log.exception("stopping %s failed", type(part).__name__)


def _demo_broker(config, parts: list):
    """The demo's private broker (its data in the demo folder) and the demo's synthetic cameras."""
    from controlroom.cameras.stream_urls import with_demo_streams
    from controlroom.feeds.broker import ensure_broker
    from controlroom.paths import data_dir
    from controlroom.service import demo

    demo.stop_orphan_broker()
    workdir = data_dir() / "broker"
    workdir.mkdir(parents=True, exist_ok=True)
    broker = ensure_broker(config, demo=True, workdir=workdir, private=True)
    parts.append(broker)
    return with_demo_streams(config), broker.feed_options()


def _demo_field(config, link: dict, args, parts: list) -> None:
    """The simulator stands in for the commune's devices; the state file lets consoles attach.
    (The demo's cameras are watched by the consoles that show them: decoding 41 streams twice
    on one PC costs more than it tells.)"""
    from controlroom.feeds.broker import BrokerHandle
    from controlroom.service import demo
    from controlroom.sim.simulator import Simulator

    simulator = Simulator(config, seed=args.seed, time_scale=args.time_scale, timestamps="wall",
                          **demo.simulator_clock(args.time_scale), **link)
    simulator.start()
    parts.append(simulator)
    broker_pid = next((p.pid for p in parts if isinstance(p, BrokerHandle)), None)
    demo.write_state(link, broker_pid=broker_pid)  # a killed service's broker is stopped by the next one
    parts.append(_StateFile())


class _StateFile:
    def stop(self) -> None:
        from controlroom.service import demo

        demo.clear_state()


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum, _frame) -> None:
        log.info("signal %s: stopping", signum)
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    if hasattr(signal, "SIGBREAK"):  # Windows: Ctrl+Break, and the console window closing
        signal.signal(signal.SIGBREAK, handler)
