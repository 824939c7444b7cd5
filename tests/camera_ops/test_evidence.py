"""Evidence exports: burned-in files, a signed manifest, `controlroom evidence verify`."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import select

from controlroom.cameras.evidence import EvidenceRequest, export_package, verify_package
from controlroom.access.operators import Operator, PermissionDenied, Role
from controlroom.storage.models import audit_log

CONSOLE_SCRIPT = str(Path(sys.executable).with_name("controlroom"))
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICER = Operator("trucban", "Nguyễn Văn An", Role.DUTY_OFFICER)


def picture(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (360, 640, 3), dtype=np.uint8)


def make_request(operator=OFFICER) -> EvidenceRequest:
    now = datetime.now(timezone.utc)
    return EvidenceRequest("cam01", "Cầu Phước Yên", operator, "Công an xã yêu cầu (công văn 12/CA)",
                           snapshot=picture(1), snapshot_utc=now,
                           clip_frames=[(now - timedelta(seconds=1 - i / 8), picture(i)) for i in range(8)])


def verify_cli(path: Path, env_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CONSOLE_SCRIPT, "--lang", "en", "evidence", "verify", str(path)], capture_output=True, text=True,
                          timeout=120, env={**__import__("os").environ, "CONTROLROOM_DATA_DIR": str(env_dir)})


def test_verify_passes_on_export_and_names_the_file_after_one_byte_changes(tmp_path, data_dir, audit, engine):
    package = export_package(make_request(), tmp_path / "out", TZ, "quangtho", data_dir, audit)
    assert package.files == ["snapshot.png", "clip.mp4"]
    manifest = json.loads((package.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["exported_by"] == "trucban" and "12/CA" in manifest["reason"]
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"])
    assert verify_package(package.folder).ok
    ok = verify_cli(package.folder, data_dir)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("OK")

    clip = package.folder / "clip.mp4"
    data = bytearray(clip.read_bytes())
    data[len(data) // 2] ^= 0x01
    clip.write_bytes(bytes(data))
    bad = verify_cli(package.folder, data_dir)
    assert bad.returncode == 1
    assert "clip.mp4" in bad.stdout and "snapshot.png" not in bad.stdout
    assert "Traceback" not in bad.stderr

    audit.record("x", "flush").result(timeout=10)  # the export entry was queued before this one
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.actor, audit_log.c.action, audit_log.c.detail)).all()
    assert any(r.actor == "trucban" and r.action == "evidence.export" and "12/CA" in r.detail["reason"] for r in rows)


def test_changed_manifest_fails_on_its_signature(tmp_path, data_dir):
    package = export_package(make_request(), tmp_path, TZ, "quangtho", data_dir)
    manifest = package.folder / "manifest.json"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("trucban", "khac"), encoding="utf-8")
    result = verify_package(package.folder)
    assert not result.ok and result.bad_file == "manifest.json"


def test_viewer_may_not_export_evidence(tmp_path, data_dir):
    with pytest.raises(PermissionDenied):
        export_package(make_request(Operator("xem", "Khách", Role.VIEWER)), tmp_path, TZ, "quangtho", data_dir)
    assert not any(tmp_path.glob("evidence_*"))


def test_burned_in_text_changes_the_picture(tmp_path, data_dir):
    request = make_request()
    request.snapshot = np.zeros((360, 640, 3), np.uint8)
    package = export_package(request, tmp_path, TZ, "quangtho", data_dir)
    import cv2

    image = cv2.imread(str(package.folder / "snapshot.png"))
    assert image[200:, :320].any()  # the name and both times are drawn at the bottom-left


def test_a_re_encoded_clip_lasts_as_long_as_the_replay_it_was_made_from(tmp_path, data_dir):
    """Replay kept at 5 frames a second for 6 s: the clip plays 6 s (ffprobe), not 6 * 5 / 8."""
    import shutil

    start = datetime.now(timezone.utc) - timedelta(seconds=6)
    request = EvidenceRequest("cam01", "Cầu Phước Yên", OFFICER, "Công văn 12/CA",
                              clip_frames=[(start + timedelta(seconds=i / 5), picture(i)) for i in range(31)])
    package = export_package(request, tmp_path, TZ, "quangtho", data_dir=data_dir)
    ffprobe = shutil.which("ffprobe")
    assert ffprobe, "ffprobe (Debian's ffmpeg) is installed by .ci/run"
    probe = subprocess.run([ffprobe, "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=duration,r_frame_rate",
                            "-of", "json", str(package.folder / "clip.mp4")], capture_output=True, text=True, timeout=60)
    stream = json.loads(probe.stdout)["streams"][0]
    assert abs(float(stream["duration"]) - 6.2) < 0.3, stream  # 31 frames at 5 a second
