"""A non-editable install carries its data and claims only the `controlroom` import name."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _build_wheel(out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("controlroom-*.whl"))


def test_wheel_installs_under_one_name_with_its_data(tmp_path):
    wheel = _build_wheel(tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert top_level == {"controlroom"}
    for required in (
        "controlroom/sites/quangtho.toml",
        "controlroom/sites/quangtho-layers/song-bo.geojson",  # the demo's map layers, next to its config
        "controlroom/ui/__init__.py",
        "controlroom/widgets/__init__.py",
        "controlroom/resources/i18n/vi/config.toml",
        "controlroom/storage/migrations/env.py",
    ):
        assert required in names, required

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import controlroom, controlroom.ui, controlroom.widgets;"
        "from controlroom.config import load_config, demo_config_path;"
        "c = load_config(demo_config_path());"
        "print(controlroom.__file__); print(len(c.cameras))"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]]))
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    installed_file, cameras = result.stdout.split()
    assert installed_file.startswith(str(target))
    assert cameras == "41"
    for generic in ("ui", "widgets", "config"):
        assert not (target / generic).exists()
