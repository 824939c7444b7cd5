"""The layers hold: cli -> ui -> widgets -> the core, and the core imports no Qt (import-linter).

The repository keeps ui/ and widgets/ beside controlroom/ and installs them as controlroom.ui
and controlroom.widgets; import-linter reads the package from disk, so it lints a copy of the
sources laid out as installed, with the contracts of pyproject.toml.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _installed_layout(target: Path) -> Path:
    package = target / "controlroom"
    copy = shutil.copytree
    copy(ROOT / "controlroom", package, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    copy(ROOT / "ui", package / "ui", ignore=shutil.ignore_patterns("__pycache__"))
    copy(ROOT / "widgets", package / "widgets", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def test_import_linter_contracts_hold(tmp_path):
    tree = _installed_layout(tmp_path)
    lint = Path(sys.executable).with_name("lint-imports")
    env = dict(os.environ, PYTHONPATH=str(tree))
    result = subprocess.run([str(lint), "--config", str(tree / "pyproject.toml"), "--no-cache"], cwd=tree, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "2 kept, 0 broken" in result.stdout
