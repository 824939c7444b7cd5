"""Screenshots of every main screen of the demo console, to be looked at before a release.

Runs the real `controlroom --demo --screenshot` under Xvfb for each screen size, language and
state: the console as its duty officer sees it, signed out, locked, flood mode, and each page of the
presentation cycle (camera wall, sensors, map, graphs). One run at a time (each starts its own
demo service and broker). Writes `<out>/<width>x<height>-<lang>-<state>.png` and prints one
line per picture with its path, or why it failed. Needs `xvfb-run` (Debian's xvfb).

    .venv/bin/python tools/screens.py [--out screens] [--sizes 1920x1080,3840x2160] [--langs vi,en] [--states ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

STATES = {  # state -> CONTROLROOM_START_MODE (duty_officer: the demo's officer on duty signed in)
    "main": "duty_officer",
    "signed_out": "signed_out",
    "locked": "locked",
    "flood": "duty_officer,flood",
    "presentation-camera_wall": "duty_officer,presentation:camera_wall",
    "presentation-sensors": "duty_officer,presentation:sensors",
    "presentation-map": "duty_officer,presentation:map",
    "presentation-graphs": "duty_officer,presentation:graphs",
}


def take(out: Path, size: str, lang: str, state: str, timeout_s: float) -> str:
    """One screenshot; returns its path or the reason it failed."""
    target = out / f"{size}-{lang}-{state}.png"
    command = ["xvfb-run", "-a", "-s", f"-screen 0 {size}x24",
               str(Path(sys.executable).with_name("controlroom")), "--demo", "--lang", lang, "--screenshot", str(target)]
    env = dict(os.environ, CONTROLROOM_START_MODE=STATES[state])
    env.pop("QT_QPA_PLATFORM", None)  # a real X screen, so the windows have the screen's size
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return f"FAILED {target.name}: no picture in {timeout_s:.0f} s"
    if done.returncode != 0 or not target.exists():
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        return f"FAILED {target.name}: exit {done.returncode}: {tail}"
    return str(target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screens"))
    parser.add_argument("--sizes", default="1920x1080,3840x2160")
    parser.add_argument("--langs", default="vi,en")
    parser.add_argument("--states", default=",".join(STATES), help="any of: " + ", ".join(STATES))
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds per picture")
    args = parser.parse_args()
    if shutil.which("xvfb-run") is None:
        print("xvfb-run is missing: apt-get install xvfb xauth", file=sys.stderr)
        return 2
    unknown = [s for s in args.states.split(",") if s not in STATES]
    if unknown:
        print(f"unknown states: {', '.join(unknown)}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for size in args.sizes.split(","):
        for lang in args.langs.split(","):
            for state in args.states.split(","):
                line = take(args.out, size, lang, state, args.timeout)
                failed += line.startswith("FAILED")
                print(line, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
