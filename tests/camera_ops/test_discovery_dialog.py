"""The add-camera dialog reads the peer's streams over ONVIF and appends a valid config entry."""

from __future__ import annotations

import os
import shutil

from controlroom.cameras.add_to_config import append_camera, suggested_camera_id
from controlroom.config import demo_config_path, load_config
from controlroom.ui.cameras.discovery_dialog import CameraDiscoveryDialog


def test_dialog_reads_the_camera_and_adds_it_to_the_config(peer, demo_config, qtbot, tmp_path):
    path = tmp_path / "commune.toml"
    shutil.copy(demo_config_path(), path)
    dialog = CameraDiscoveryDialog(demo_config, lambda fields: append_camera(path, fields))
    qtbot.addWidget(dialog)
    dialog.resize(900, 760)
    dialog.show()
    dialog.host.setText(peer.host)
    dialog.port.setValue(peer.onvif_port)
    dialog.user.setText(peer.user)
    dialog.password.setText(peer.password)
    dialog.start_describe()
    qtbot.waitUntil(lambda: dialog.description is not None, timeout=60000)
    assert "video_main" in dialog.streams.toPlainText()
    dialog.camera_id.setText("cam42")
    dialog.name.setText("Cầu Phước Yên (mới)")
    dialog.village.setCurrentIndex(3)
    if os.environ.get("CAMERA_OPS_SHOTS"):
        dialog.grab().save(os.path.join(os.environ["CAMERA_OPS_SHOTS"], "camera_discovery_dialog.png"))
    dialog.start_save()
    qtbot.waitUntil(lambda: "cam42" in path.read_text(encoding="utf-8"), timeout=30000)
    config = load_config(path)
    camera = next(c for c in config.cameras if c.id == "cam42")
    assert camera.main_url.endswith("/video_main") and camera.sub_url.endswith("/video_sub")
    assert camera.ptz and camera.onvif.host == peer.host and camera.onvif.port == peer.onvif_port
    assert peer.password not in path.read_text(encoding="utf-8")


def test_the_suggested_id_follows_the_communes_ids_and_is_free(second_config, demo_config):
    """The dialog offered "cam04" to a commune whose cameras are all "vh_…"."""
    ids = [camera.id for camera in second_config.cameras]
    suggested = suggested_camera_id(ids)
    prefix = os.path.commonprefix(ids)
    assert prefix and suggested.startswith(prefix[:prefix.rfind("_") + 1]) and suggested not in ids
    assert suggested_camera_id(["cam01", "cam02", "cam03", "cam04"]) == "cam05"
    assert suggested_camera_id(["a_cam01", "a_cam03"]) == "a_cam04"  # "a_cam03" is taken: the next free one
    assert suggested_camera_id([c.id for c in demo_config.cameras]) not in {c.id for c in demo_config.cameras}
