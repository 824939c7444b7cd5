"""The `controlroom` command: start the console, or run the demo simulator on its own.

This module imports no Qt at module level: the GUI is imported lazily in the GUI branch, so
`controlroom --help`, `controlroom simulate` and config checks run without a display.
Startup problems reach the operator as one line (in the UI language) on stderr; a broken
config prints one line per problem and exits 2; the details of any other failure go to the
log file in the data dir, never a traceback on the terminal.
"""

from __future__ import annotations

import argparse
import logging
import os
import logging.handlers
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from controlroom.cli.serve import LOG_NAME as SERVE_LOG
from controlroom.config import Config, ConfigError, demo_config_path, load_config
from controlroom.i18n import SUPPORTED_LANGUAGES, set_language, tr
from controlroom.memory_trim import start_memory_trim
from controlroom.paths import data_dir

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2
DEFAULT_SCREENSHOT_DELAY_S = 6.0
DEFAULT_TIME_SCALE = 60.0  # one simulated minute per second: a flood plays out in minutes


def log_file(name: str = "controlroom.log") -> Path:
    return data_dir() / name


def _setup_logging(name: str = "controlroom.log") -> None:
    """Everything goes to a rotating log file in the data dir; only warnings from our own
    code reach the terminal, the operator sees one-line messages instead."""
    root = logging.getLogger()
    if any(getattr(h, "_controlroom", False) for h in root.handlers):
        return
    handler = logging.handlers.RotatingFileHandler(log_file(name), maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    handler._controlroom = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for noisy in ("amqtt", "transitions", "rumqttd", "sqlalchemy", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _early_language(argv: list[str]) -> str:
    """--lang must be known before the parser is built, because the help text is translated."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--lang="):
            value = arg.partition("=")[2]
        else:
            continue
        if value in SUPPORTED_LANGUAGES:
            return value
    return "vi"


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's own words ("usage:") in the UI language too."""

    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, tr("usage: ") if prefix is None else prefix)


def _argparse_words(message: str) -> str:
    """argparse's own messages (it asks gettext for them) in the operator's language."""
    words = {
        "the following arguments are required: %s": tr("the following arguments are required: %s"),
        "unrecognized arguments: %s": tr("unrecognized arguments: %s"),
        "expected one argument": tr("expected one argument"),
        "argument %(argument_name)s: %(message)s": tr("argument %(argument_name)s: %(message)s"),
        "invalid choice: %(value)r (choose from %(choices)s)": tr("invalid choice: %(value)r (choose from %(choices)s)"),
        "invalid %(type)s value: %(value)r": tr("invalid %(type)s value: %(value)r"),
        "usage: ": tr("usage: "),
    }
    return words.get(message, message)


argparse._ = _argparse_words  # argparse looks its words up through this name at each use


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._optionals.title = tr("options")
        self._positionals.title = tr("commands")
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help=tr("show this help and exit"))

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_CONFIG, tr("{prog}: error: {message}", prog=self.prog, message=message) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="controlroom",
        description=tr("Commune control room: cameras, sensors, map, alerts and loudspeakers."),
    )
    parser.add_argument("--demo", action="store_true", help=tr("run the bundled demo commune with its own broker and simulator"))
    parser.add_argument("--config", metavar="PATH", help=tr("commune configuration file (TOML)"))
    parser.add_argument("--db", metavar="URL", help=tr("database URL (default: SQLite in the data folder)"))
    parser.add_argument("--lang", choices=SUPPORTED_LANGUAGES, default="vi", help=tr("interface language (default: vi)"))
    parser.add_argument("--screenshot", metavar="PATH", help=tr("save a screenshot of the main window to PATH and quit"))
    parser.add_argument(
        "--screenshot-delay",
        metavar="S",
        type=float,
        default=None,
        help=tr("seconds the window is shown before the screenshot, which also waits for the first readings (default: {s})", s=DEFAULT_SCREENSHOT_DELAY_S),
    )
    parser.add_argument("--seed", type=int, default=1, help=tr("random seed of the demo simulator"))
    parser.add_argument("--time-scale", type=float, default=DEFAULT_TIME_SCALE, help=tr("speed of the demo simulator's clock (default: {x})", x=DEFAULT_TIME_SCALE))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sim = sub.add_parser("simulate", help=tr("publish the demo feeds over MQTT"), description=tr("publish the demo feeds over MQTT"))
    sim.add_argument("--config", metavar="PATH", help=tr("commune configuration file (TOML)"))
    sim.add_argument("--host", help=tr("MQTT broker host (default: from the configuration)"))
    sim.add_argument("--port", type=int, help=tr("MQTT broker port (default: from the configuration)"))
    sim.add_argument("--seed", type=int, default=1, help=tr("random seed of the demo simulator"))
    sim.add_argument("--time-scale", type=float, default=DEFAULT_TIME_SCALE, help=tr("speed of the demo simulator's clock (default: {x})", x=DEFAULT_TIME_SCALE))
    sim.add_argument("--duration", type=float, metavar="S", help=tr("stop after S seconds (default: run until Ctrl+C)"))
    sim.add_argument("--lang", choices=SUPPORTED_LANGUAGES, default=None, help=tr("interface language (default: vi)"))
    from controlroom.cli.map import add_map_parser  # `controlroom map prefetch|import` (no Qt)

    add_map_parser(sub)
    from controlroom.cli.audit import add_audit_parser  # `controlroom audit verify`

    add_audit_parser(sub)
    from controlroom.cli.operators import add_operators_parser  # `controlroom operators add|list`

    add_operators_parser(sub)
    from controlroom.cli.evidence import add_evidence_parser  # `controlroom evidence verify|export-key`

    add_evidence_parser(sub)
    from controlroom.cli.serve import add_serve_parser  # `controlroom serve` (headless)

    add_serve_parser(sub)
    return parser


@dataclass
class Backend:
    """Everything one console runs besides the GUI, started and stopped in a safe order:
    (demo) broker -> core -> (demo) simulator, and stopped in reverse so the core flushes
    what the simulator sent before the broker goes away."""

    config: Config
    db_url: str | None = None
    demo: bool = False
    config_path: Path | None = None  # the commune's own file (None: the bundled demo, read-only)
    seed: int = 1
    time_scale: float = 60.0

    lang: str = "vi"

    def __post_init__(self) -> None:
        self.broker = None
        self.core = None
        self.simulator = None
        self.service_child = None  # the demo service this console started (stopped with it)
        self.demo_service_link: dict | None = None  # how to reach the demo service's broker, once attached
        self.broker_host: str = self.config.mqtt.host
        self.broker_port: int = self.config.mqtt.port

    def prepare(self) -> None:
        """Ensure a broker (demo only) and build the core without starting it, so the GUI can
        subscribe to the core's bus before the first message arrives."""
        from controlroom.core import ControlRoomCore

        if self.demo and self.config_path is None:
            self._attach_to_demo_service()
            self.core = ControlRoomCore(self.config, db_url=self.db_url, feed_options=self.demo_service_link,
                                        attached=True)
            return
        if self.demo:
            self._prepare_demo()
        from controlroom.service.demo import service_answers

        attached = service_answers(self.config, self._link_options())  # else this console runs the duties
        log.info("the site's service %s", "answers: attached to it" if attached else "does not answer: running the duties here")
        self.core = ControlRoomCore(self.config, db_url=self.db_url, feed_options=self._link_options(),
                                    attached=attached)

    def _attach_to_demo_service(self) -> None:
        """The bundled demo's duties run in `controlroom serve --demo`: attach to a running one
        (left running on exit), else start one as a child (stopped on exit)."""
        from controlroom.cameras.stream_urls import with_demo_streams
        from controlroom.service import demo

        os.environ.setdefault("CONTROLROOM_TILE_URL", "off")
        self.config = with_demo_streams(self.config)
        link = demo.running_demo_service(self.config)
        if link is None:
            self.service_child = demo.start_demo_child(self.config, seed=self.seed, time_scale=self.time_scale,
                                                       lang=self.lang, db_url=self.db_url)
            link = self.service_child.link
            log.info("attached to the demo service this console started")
        else:
            log.info("attached to a running demo service")
        self.demo_service_link = link
        self.broker_host, self.broker_port = link["host"], link["port"]

    def _prepare_demo(self) -> None:
        """The demo needs nothing beyond this PC: synthetic cameras instead of the config's
        addresses, the basemap from the tile cache only (unless CONTROLROOM_TILE_URL names a
        server), and a broker of its own (for the bundled demo always; for a commune's own file
        when the configured one does not answer)."""
        from controlroom.feeds.broker import ensure_broker
        from controlroom.cameras.stream_urls import with_demo_streams

        self.config = with_demo_streams(self.config)
        os.environ.setdefault("CONTROLROOM_TILE_URL", "off")
        workdir = data_dir() / "broker"
        workdir.mkdir(parents=True, exist_ok=True)
        # the bundled demo always runs a broker of its own: its retained alerts and statuses must
        # never land on a real broker on this PC; a demo of a commune's own file uses that file's
        self.broker = ensure_broker(self.config, demo=True, workdir=workdir, private=self.config_path is None)
        self.broker_host, self.broker_port = self.broker.host, self.broker.port
        log.info("broker: %s", self.broker.description)

    def _link_options(self) -> dict:
        """How to reach the broker: a broker we started may speak only MQTT 3.1.1 with a login
        (embedded amqtt), so its handle's options win over the configured host and port."""
        if self.broker is not None and self.broker.kind != "configured":
            return self.broker.feed_options()
        return {"host": self.broker_host, "port": self.broker_port}

    def start(self) -> None:
        if self.core is None:
            self.prepare()
        self.core.start()
        if self.demo and self.core.commands is None:  # an attached demo's field is the service's
            from controlroom.service.demo import simulator_clock
            from controlroom.sim.simulator import Simulator

            self.simulator = Simulator(self.config, seed=self.seed, time_scale=self.time_scale, timestamps="wall",
                                       **simulator_clock(self.time_scale), **self._link_options())
            self.simulator.start()

    def stop(self) -> None:
        """Stop in reverse order; one part failing to stop does not keep the others running."""
        started = time.monotonic()
        for name, part in (("simulator", self.simulator), ("core", self.core), ("broker", self.broker),
                           ("demo service", self.service_child)):
            if part is None:
                continue
            try:
                part.stop()
            except Exception:  # keep stopping the rest; the log says what failed
                log.exception("stopping the %s failed", name)
        self.simulator = None
        self.broker = None
        self.service_child = None
        log.info("backend stopped in %.2f s", time.monotonic() - started)


def _load(path: str | None, demo: bool) -> Config:
    """The config named on the command line, else the bundled demo commune."""
    return load_config(path if path else demo_config_path())


def _print_config_error(error: ConfigError) -> int:
    for message in error.messages:
        print(message, file=sys.stderr)
    return EXIT_CONFIG


def _startup_failed(exc: BaseException) -> int:
    log.error("startup failed", exc_info=exc)
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    print(tr("The control room could not start: {reason} (details in {log})", reason=reason, log=str(log_file())), file=sys.stderr)
    return EXIT_FAILURE


EXIT_RECONNECT = 75  # the console asks to be started again (ui/shell/service_banner.py)


def run_gui(args: argparse.Namespace) -> int:
    try:
        config = _load(args.config, args.demo)
    except ConfigError as exc:
        return _print_config_error(exc)
    backend = Backend(config, db_url=args.db, demo=args.demo, seed=args.seed, time_scale=args.time_scale,
                      config_path=Path(args.config) if args.config else None, lang=args.lang)
    try:
        backend.prepare()
        start_memory_trim()  # a console runs for days: what its threads free goes back to the system
        from controlroom.ui.shell.app import run_app  # Qt is imported only here

        code = run_app(backend, screenshot=args.screenshot, screenshot_delay=args.screenshot_delay)
    except Exception as exc:  # any startup failure: one line for the operator, details to the log
        return _startup_failed(exc)
    finally:
        backend.stop()
        lingering = [t.name for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive()]
        log.info("exiting; threads still alive: %s", ", ".join(lingering) or "none")
    if code == EXIT_RECONNECT:  # the operator asked to connect to the service that came up meanwhile
        log.info("starting again to attach to the site's service")
        logging.shutdown()
        os.execv(sys.executable, [sys.executable, "-m", "controlroom.cli", *sys.argv[1:]])
    return code


def run_simulator(args: argparse.Namespace) -> int:
    try:
        config = _load(args.config, demo=True)
    except ConfigError as exc:
        return _print_config_error(exc)
    host = args.host or config.mqtt.host
    port = args.port or config.mqtt.port
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    simulator = None
    try:
        from controlroom.sim.simulator import Simulator

        simulator = Simulator(config, host, port, seed=args.seed, time_scale=args.time_scale, timestamps="wall")
        simulator.start()
        print(tr("Simulating {site} on {host}:{port}; Ctrl+C stops.", site=config.site.name, host=host, port=port), file=sys.stderr)
        stop.wait(args.duration)
        return EXIT_OK
    except Exception as exc:
        return _startup_failed(exc)
    finally:
        if simulator is not None:
            simulator.stop()
        signal.signal(signal.SIGINT, previous)


DEMO_FOLDER = "demo"


def _keep_the_demo_apart() -> None:
    """The bundled demo keeps its database, accounts, media and log in a folder of its own
    (and runs its own broker, see Backend), so it never mixes with a real commune's data on
    the same PC."""
    if data_dir().name != DEMO_FOLDER:  # the demo service a demo console starts inherits the folder
        os.environ["CONTROLROOM_DATA_DIR"] = str(data_dir() / DEMO_FOLDER)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    set_language(_early_language(argv))
    args = build_parser().parse_args(argv)
    if getattr(args, "lang", None):
        set_language(args.lang)
    if args.demo and not args.config and args.command in (None, "serve"):
        _keep_the_demo_apart()
    try:
        _setup_logging(SERVE_LOG if args.command == "serve" else "controlroom.log")
    except OSError as exc:  # read-only data dir: run without a log file rather than not at all
        print(tr("Cannot write the log file: {reason}", reason=str(exc)), file=sys.stderr)
    if args.command == "simulate":
        return run_simulator(args)
    if args.command == "serve":
        from controlroom.cli.serve import run_serve

        return run_serve(args)
    if args.command == "map":
        from controlroom.cli.map import run_map_command

        return run_map_command(args)
    if args.command == "audit":
        from controlroom.cli.audit import run_audit_command

        return run_audit_command(args)
    if args.command == "evidence":
        from controlroom.cli.evidence import run_evidence_command

        return run_evidence_command(args)
    if args.command == "operators":
        from controlroom.cli.operators import run_operators_command

        return run_operators_command(args)
    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
