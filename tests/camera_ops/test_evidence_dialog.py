"""The evidence dialog exports a signed package from its worker, and asks for a reason."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

from controlroom.cameras.evidence import verify_package
from controlroom.access.operators import Operator, Role
from controlroom.ui.cameras.evidence_dialog import EvidenceDialog


def test_dialog_exports_a_verifiable_package_and_needs_a_reason(qtbot, tmp_path, data_dir):
    frame = np.full((360, 640, 3), 90, np.uint8)
    now = datetime.now(timezone.utc)
    dialog = EvidenceDialog("cam07", "Cầu Phước Yên", Operator("trucban", "Nguyễn Văn An", Role.DUTY_OFFICER),
                            ZoneInfo("Asia/Ho_Chi_Minh"), "quangtho", lambda: frame,
                            lambda s: [(now - timedelta(seconds=1 - i / 8), frame) for i in range(8)],
                            tmp_path / "out", data_dir=data_dir)
    qtbot.addWidget(dialog)
    dialog.resize(900, 560)
    dialog.show()
    dialog.start_export()
    assert dialog.package is None and dialog.status.text()  # no reason: nothing exported
    dialog.reason.setPlainText("Công văn 12/CA Công an xã Quảng Thọ")
    shots = os.environ.get("CAMERA_OPS_SHOTS")
    if shots:
        dialog.grab().save(os.path.join(shots, "evidence_dialog.png"))
    dialog.start_export()
    qtbot.waitUntil(lambda: dialog.package is not None, timeout=60000)
    assert verify_package(dialog.package.folder).ok
    if shots:
        dialog.grab().save(os.path.join(shots, "evidence_dialog_done.png"))
    assert dialog.play_button.isVisible()  # the clip can be looked at before it is handed over
    player = dialog.play_clip()
    with qtbot.waitSignal(player.ended, timeout=30_000):
        pass
    assert player.frames_shown == 8  # the 8 frames exported, each shown once
    assert verify_package(dialog.package.folder).ok  # playing changed nothing


def test_a_viewer_cannot_start_an_export(qtbot, tmp_path, data_dir):
    dialog = EvidenceDialog("cam07", "Cầu", Operator("xem", "Khách", Role.VIEWER), ZoneInfo("Asia/Ho_Chi_Minh"),
                            "quangtho", lambda: None, None, tmp_path, data_dir=data_dir)
    qtbot.addWidget(dialog)
    assert not dialog.export_button.isEnabled()
    assert "Khách" in dialog.status.text()


def test_the_dialog_says_the_clip_is_the_cameras_own_when_its_packets_are_kept(qtbot, tmp_path, data_dir):
    officer = Operator("trucban", "Nguyễn Văn An", Role.DUTY_OFFICER)
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    original = EvidenceDialog("cam07", "Cầu", officer, tz, "quangtho", lambda: None, None, tmp_path, data_dir=data_dir,
                              packet_clip=lambda seconds: None)
    qtbot.addWidget(original)
    assert "bản ghi gốc của camera, không sửa đổi" in original.note.text()  # not "each file gets a caption"
    assert original.seconds.isEnabled()
    decoded = EvidenceDialog("cam07", "Cầu", officer, tz, "quangtho", lambda: None, lambda s: [], tmp_path,
                             data_dir=data_dir)
    qtbot.addWidget(decoded)
    assert decoded.note.text().startswith("Mỗi tệp được in tên camera")  # re-encoded with captions: said so
