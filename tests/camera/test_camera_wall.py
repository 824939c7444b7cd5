"""The wall panel offscreen: live/offline tiles on the real RTSP server, maximise, drag and
drop, saved views restored at start, tours, snapshots and replay from the wall, alarm pop-up."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import cv2
import pytest
from PyQt6.QtCore import QPointF, Qt
from PyQt6.QtGui import QDropEvent
from PyQt6.QtTest import QTest

from controlroom.cameras.health import StreamState
from controlroom.cameras.views import Tour, ViewStore, WallView
from controlroom.alerts.model import Alert, AlertChanged, Priority
from controlroom.cameras.stream_urls import with_demo_streams
from controlroom.ui.cameras.wall import CameraWall
from controlroom.ui.screens.manager import ScreenInfo
from controlroom.ui.screens.presentation import PresentationMode
from controlroom.cameras.video_reader import ReaderPool
from controlroom.widgets.camera_tile import CAMERA_MIME

WALL_SCREEN = ScreenInfo("wall", 0, 0, 1920, 1080, 1428, 803)


@pytest.fixture
def make_wall(qtbot, tmp_path):
    made = []

    def make(config, view: WallView | None = None, store: ViewStore | None = None, **kwargs) -> CameraWall:
        pool = ReaderPool(replay_seconds=20)
        views = store or ViewStore(tmp_path / "views.json")
        if view is not None:
            views.save_view("main", view)
        wall = CameraWall(config, pool, views, export_dir=tmp_path / "replays", **kwargs)
        qtbot.addWidget(wall)
        wall.resize(1280, 720)
        wall.show()
        made.append((wall, pool))
        return wall

    yield make
    for wall, pool in made:
        wall.close_wall()
        pool.close()


@pytest.fixture
def synthetic_config(demo_config):
    """Six demo cameras on synthetic sources (cheap, no network)."""
    config = with_demo_streams(demo_config)
    return config.model_copy(update={"cameras": config.cameras[:6]})


def state_of(tile) -> StreamState | None:
    return tile.health.state if tile.health else None


def test_maximise_switches_from_the_sub_to_the_main_stream_with_no_black_gap(qtbot, make_wall, rtsp_server, camera_config):
    """Real RTSP, packet backend: from the double-click on, the big tile always has a picture —
    the sub stream's until the main stream's first (a keyframe's) arrives — and every picture
    after that is the main stream's, at its own resolution."""
    from tests.camera.conftest import RtspServer

    main_server = RtspServer(mounts=1, width=1280, height=720)
    main_server.start()
    try:
        config = camera_config({"cam01": rtsp_server.url(0)})
        camera = config.cameras[0].model_copy(update={"main_url": main_server.url(0), "backend": "pyav"})
        config = config.model_copy(update={"cameras": [camera]})
        wall = make_wall(config, WallView("one", "2x2", [camera.id, None, None, None]))
        qtbot.waitUntil(lambda: wall.tiles[0]._image is not None, timeout=30_000)
        wall._frame_timer.stop()  # the test pulls, so it sees every picture the big tile is given
        wall.maximise(0)
        sources: list[str] = []  # which stream's pictures the big tile showed, in order

        def pull() -> bool:
            wall.pull_frames()
            assert wall.max_tile._image is not None, "the big tile went black"
            source = "sub" if wall.max_tile.seq < -1 else "main"  # the wall marks a bridging sub picture by a negative seq
            if not sources or sources[-1] != source:
                sources.append(source)
            return source == "main"

        qtbot.waitUntil(pull, timeout=30_000)
        for _ in range(20):
            qtbot.wait(40)
            pull()
        assert sources == ["sub", "main"]  # the sub stream bridged the gap; never back to it once the main is up
        qtbot.waitUntil(lambda: wall.refresh_health() or (wall.max_tile.health and wall.max_tile.health.width == 1280),
                        timeout=10_000)  # the main stream at its own resolution
    finally:
        main_server.kill()


def test_tile_goes_live_offline_when_server_dies_and_back_without_operator(qtbot, make_wall, rtsp_server, camera_config):
    config = camera_config({"cam01": rtsp_server.url(0), "cam02": rtsp_server.url(1)})
    wall = make_wall(config, WallView("two", "2x2", ["cam01", "cam02", None, None]))
    tile = wall.tiles[0]
    qtbot.waitUntil(lambda: state_of(tile) is StreamState.LIVE and tile.painted_frames > 5, timeout=30_000)
    rtsp_server.kill()
    qtbot.waitUntil(lambda: state_of(tile) is StreamState.OFFLINE, timeout=20_000)
    assert tile.health.down_since is not None
    rtsp_server.start()
    qtbot.waitUntil(lambda: state_of(tile) is StreamState.LIVE, timeout=60_000)
    painted = tile.painted_frames
    qtbot.waitUntil(lambda: tile.painted_frames > painted + 5, timeout=20_000)


def test_double_click_maximises_on_the_main_stream_and_back_to_the_sub_stream(qtbot, make_wall, synthetic_config):
    wall = make_wall(synthetic_config, WallView("v", "2x2", ["cam01", "cam02", "cam03", "cam04"]))
    qtbot.waitUntil(lambda: wall.tiles[1].painted_frames > 0, timeout=20_000)
    qtbot.mouseDClick(wall.tiles[1], Qt.MouseButton.LeftButton)
    assert wall.maximised_index == 1
    assert wall.pool.get("cam02", "main") is not None
    qtbot.waitUntil(lambda: wall.max_tile.health is not None and wall.max_tile.health.width == 1280, timeout=20_000)
    qtbot.waitUntil(lambda: wall.max_tile._image is not None and wall.max_tile._image.width() >= 960, timeout=20_000)
    qtbot.mouseDClick(wall.max_tile, Qt.MouseButton.LeftButton)
    assert wall.maximised_index is None
    assert wall.pool.get("cam02", "main") is None
    assert wall.tiles[1].isVisible()


def test_an_enlarged_camera_takes_the_whole_window_under_the_lock_screen_and_esc_gives_it_back(qtbot, synthetic_config, tmp_path):
    """The wall as one panel of a console window (beside an alert panel, above a status bar):
    an enlarged camera covers every panel but the status bar, follows the window's size, hides
    with the wall's page, stays under the lock screen, and Esc returns it to the wall."""
    from PyQt6.QtWidgets import QDockWidget, QLabel, QMainWindow

    from controlroom.ui.access.lock_cover import LOCKED, LockCover

    window = QMainWindow()
    qtbot.addWidget(window)
    pool = ReaderPool(replay_fps=0)
    wall = CameraWall(synthetic_config, pool, ViewStore(tmp_path / "views.json"), export_dir=tmp_path)
    wall.apply_view(WallView("v", "2x2", ["cam01", "cam02", None, None]))
    window.setCentralWidget(wall)
    alerts = QDockWidget("alerts", window)
    alerts.setWidget(QLabel("alert queue"))
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, alerts)
    window.statusBar().showMessage("service up")
    window.resize(1600, 900)
    window.show()
    qtbot.waitExposed(window)
    try:
        wall.maximise(1)
        cover = wall.max_tile.parentWidget()
        status_top = window.statusBar().geometry().top()
        assert wall.enlarged and cover.geometry().topLeft().isNull() and cover.height() == status_top
        found = window.childAt(window.width() - 20, 450)  # where the alert panel is
        assert cover.width() == window.width() and (found is cover or cover.isAncestorOf(found))
        alerts.raise_()  # a panel brought to the front (e.g. to show an alert) stays under the enlarged camera
        qtbot.waitUntil(lambda: cover.isAncestorOf(window.childAt(window.width() - 20, 450)) or
                        window.childAt(window.width() - 20, 450) is cover, timeout=5_000)
        window.resize(1200, 700)
        qtbot.waitUntil(lambda: cover.width() == 1200, timeout=5_000)  # follows the window

        lock = LockCover(window, "Xã Vinh Hưng", synthetic_config.site.tz)
        lock.show_state(LOCKED)
        wall.maximise(0)  # whatever enlarges meanwhile stays under the lock screen
        middle = window.childAt(600, 300)
        assert middle is lock or lock.isAncestorOf(middle)
        lock.show_state(None)

        wall.hide()  # another page took the wall's place
        assert not cover.isVisible()
        wall.show()
        assert cover.isVisible() and wall.enlarged

        presenting = PresentationMode(window, WALL_SCREEN, {"alerts": alerts}, cycle=[])
        presenting.enter()  # Esc also leaves a presentation: the enlarged camera goes back first
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=10_000)
        cover.setFocus()
        QTest.keyClick(window.windowHandle(), Qt.Key.Key_Escape)  # as a keyboard sends it: to the window first
        assert not wall.enlarged and wall.maximised_index is None and not cover.isVisible()
        assert wall.tiles[0].isVisible() and presenting.active
        QTest.keyClick(window.windowHandle(), Qt.Key.Key_Escape)
        assert not presenting.active
    finally:
        wall.close_wall()
        pool.close()


def test_dropping_a_camera_from_the_list_shows_it_in_that_tile(qtbot, make_wall, synthetic_config):
    wall = make_wall(synthetic_config, WallView("v", "2x2", ["cam01", None, None, None]))
    tree = wall.camera_list.tree
    item = next(tree.topLevelItem(i).child(j) for i in range(tree.topLevelItemCount())
                for j in range(tree.topLevelItem(i).childCount()) if tree.topLevelItem(i).child(j).text(0).endswith(synthetic_config.cameras[4].name))
    mime = tree.mimeData([item])
    assert bytes(mime.data(CAMERA_MIME)).decode() == "cam05"
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    wall.tiles[3].dropEvent(drop)
    assert wall.camera_in(3).id == "cam05"
    assert wall.view.cells[3] == "cam05"
    qtbot.waitUntil(lambda: wall.tiles[3].painted_frames > 0, timeout=20_000)


def test_saved_view_is_restored_per_screen_at_start(qtbot, make_wall, synthetic_config, tmp_path):
    store = ViewStore(tmp_path / "views.json")
    wall = make_wall(synthetic_config, store=store)
    wall.set_layout("1+5")
    for index, camera_id in enumerate(["cam03", "cam01", "cam02"]):
        wall.assign(index, camera_id)
    wall.save_view("Lũ lụt")
    store.flush()
    other = ViewStore(tmp_path / "views.json")
    other.save_view("wall-65in", WallView("presentation", "1", ["cam06"]))
    other.flush()

    restarted = make_wall(synthetic_config, store=ViewStore(tmp_path / "views.json"))
    assert restarted.view.name == "Lũ lụt"
    assert restarted.view.layout_id == "1+5"
    assert [restarted.camera_in(i).id for i in range(3)] == ["cam03", "cam01", "cam02"]
    big = restarted.grid.getItemPosition(restarted.grid.indexOf(restarted.tiles[0]))
    assert big == (0, 0, 2, 2)
    second_screen = make_wall(synthetic_config, store=ViewStore(tmp_path / "views.json"), screen="wall-65in")
    assert second_screen.view.layout_id == "1" and second_screen.camera_in(0).id == "cam06"


def test_tour_cycles_its_cameras_in_a_tile_with_the_dwell_time(qtbot, make_wall, synthetic_config):
    wall = make_wall(synthetic_config, WallView("v", "2x2", [None, None, None, None]))
    wall.start_tour(2, Tour("Cửa ngõ", ("cam01", "cam02", "cam03"), dwell_s=1.0))
    assert wall.view.cells[2] == "tour:Cửa ngõ"
    seen = []

    def record():
        camera = wall.camera_in(2)
        if camera and (not seen or seen[-1] != camera.id):
            seen.append(camera.id)
        return len(seen) >= 4

    qtbot.waitUntil(record, timeout=20_000)
    assert seen[:4] == ["cam01", "cam02", "cam03", "cam01"]


def test_snapshot_and_replay_export_from_the_selected_tile(qtbot, make_wall, synthetic_config, tmp_path, demo_config):
    from controlroom.cameras.snapshots import SnapshotService

    service = SnapshotService(tmp_path / "snaps", demo_config.site.id, demo_config.site.tz, writer=None)
    wall = make_wall(synthetic_config, WallView("v", "2x2", ["cam01", "cam02", None, None]), snapshots=service)
    try:
        qtbot.waitUntil(lambda: wall.pool.replay("cam02") is not None and wall.pool.replay("cam02").seconds_available() > 3.5, timeout=30_000)
        wall.select(1)
        snap = wall.snapshot(1).result(timeout=30)
        assert cv2.imread(str(snap.path)).shape == (270, 480, 3)
        frames = wall.export_replay(1, 3).result(timeout=60)
        assert abs(frames - 3 * wall.pool.replay_fps) <= 0.1 * 3 * wall.pool.replay_fps
        qtbot.waitUntil(lambda: "mp4" in wall.message.text(), timeout=10_000)
    finally:
        service.close()


def test_an_alarm_calls_its_cameras_up_in_the_alarm_view_and_gives_the_operators_view_back(qtbot, make_wall, demo_config):
    config = with_demo_streams(demo_config)
    saved = WallView("v", "2x2", ["cam20", "cam21", "cam22", "cam23"])
    wall = make_wall(config, saved)
    sensor = next(s for s in config.sensors if s.kind == "water_level")
    now = datetime.now(timezone.utc)

    def alert(alert_id: str, priority: Priority, acked: bool = False) -> Alert:
        return Alert(alert_id, f"sensor/{sensor.id}/level", "level_2", "alarm_level", priority, sensor.village, True,
                     acked, now, now, detail={"name": sensor.name})

    wall.on_alert_changed(AlertChanged(alert("a0", Priority.LOW)))  # routine: no call-up
    assert wall.view.layout_id == "2x2" and wall.camera_in(0).id == "cam20" and not wall.tiles[0].alarm_text
    wall.maximise(1)
    wall.on_alert_changed(AlertChanged(alert("a1", Priority.HIGH)))
    nearest = min(config.cameras, key=lambda c: (c.lat - sensor.lat) ** 2 + (c.lon - sensor.lon) ** 2)
    # the camera the operator enlarged stays enlarged, told of the alarm; the alarm view waits behind it
    assert wall.maximised_index is not None and wall.camera_in(wall.maximised_index).id == "cam21"
    assert wall.enlarged and wall.max_tile.alarm_text
    assert wall.view.layout_id == "1+5" and wall.camera_in(0).id == nearest.id and wall.tiles[0].alarm_text
    wall.restore()  # the operator double-clicks back: the alarm view
    assert "cam20" in wall.view.cells  # the operator's cameras fill the other cells
    assert wall.back_button.isVisible()
    wall.assign(5, "cam01")  # the operator drops a camera into the alarm view...
    assert wall.views.views("main")["v"].cells == saved.cells  # ...their saved view is untouched

    wall.on_alert_changed(AlertChanged(alert("a1", Priority.HIGH, acked=True)))  # handled: the view comes back
    assert wall.view.name == "v" and wall.view.cells == saved.cells
    assert not any(tile.alarm_text for tile in wall.tiles) and not wall.back_button.isVisible()
    wall.on_alert_changed(AlertChanged(alert("a1", Priority.HIGH, acked=True)))  # no second call-up
    assert wall.view.name == "v"

    wall.on_alert_changed(AlertChanged(alert("a2", Priority.CRITICAL)))
    assert wall.view.layout_id == "1+5"
    qtbot.mouseClick(wall.back_button, Qt.MouseButton.LeftButton)  # the operator goes back without acknowledging
    assert wall.view.cells == saved.cells and not wall.back_button.isVisible()


def test_an_enlarged_camera_stays_enlarged_while_alarms_come_and_go(qtbot, make_wall, second_config):
    """The room changing the wall by itself (an alarm called up, an alarm handled on another
    console) never takes away the camera the operator enlarged: it moves with its cell."""
    config = with_demo_streams(second_config)
    ids = [c.id for c in config.cameras]
    mine = [ids[0], ids[1], None, None]
    wall = make_wall(config, WallView("v", "2x2", mine))
    wall.maximise(1)
    focus = ids[1]
    wall.show_alarm("a-vh-1", [ids[2]], "Mực nước đầm vượt mức theo dõi")
    assert wall.enlarged
    assert wall.camera_in(wall.maximised_index).id == focus  # its cell moved; the picture did not
    assert "Mực nước đầm" in wall.max_tile.alarm_text  # the new alarm is told on the enlarged camera
    hint = wall.max_tile.parentWidget().hint
    assert hint.isVisible() and "báo động" in hint.text()  # and how to see its cameras, over the picture
    wall.show_alarm("a-vh-2", [ids[0]], "Độ mặn vượt ngưỡng")
    hint.hide()
    wall.clear_alarm("a-vh-1")  # handled on another console
    assert wall.enlarged and wall.camera_in(wall.maximised_index).id == focus
    assert "mới" not in wall.max_tile.alarm_text and not hint.isVisible()  # nothing new is announced
    wall.clear_alarm("a-vh-2")  # the last one: the operator's view comes back under the enlarged camera
    assert wall.view.name == "v" and wall.view.cells == mine
    assert wall.maximised_index == 1 and wall.enlarged and not wall.max_tile.alarm_text
    wall.load_view("v")  # the operator's own choice of view returns to the grid
    assert wall.maximised_index is None and not wall.enlarged


def test_replay_export_of_a_packet_camera_is_its_own_bits(qtbot, make_wall, rtsp_server, camera_config):
    """A camera on the pyav backend: the wall's replay export remuxes its packets (no JPEG ring)."""
    import subprocess

    config = camera_config({"cam01": rtsp_server.url(0)})
    config = config.model_copy(update={"cameras": [c.model_copy(update={"backend": "pyav"}) for c in config.cameras]})
    wall = make_wall(config, WallView("v", "1x1", ["cam01"]))
    qtbot.waitUntil(lambda: wall.pool.packets("cam01") is not None and wall.pool.packets("cam01").seconds_available() > 3.5,
                    timeout=30_000)
    assert wall.pool.replay("cam01") is None  # no JPEG encoding for a packet camera
    frames = wall.export_replay(0, 3).result(timeout=60)
    qtbot.waitUntil(lambda: "mp4" in wall.message.text(), timeout=10_000)
    path = next((wall.export_dir).glob("cam01_*.mp4"))
    probe = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                            "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", str(path)],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert probe == f"h264,640,360,{frames}" and frames >= 3 * 15 - 1
    assert not wall.message.text().endswith(")")  # all 3 s asked for were there
    kept = wall.pool.packets("cam01").seconds_available()
    wall.export_replay(0, kept + 60).result(timeout=60)  # more than the ring holds: the message says how much it had
    qtbot.waitUntil(lambda: f"{int(kept + 60)}" in wall.message.text() and wall.message.text().endswith(")"), timeout=10_000)


def test_play_a_clip_opens_a_player_beside_the_running_wall_or_says_why_not(qtbot, make_wall, synthetic_config, tmp_path):
    import subprocess

    wall = make_wall(synthetic_config, WallView("v", "2x2", ["cam01", None, None, None]))
    broken = tmp_path / "khong_phai_video.mp4"
    broken.write_bytes(b"not a video")
    assert wall.open_clip(broken) is None and "khong_phai_video.mp4" in wall.message.text()
    clip = tmp_path / "cam01_replay.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=15",
                    "-frames:v", "15", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip)], check=True)
    player = wall.open_clip(clip)
    assert player is not None and player.isVisible() and not player.isModal()
    with qtbot.waitSignal(player.ended, timeout=30_000):
        pass
    assert player.frames_shown == 15
    assert wall.tiles[0].painted_frames > 0  # the wall kept painting beside it
    player.close()


def test_a_presented_wall_shows_its_cameras_compact_and_an_alarm_still_gives_the_operators_view_back(
        qtbot, make_wall, second_config):
    """Presentation fits the view's cameras in the smallest grid; an alarm called up meanwhile,
    still open when the presentation ends, returns to the operator's own view when handled."""
    config = with_demo_streams(second_config)
    ids = [c.id for c in config.cameras]
    mine = WallView("v", "3x3", [ids[0], None, None, None, ids[1], None, None, None, None])
    wall = make_wall(config, mine)
    wall.set_presenting(True)
    assert wall.view.layout_id == "2x1"  # two cameras side by side, not a 3x3 of seven black cells
    assert [c for c in wall.view.cells if c] == [ids[0], ids[1]]
    sensor = next(s for s in config.sensors if s.kind == "water_level")
    now = datetime.now(timezone.utc)
    alert = Alert("a1", f"sensor/{sensor.id}/level", "high", "threshold", Priority.HIGH, sensor.village, True, False,
                  now, now, detail={"name": sensor.name})
    wall.on_alert_changed(AlertChanged(alert))
    assert wall.view.layout_id == "1+5"  # the alarm view, on the wall display too
    wall.set_presenting(False)
    assert wall.view.layout_id == "1+5"  # the alarm view stays while its alarm is open
    wall.on_alert_changed(AlertChanged(replace(alert, acked=True)))
    assert (wall.view.name, wall.view.layout_id, wall.view.cells) == ("v", "3x3", mine.cells)


def test_flood_mode_during_a_presentation_keeps_its_picture_and_gives_the_operators_view_back(
        qtbot, make_wall, second_config):
    """Flood mode entered on a presented wall: the end of the presentation must not put the
    operator's view over the flood picture, and leaving flood mode gives back the operator's
    whole view, not the presentation's compaction of it."""
    from controlroom.ui.flood.flood_mode import FloodMode, flood_cameras

    config = with_demo_streams(second_config)
    others = [c.id for c in config.cameras if c.id not in flood_cameras(config)]
    mine = WallView("v", "3x3", [None, None, None, None, others[0], None, None, None, None])
    wall = make_wall(config, mine)
    flood = FloodMode(config, lambda: [], lambda: {"camera_wall": wall})
    wall.set_presenting(True)
    assert wall.view.layout_id == "1x1" and wall.operator_view.cells == mine.cells
    flood.enter()
    assert wall.view.cells == flood_cameras(config)
    wall.set_presenting(False)
    assert wall.view.cells == flood_cameras(config)  # flood mode is still on: so is its picture
    flood.leave()
    assert (wall.view.name, wall.view.layout_id, wall.view.cells) == ("v", "3x3", mine.cells)

    wall.set_presenting(True)  # the other order: flood mode left while the wall presents
    flood.enter()
    flood.leave()
    assert wall.view.layout_id == "1x1"  # the operator's view, presented
    wall.set_presenting(False)
    assert (wall.view.name, wall.view.layout_id, wall.view.cells) == ("v", "3x3", mine.cells)
