"""The second commune with vendor-bought devices (vendor_devices.toml added to
tests/sites/lagoon_commune.toml) and the corpus of vendors' payloads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controlroom.config import load_config

HERE = Path(__file__).parent
SITES = HERE.parent / "sites"
CORPUS = HERE / "corpus"


def vendor_config(tmp_path: Path, station_folder: Path | None = None, extra: str = ""):
    folder = station_folder or tmp_path / "station_drop"
    text = (SITES / "lagoon_commune.toml").read_text(encoding="utf-8") + "\n"
    text += (HERE / "vendor_devices.toml").read_text(encoding="utf-8").replace("STATION_FOLDER", folder.as_posix())
    text += "\n" + extra
    path = tmp_path / "vendor_commune.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


@pytest.fixture
def vendor_commune(tmp_path):
    return vendor_config(tmp_path)


def corpus(name: str) -> list[dict]:
    return json.loads((CORPUS / f"{name}.json").read_text(encoding="utf-8"))["cases"]


def payload_bytes(case: dict) -> bytes:
    if "payload_text" in case:
        return case["payload_text"].encode("utf-8")
    return json.dumps(case["payload"]).encode("utf-8")
