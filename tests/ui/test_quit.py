"""The console quits on SIGTERM (a service manager, a shutdown) even with the sign-in dialog up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(180)


def test_sigterm_quits_the_demo_console_with_the_sign_in_dialog_open(tmp_path):
    data = tmp_path / "data"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONTROLROOM_DATA_DIR=str(data),
               CONTROLROOM_CAMERA_SOURCE="synthetic")
    app = subprocess.Popen([sys.executable, "-m", "controlroom.cli.main", "--demo", "--db", f"sqlite:///{tmp_path / 'q.db'}"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = data / "demo" / "controlroom.log"  # the bundled demo keeps to its own folder
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "screens:" not in _read(log):  # the window is up
            assert app.poll() is None, app.stderr.read()[-2000:]
            time.sleep(0.5)
        assert "screens:" in _read(log), "the console did not come up"
        app.send_signal(signal.SIGTERM)
        code = app.wait(timeout=60)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert code == 0
    assert "backend stopped" in _read(log)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""
