"""Camera health on MQTT (retained, seen by a second core) and STALLED on a frozen stream."""

from __future__ import annotations

import json
import os
import signal
import threading
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
from hypothesis import given, strategies as st

import controlroom.cameras.video_backends  # noqa: F401  sets OPENCV_FFMPEG_* before cv2 opens
from controlroom.cameras.health import StreamState
from controlroom.cameras.status_mqtt import (CameraStatusReport, StatusParseError, parse_status)
from controlroom.cameras.onvif_client import OnvifCamera
from controlroom.cameras.video_reader import StreamReader


def sub_uri(peer) -> str:
    camera = OnvifCamera(peer.host, peer.onvif_port, peer.user, peer.password)
    try:
        return camera.profiles()[-1].stream_uri
    finally:
        camera.close()


def retained_messages(broker, topic: str, count: int, timeout: float = 30.0) -> dict[str, tuple[bool, dict]]:
    """Connect a fresh client AFTER publishing: only retained messages can arrive."""
    got: dict[str, tuple[bool, dict]] = {}
    done = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="retained-check")

    def on_message(c, u, message):
        got[message.topic] = (bool(message.retain), json.loads(message.payload))
        if len(got) >= count:
            done.set()

    client.on_message = on_message
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        done.wait(timeout)
    finally:
        client.loop_stop()
        client.disconnect()
    return got


def test_camera_status_is_retained_on_the_broker_and_reaches_a_second_core(peer, mqtt_broker, demo_config, make_core,
                                                                          monkeypatch, qtbot):
    """Console A's core watches the camera and publishes its health; console B's core hears it."""
    monkeypatch.setenv("CONTROLROOM_CAMERA_SOURCE", "config")
    camera = demo_config.cameras[0].model_copy(update={"main_url": sub_uri(peer), "sub_url": sub_uri(peer),
                                                       "onvif": None, "ptz": False})
    config = demo_config.model_copy(update={"cameras": [camera]})
    second = make_core(config, broker=mqtt_broker, client_id="console-b", start=False)
    received: list[CameraStatusReport] = []
    second.bus.subscribe(CameraStatusReport, received.append)
    second.start()
    first = make_core(config, broker=mqtt_broker, client_id="console-a", monitor_cameras=True)
    subscriber = second.cameras.status
    qtbot.waitUntil(lambda: subscriber.latest().get(camera.id) is not None
                    and subscriber.latest()[camera.id].state == "live", timeout=60000)
    report = subscriber.latest()[camera.id]
    assert (report.width, report.height) == (320, 180)
    assert report.fps > 0 and report.console == "console-a"
    assert any(r.camera_id == camera.id for r in received)
    retained = retained_messages(mqtt_broker, f"{first.feed.prefix}/camera/+/status", 1)
    is_retained, payload = retained[f"{first.feed.prefix}/camera/{camera.id}/status"]
    assert is_retained and payload["state"] == "live" and payload["reconnects"] == 0
    assert set(payload) >= {"state", "fps", "frame_age_s", "width", "height", "reconnects", "ts"}


def test_a_frozen_stream_shows_stalled_with_the_frame_age_until_frames_flow_again(make_peer, qtbot, tmp_path, demo_config):
    from controlroom.widgets.camera_tile import CameraTile

    frozen_peer = make_peer()
    reader = StreamReader("cam01", sub_uri(frozen_peer), read_timeout_s=8.0).start()
    tile = CameraTile(0, ZoneInfo("Asia/Ho_Chi_Minh"))
    tile.set_camera(demo_config.cameras[0], "Niêm Phò")
    tile.resize(640, 400)
    tile.show()

    def pull() -> StreamState:
        frame = reader.latest()
        if frame is not None and frame is not tile.frame_seen:
            tile.set_frame(frame)
            tile.frame_seen = frame
        health = reader.health_snapshot()
        tile.set_health(health)
        return health.state

    tile.frame_seen = None
    try:
        qtbot.waitUntil(lambda: pull() is StreamState.LIVE, timeout=60000)
        os.kill(frozen_peer.process.pid, signal.SIGSTOP)  # the camera freezes: no more packets
        try:
            qtbot.waitUntil(lambda: pull() is StreamState.STALLED, timeout=30000)
            health = reader.health_snapshot()
            assert health.frame_age_s >= reader.health.stall_after_s_now() >= 2.0
            tile.repaint()
            tile.grab().save(str(tmp_path / "stalled.png"))
            if os.environ.get("CAMERA_OPS_SHOTS"):
                tile.grab().save(os.path.join(os.environ["CAMERA_OPS_SHOTS"], "stalled_tile.png"))
        finally:
            os.kill(frozen_peer.process.pid, signal.SIGCONT)
        qtbot.waitUntil(lambda: pull() is StreamState.LIVE, timeout=60000)
    finally:
        reader.stop()
        reader.join(15)


@given(st.binary(max_size=200), st.text(max_size=30))
def test_status_parser_never_raises_anything_but_its_own_error(payload, camera_id):
    try:
        parse_status(f"quangtho/camera/{camera_id}/status", payload, "quangtho")
    except StatusParseError:
        pass


@given(st.dictionaries(st.sampled_from(["state", "fps", "frame_age_s", "width", "height", "reconnects", "ts", "console"]),
                       st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10))))
def test_status_parser_on_any_json_object(data):
    try:
        parse_status("quangtho/camera/cam01/status", json.dumps(data).encode(), "quangtho")
    except StatusParseError:
        pass
