"""Play an exported clip inside the console: a replay or an evidence package's video, looked at
before it goes to the police or the province, without leaving the room's screen.

The clip is decoded on a worker thread (PyAV) into a queue of at most QUEUE_FRAMES pictures,
each already scaled to the player's size; when the queue is full the decoder waits (a file
loses nothing by waiting). The GUI thread only shows the next picture on a timer at the clip's
own frame rate. Seeking starts a new decoder at the nearest keyframe before the chosen time and
drops pictures until it is reached. Nothing is written: the file stays as exported.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QImage, QPixmap
from PyQt6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider, QVBoxLayout

from controlroom.i18n import tr

QUEUE_FRAMES = 8  # decoded pictures waiting for the screen: a third of a second at 25 fps


class ClipError(Exception):
    """The file cannot be played; the message says why, for the operator."""


@dataclass(frozen=True)
class ClipInfo:
    codec: str
    width: int
    height: int
    fps: float
    duration_s: float


@dataclass(frozen=True)
class Picture:
    image: np.ndarray  # HxWx4 BGRA, C-contiguous
    time_s: float  # from the clip's start


def probe(path: Path) -> ClipInfo:
    """The clip's video stream: codec, size, frame rate, length; ClipError if it has none."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ClipError(tr("{file} has no video", file=path.name))
            stream = container.streams.video[0]
            rate = float(stream.average_rate or stream.guessed_rate or 0) or 15.0
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            else:
                duration = (container.duration or 0) / 1_000_000
            return ClipInfo(stream.codec_context.name, stream.codec_context.width, stream.codec_context.height, rate, duration)
    except (av.FFmpegError, OSError) as exc:
        raise ClipError(tr("cannot open the clip {file}: {reason}", file=path.name, reason=type(exc).__name__)) from None


class ClipDecoder:
    """One pass over the clip from `start_s`, on its own thread, into `pictures` (bounded,
    the decoder waits when it is full). Ends with None in the queue; `stop()` ends it early."""

    def __init__(self, path: Path, start_s: float, size: tuple[int, int]) -> None:
        self.path, self.start_s, self.size = path, start_s, size
        self.pictures: queue.Queue[Picture | None] = queue.Queue(QUEUE_FRAMES)
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="clip-decoder", daemon=True)

    def start(self) -> "ClipDecoder":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Returns at once (the screen never waits): the thread sees the flag within a picture
        or 0.1 s and closes the file itself."""
        self._stop.set()
        try:
            while True:
                self.pictures.get_nowait()  # free a decoder waiting on a full queue
        except queue.Empty:
            pass

    def join(self, timeout_s: float) -> bool:
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _put(self, item: Picture | None) -> bool:
        while not self._stop.is_set():
            try:
                self.pictures.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        import av
        from av.video.reformatter import VideoReformatter

        reformatter = VideoReformatter()
        try:
            with av.open(str(self.path)) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"  # a clip plays one at a time: let FFmpeg use the cores
                first_pts = stream.start_time or 0
                if self.start_s > 0 and stream.time_base is not None:
                    container.seek(first_pts + int(self.start_s / stream.time_base), stream=stream, backward=True)
                for frame in container.decode(stream):
                    if self._stop.is_set():
                        return
                    if frame.pts is None:
                        continue
                    time_s = float((frame.pts - first_pts) * stream.time_base)
                    if time_s + 1e-3 < self.start_s:
                        continue  # from the keyframe before the chosen time up to it
                    width, height = self._fit(frame.width, frame.height)
                    image = reformatter.reformat(frame, width, height, format="bgra").to_ndarray()
                    if not self._put(Picture(np.ascontiguousarray(image), time_s)):
                        return
        except Exception as exc:  # noqa: BLE001 (whatever stops the reading, the player must hear of it)
            self.error = tr("the clip could not be read to its end: {reason}", reason=type(exc).__name__)
        self._put(None)  # the end: the player stops and says why if it was an error

    def _fit(self, width: int, height: int) -> tuple[int, int]:
        box_w, box_h = self.size
        scale = min(box_w / width, box_h / height, 1.0)  # never larger than the camera's own pixels
        return max(2, round(width * scale) & ~1), max(2, round(height * scale) & ~1)


class ClipPlayer(QDialog):
    """Play / pause, a position slider with the time, the clip's codec, size and frame rate.
    `frames_shown` counts pictures put on screen; `ended` is emitted at the clip's end."""

    ended = pyqtSignal()

    def __init__(self, path: Path, parent=None, autoplay: bool = True) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.info = probe(self.path)  # ClipError before any window opens
        self.setWindowTitle(tr("Clip: {file}", file=self.path.name))
        self.frames_shown = 0
        self.position_s = 0.0
        self._decoder: ClipDecoder | None = None
        self._playing = False

        self.picture = QLabel(self)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(320, 180)
        self.picture.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.picture.setStyleSheet("background: black; color: #ddd;")
        self.play_button = QPushButton(self)
        self.play_button.clicked.connect(self.toggle)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, max(1, int(self.info.duration_s * 1000)))
        self.slider.sliderReleased.connect(lambda: self.seek(self.slider.value() / 1000))
        self.slider.valueChanged.connect(self._slider_moved)  # a click on the track, the arrow keys
        self.time_label = QLabel(self)
        self.details = QLabel(tr("{codec}, {width}×{height}, {fps:.0f} frames/s: played as exported, the file is not changed",
                                 codec=self.info.codec.upper(), width=self.info.width, height=self.info.height,
                                 fps=self.info.fps), self)
        self.details.setWordWrap(True)
        self.close_button = QPushButton(tr("Close"), self)  # also where no window manager draws a title bar
        self.close_button.clicked.connect(self.reject)
        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time_label)
        controls.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picture, 1)
        layout.addLayout(controls)
        layout.addWidget(self.details)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(max(10, round(1000 / self.info.fps)))
        self._timer.timeout.connect(self._show_next)
        self.resize(min(1280, max(640, self.info.width)), min(800, max(420, self.info.height + 120)))
        self._show_time()
        self._set_playing(False)
        if autoplay:
            QTimer.singleShot(0, self.play)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.activateWindow()  # Esc and the arrow keys reach the player at once, with or without a window manager

    # -- controls ----------------------------------------------------------------------------

    def play(self) -> None:
        if self._decoder is None:
            self._start_decoder(0.0 if self.position_s >= self.info.duration_s - 0.05 else self.position_s)
        self._set_playing(True)

    def pause(self) -> None:
        self._set_playing(False)

    def toggle(self) -> None:
        self.pause() if self._playing else self.play()

    def seek(self, seconds: float) -> None:
        """Show the picture at `seconds` (from the start); playing goes on from there."""
        seconds = min(max(0.0, seconds), self.info.duration_s)
        self._start_decoder(seconds)
        if not self._playing:
            self._show_one_when_ready(self._decoder)

    def _slider_moved(self, value: int) -> None:
        if not self.slider.isSliderDown():  # a drag seeks once, when released
            self.seek(value / 1000)

    # -- playing -----------------------------------------------------------------------------

    def _set_playing(self, playing: bool) -> None:
        self._playing = playing
        self.play_button.setText(tr("Pause") if playing else tr("Play"))
        self._timer.start() if playing else self._timer.stop()

    def _start_decoder(self, seconds: float) -> None:
        if self._decoder is not None:
            self._decoder.stop()
        size = self.picture.size()
        self._decoder = ClipDecoder(self.path, seconds, (max(320, size.width()), max(180, size.height()))).start()
        self.position_s = seconds
        self._show_time()

    def _show_one_when_ready(self, decoder: "ClipDecoder") -> None:
        """Paused after a seek: show the picture there once decoded, without blocking the screen
        (one chain per decoder: a newer seek or playing ends this one)."""
        if decoder is not self._decoder or self._playing:
            return
        if not decoder.pictures.empty():
            self._show_next()
        else:
            QTimer.singleShot(20, lambda: self._show_one_when_ready(decoder))

    def _show_next(self) -> None:
        decoder = self._decoder
        if decoder is None:
            return
        try:
            picture = decoder.pictures.get_nowait()
        except queue.Empty:
            return  # the decoder is a little late: show this picture a tick longer
        if picture is None:  # the end
            self._decoder = None
            self._set_playing(False)
            if decoder.error:
                self.details.setText(decoder.error)
            self.position_s = self.info.duration_s
            self._show_time()
            self.ended.emit()
            return
        height, width = picture.image.shape[:2]
        image = QImage(picture.image.data, width, height, picture.image.strides[0], QImage.Format.Format_RGB32)
        self.picture.setPixmap(QPixmap.fromImage(image))  # fromImage copies: the array may go
        self.frames_shown += 1
        self.position_s = picture.time_s
        self._show_time()

    def _show_time(self) -> None:
        if not self.slider.isSliderDown():
            self.slider.blockSignals(True)  # the picture moving the slider is not a seek
            self.slider.setValue(int(self.position_s * 1000))
            self.slider.blockSignals(False)
        self.time_label.setText(f"{_clock(self.position_s)} / {_clock(self.info.duration_s)}")

    def done(self, result: int) -> None:  # noqa: D401 (Qt's name): closing stops the decoder
        self._timer.stop()
        if self._decoder is not None:
            self._decoder.stop()
            self._decoder = None
        super().done(result)


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"
