"""The in-app clip player: every frame of an exported clip shown once, in order, at the clip's
own size or smaller; pause holds the picture, a seek shows the picture at the chosen time; a
file that cannot play is said in words and opens no window."""

from __future__ import annotations

import subprocess

import pytest

from controlroom.ui.cameras.clip_player import ClipError, ClipPlayer

FRAMES, FPS = 30, 15


@pytest.fixture
def clip(tmp_path):
    """2 s of H.264 at 15 frames/s, 320x180, a keyframe every second (as a camera sends)."""
    path = tmp_path / "cam_vh_02_replay.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate={FPS}",
                    "-frames:v", str(FRAMES), "-c:v", "libx264", "-g", str(FPS), "-bf", "0", "-pix_fmt", "yuv420p",
                    str(path)], check=True)
    return path


def test_a_clip_plays_every_frame_once_in_order_and_ends(qtbot, clip):
    player = ClipPlayer(clip)
    qtbot.addWidget(player)
    player.show()
    assert (player.info.codec, player.info.width, player.info.height) == ("h264", 320, 180)
    times: list[float] = []
    original = player._show_next

    def recording() -> None:
        before = player.frames_shown
        original()
        if player.frames_shown > before:
            times.append(player.position_s)

    player._timer.timeout.disconnect()
    player._timer.timeout.connect(recording)
    with qtbot.waitSignal(player.ended, timeout=30_000):
        pass
    assert player.frames_shown == FRAMES
    assert times == sorted(times) and len(set(times)) == FRAMES  # each picture once, in order
    assert abs(times[-1] - (FRAMES - 1) / FPS) < 1e-3
    pixmap = player.picture.pixmap()
    assert pixmap.width() <= 320 and pixmap.height() <= 180  # never blown up past the camera's pixels
    assert player.play_button.text() in ("Phát", "Play")  # stopped at the end, ready to play again


def test_pause_holds_the_picture_and_a_seek_shows_the_chosen_moment(qtbot, clip):
    player = ClipPlayer(clip, autoplay=False)
    qtbot.addWidget(player)
    player.show()
    player.seek(1.2)
    qtbot.waitUntil(lambda: player.frames_shown == 1, timeout=10_000)
    assert 1.2 - 1e-3 <= player.position_s < 1.2 + 1 / FPS  # the first picture at or after 1.2 s, not the keyframe at 1 s
    shown = player.frames_shown
    qtbot.wait(300)
    assert player.frames_shown == shown  # paused: the picture holds
    player.slider.setValue(600)  # a click on the slider's track: to 0.6 s
    qtbot.waitUntil(lambda: player.frames_shown == 2, timeout=10_000)
    assert abs(player.position_s - 0.6) < 1e-3 and player.slider.value() == 600
    player.play()
    with qtbot.waitSignal(player.ended, timeout=30_000):
        pass
    assert player.frames_shown == 2 + (FRAMES - round(0.6 * FPS) - 1)  # from 0.6 s to the end, each once


def test_closing_mid_clip_with_its_own_button_ends_its_decoder(qtbot, clip):
    """The player has its own Close button: a kiosk screen with no window manager draws no title bar."""
    player = ClipPlayer(clip)
    qtbot.addWidget(player)
    player.show()
    qtbot.waitUntil(lambda: player.frames_shown >= 3, timeout=10_000)
    decoder = player._decoder
    player.close_button.click()
    assert not player.isVisible()
    assert decoder.join(5.0), "the decoder thread ended and closed the file"


def test_a_file_that_is_not_a_clip_is_refused_in_words(tmp_path):
    broken = tmp_path / "hong.mp4"
    broken.write_bytes(b"\x00\x01 not a video " * 100)
    with pytest.raises(ClipError) as refused:
        ClipPlayer(broken)
    assert "hong.mp4" in str(refused.value)
