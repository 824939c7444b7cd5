"""One tile of the camera wall: the picture, the camera's name and village, its state.

The tile paints only what it was given: `set_frame()` wraps the reader's BGR array in a
QImage (Format_BGR888, no copy; the array is kept referenced while shown) and schedules a
repaint; `set_health()` updates the badge. An offline or stalled camera is never shown as if
live: the last picture is dimmed and a red/amber badge says since when. Drag a camera from the
camera list onto a tile to show it there; double-click maximises it (the wall switches to the
main stream) and back.
"""

from __future__ import annotations

from datetime import tzinfo

from PyQt6.QtCore import QPoint, QRect, QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QAction, QColor, QFont, QFontMetrics, QImage, QPainter, QPen
from PyQt6.QtWidgets import QMenu, QSizePolicy, QWidget
from PyQt6 import sip

from controlroom.cameras.health import StreamHealth, StreamState
from controlroom.config import CameraConfig
from controlroom.i18n import format_number, tr
from controlroom.cameras.stream_urls import redact_url
from controlroom.cameras.video_reader import Frame

CAMERA_MIME = "application/x-controlroom-camera"

BACKGROUND = QColor("#101216")
CAPTION_BACKGROUND = QColor("#1b1f24")

STATE_COLOURS = {
    StreamState.LIVE: QColor("#2e9e44"),
    StreamState.CONNECTING: QColor("#7a7f87"),
    StreamState.STALLED: QColor("#e0a100"),
    StreamState.OFFLINE: QColor("#d32f2f"),
}
# Readers hand tiles BGRX frames already fitted to the tile: the GUI thread then only blits
# (RGB32 1:1 is a memcpy; BGR888 needs a per-pixel conversion on the GUI thread).
DISPLAY_FORMAT = "bgrx"


def state_label(state: StreamState) -> str:
    return {
        StreamState.LIVE: tr("Live"),
        StreamState.CONNECTING: tr("Connecting…"),
        StreamState.STALLED: tr("Stalled"),
        StreamState.OFFLINE: tr("Offline"),
    }[state]


def badge_lines(metrics: QFontMetrics, label: str, detail: str, width: int) -> list[str]:
    """A state badge's text in `width` px: "MẤT KẾT NỐI  từ 23:10:45" on one line where it fits,
    else the detail on a line of its own (its time is what the operator needs, never cut off);
    a line still too wide ends in "…"."""
    one_line = f"{label}  {detail}" if detail else label
    lines = [one_line] if metrics.horizontalAdvance(one_line) <= width or not detail else [label, detail]
    return [metrics.elidedText(line, Qt.TextElideMode.ElideRight, width) for line in lines]


class CameraTile(QWidget):
    dropped = pyqtSignal(int, str)  # tile index, camera id
    double_clicked = pyqtSignal(int)
    clicked = pyqtSignal(int)
    snapshot_requested = pyqtSignal(int)
    replay_requested = pyqtSignal(int)
    clear_requested = pyqtSignal(int)
    size_changed = pyqtSignal(int)

    def __init__(self, index: int, tz: tzinfo, parent: QWidget | None = None, scale: float = 1.0) -> None:
        super().__init__(parent)
        self.scale = scale  # the screen's UI scale (AppContext.ui_scale): text never smaller than the app's
        self.index = index
        self.tz = tz
        self.camera: CameraConfig | None = None
        self.village_name = ""
        self.stream_url = ""
        self.health: StreamHealth | None = None
        self.tour_label = ""
        self.alarm_text = ""
        self.selected = False
        self.maximised = False
        self.presenting = False  # a wall display: no drag invitation, no selection frame
        self.export_refusal = ""  # why Snapshot / Export replay are disabled in the menu ("" if allowed)
        self.painted_frames = 0  # frames actually painted (benchmarks)
        self._image: QImage | None = None
        self._array = None  # keeps the numpy buffer alive while the QImage points into it
        self.seq = -1
        self._pending_paint = False
        self._caption_key: tuple | None = None
        self._image_rect: QRect | None = None  # where the last 1:1 frame went (fast repaint path)
        self._caption: QImage | None = None
        self.setAcceptDrops(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(80, 45)

    # --- what it shows ---------------------------------------------------------------------

    def set_camera(self, camera: CameraConfig | None, village_name: str = "", stream_url: str = "") -> None:
        if camera is not (self.camera):
            self._image, self._array, self.seq, self.health = None, None, -1, None
            self._image_rect = None
        self.camera, self.village_name, self.stream_url = camera, village_name, stream_url
        self._update_tooltip()
        self.update()

    def set_frame(self, frame: Frame) -> None:
        """Show `frame` (GUI thread). The QImage shares the array's memory: no copy. A BGR
        frame is wrapped as Format_BGR888; a BGRX one (see StreamReader.display_format) as
        Format_RGB32, which the raster engine blits ~3x faster (measured: 0.47 vs 1.4 ms for
        960x540) — the GUI thread is the one thread all tiles share."""
        image = frame.image
        height, width = image.shape[:2]
        self._array = image
        fmt = QImage.Format.Format_RGB32 if image.ndim == 3 and image.shape[2] == 4 else QImage.Format.Format_BGR888
        # padded rows (a packet reader's, see Frame): QImage takes the address and the stride
        data = image.data if image.flags["C_CONTIGUOUS"] else sip.voidptr(image.__array_interface__["data"][0])
        self._image = QImage(data, width, height, image.strides[0], fmt)
        self.seq = frame.seq
        self._pending_paint = True
        fast = self._image_rect
        if (fast is not None and fast.width() == width and fast.height() == height and not self.alarm_text
                and not self.selected and self.health is not None and self.health.state is StreamState.LIVE):
            self.update(fast)  # only the picture changed: repaint just it (see paintEvent)
        else:
            self.update()

    def set_health(self, health: StreamHealth | None) -> None:
        previous = self.health
        self.health = health
        if (previous is None or health is None or previous.state != health.state or previous.reconnects != health.reconnects
                or health.state is StreamState.STALLED):  # the frame's age on the STALLED badge counts up
            self._update_tooltip()
            self.update()

    def set_alarm(self, text: str) -> None:
        self.alarm_text = text
        self.update()

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.update()

    def sizeHint(self) -> QSize:
        return QSize(320, 180)

    def _update_tooltip(self) -> None:
        if self.camera is None:
            self.setToolTip(tr("Empty tile: drag a camera here from the camera list"))
            return
        lines = [f"{self.camera.name} ({self.camera.id})", tr("Village: {name}", name=self.village_name),
                 tr("Stream: {url}", url=redact_url(self.stream_url))]
        if self.health is not None:
            h = self.health
            lines.append(tr("State: {state}", state=state_label(h.state)))
            if h.width:
                lines.append(tr("{w}×{h}, {fps} fps", w=h.width, h=h.height, fps=format_number(h.fps, 1)))
            if h.bitrate_kbps:
                lines.append(tr("Bitrate: {kbps:.0f} kbit/s", kbps=h.bitrate_kbps))
            lines.append(tr("Reconnects: {n}", n=h.reconnects))
            if h.last_error:
                lines.append(redact_url(h.last_error))
        self.setToolTip("\n".join(lines))

    # --- painting --------------------------------------------------------------------------

    def unit(self) -> int:
        """The tile's text size in pixels: grows with the tile (readable on a 65-inch wall)."""
        return round(max(11 * self.scale, min(40 * self.scale, self.height() / 16)))

    def caption_height(self) -> int:
        return int(self.unit() * 1.6) if self.camera is not None else 0

    def video_rect(self) -> QRect:
        """Where the picture goes: the tile minus the caption strip (readers fit frames to it)."""
        return QRect(0, 0, self.width(), max(2, self.height() - self.caption_height()))

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """Per frame: one 1:1 blit of the frame and one of the cached opaque caption strip."""
        fast = self._image_rect
        if fast is not None and self._image is not None and fast.contains(event.rect()):
            painter = QPainter(self)  # a new frame of the same size: one blit, nothing else
            painter.drawImage(fast.topLeft(), self._image)
            painter.end()
            if self._pending_paint:
                self.painted_frames += 1
                self._pending_paint = False
            return
        painter = QPainter(self)
        rect = self.rect()
        video = self.video_rect()
        self._image_rect = None
        unit = self.unit()
        state = self.health.state if self.health else (StreamState.CONNECTING if self.camera else None)
        target = None
        if self._image is not None:
            iw, ih = self._image.width(), self._image.height()
            scale = min(video.width() / iw, video.height() / ih)
            w, h = int(iw * scale), int(ih * scale)
            gap_w, gap_h = video.width() - iw, video.height() - ih
            # the reader sized it for us (each side rounded down to an even number): a 1:1 blit
            if 0 <= gap_w and 0 <= gap_h and (gap_w <= 3 or gap_h <= 2):
                target = QRect((video.width() - iw) // 2, (video.height() - ih) // 2, iw, ih)
                painter.drawImage(target.topLeft(), self._image)
                self._image_rect = target
            else:  # a frame from before a resize: scale once, smoothly
                target = QRect((video.width() - w) // 2, (video.height() - h) // 2, w, h)
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
                painter.drawImage(target, self._image)
            if self._pending_paint:
                self.painted_frames += 1
                self._pending_paint = False
        if target is None:
            painter.fillRect(video, BACKGROUND)
        else:  # only the letterbox margins around the picture
            for margin in (QRect(0, 0, video.width(), target.top()), QRect(0, target.bottom() + 1, video.width(), video.height() - target.bottom() - 1),
                           QRect(0, 0, target.left(), video.height()), QRect(target.right() + 1, 0, video.width() - target.right() - 1, video.height())):
                if margin.width() > 0 and margin.height() > 0:
                    painter.fillRect(margin, BACKGROUND)
            if state in (StreamState.OFFLINE, StreamState.STALLED):
                painter.fillRect(target, QColor(0, 0, 0, 150))
        if self.camera is None and self.presenting:
            pass  # an empty cell on a wall display is just black
        elif self.camera is None:
            painter.setPen(QColor("#8a9099"))
            painter.setFont(self._font(unit))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, tr("Drag a camera here"))
        else:
            self._paint_caption(painter, rect, unit, state)
            if state is not None and state is not StreamState.LIVE:
                self._paint_state(painter, video, unit, state)
        self._paint_border(painter, rect, unit)
        painter.end()

    @staticmethod
    def _font(pixels: int, bold: bool = False) -> QFont:
        font = QFont()
        font.setPixelSize(pixels)
        font.setBold(bold)
        return font

    def _paint_caption(self, painter: QPainter, rect: QRect, unit: int, state: StreamState | None) -> None:
        """The opaque name strip under the picture, rendered once per size/text/state into a
        cached RGB32 image, so each frame only copies it."""
        height = self.caption_height()
        key = (rect.width(), height, unit, self.camera.id, self.camera.name, self.village_name, self.tour_label, state)
        if self._caption_key != key:
            image = QImage(rect.width(), height, QImage.Format.Format_RGB32)
            image.fill(CAPTION_BACKGROUND)
            bar_painter = QPainter(image)
            self._draw_caption(bar_painter, QRect(0, 0, rect.width(), height), unit, state)
            bar_painter.end()
            self._caption_key, self._caption = key, image
        painter.drawImage(QPoint(0, rect.height() - height), self._caption)

    def _draw_caption(self, painter: QPainter, bar: QRect, unit: int, state: StreamState | None) -> None:
        left = bar.adjusted(int(unit * 0.5), 0, -int(unit * 0.5), 0)
        if state is not None:
            radius = max(3, unit // 3)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(STATE_COLOURS[state])
            painter.drawEllipse(left.left(), bar.center().y() - radius + 1, radius * 2, radius * 2)
            left = left.adjusted(radius * 2 + unit // 2, 0, 0, 0)
        text = self.camera.name
        if self.tour_label:
            text = f"⟳ {text}"
        village = self.village_name
        painter.setFont(self._font(unit, bold=True))
        name_width = painter.fontMetrics().horizontalAdvance(text)
        painter.setFont(self._font(int(unit * 0.85)))
        village_width = painter.fontMetrics().horizontalAdvance(village) if village else 0
        # the village only where the whole name fits beside it: the camera's name comes first
        if village and village_width < left.width() * 0.45 and name_width + unit + village_width <= left.width():
            painter.setPen(QColor("#c9d1d9"))
            painter.drawText(left, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, village)
            left = left.adjusted(0, 0, -village_width - unit, 0)
        painter.setFont(self._font(unit, bold=True))
        painter.setPen(QColor("white"))
        # elided in the middle: "Đê bao … Đông Hà", not "Đê bao …" (names share their first words)
        painter.drawText(left, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, left.width()))

    def _paint_state(self, painter: QPainter, rect: QRect, unit: int, state: StreamState) -> None:
        colour = STATE_COLOURS[state]
        label, detail = state_label(state).upper(), ""
        since = self.health.down_since if self.health else None
        age = self.health.frame_age_s if self.health else None
        if state is StreamState.STALLED and age is not None:  # a frozen frame never looks live
            detail = tr("last frame {age} s ago", age=format_number(age, 1))
        elif since is not None and state is StreamState.OFFLINE:
            detail = tr("since {time}", time=since.astimezone(self.tz).strftime("%H:%M:%S"))
        big = state is StreamState.OFFLINE or (state is StreamState.CONNECTING and self._image is None)
        font = self._font(int(unit * (1.2 if big else 0.9)), bold=True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        lines = badge_lines(metrics, label, detail, rect.width() - 4 - unit)
        width = max(metrics.horizontalAdvance(line) for line in lines) + unit
        height = int(unit * (2.0 if big else 1.5)) + metrics.height() * (len(lines) - 1)
        if big:
            badge = QRect(rect.center().x() - width // 2, rect.center().y() - height // 2 - unit, width, height)
        else:
            badge = QRect(rect.right() - width - unit // 2, rect.top() + unit // 2, width, height)
        badge = badge.intersected(rect.adjusted(2, 2, -2, -2))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(QRectF(badge), unit * 0.3, unit * 0.3)
        painter.setPen(QColor("black") if state is StreamState.STALLED else QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, "\n".join(lines))

    def _paint_border(self, painter: QPainter, rect: QRect, unit: int) -> None:
        if self.alarm_text:
            pen = QPen(QColor("#ff1744"), max(3, unit // 4))
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            half = pen.width() // 2
            painter.drawRect(rect.adjusted(half, half, -half - 1, -half - 1))
            banner = QRect(rect.left(), rect.top(), rect.width(), int(unit * 1.6))
            painter.fillRect(banner, QColor(211, 47, 47, 220))
            painter.setPen(QColor("white"))
            painter.setFont(self._font(unit, bold=True))
            painter.drawText(banner.adjusted(unit // 2, 0, -unit // 2, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             painter.fontMetrics().elidedText("⚠ " + self.alarm_text, Qt.TextElideMode.ElideRight, banner.width() - unit))
        elif self.selected and not self.presenting:
            painter.setPen(QPen(QColor("#3d8bfd"), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect.adjusted(1, 1, -2, -2))

    # --- input -----------------------------------------------------------------------------

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._image_rect = None
        self.size_changed.emit(self.index)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.index)
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        self.double_clicked.emit(self.index)

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasFormat(CAMERA_MIME):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        data = event.mimeData().data(CAMERA_MIME)
        camera_id = bytes(data).decode("utf-8", "replace").strip()
        if camera_id:
            self.dropped.emit(self.index, camera_id)
            event.acceptProposedAction()

    def contextMenuEvent(self, event) -> None:  # noqa: N802
        if self.camera is None:
            return
        menu = QMenu(self)
        for text, signal, refusal in ((tr("Snapshot"), self.snapshot_requested, self.export_refusal),
                                      (tr("Export replay…"), self.replay_requested, self.export_refusal),
                                      (tr("Remove from tile"), self.clear_requested, "")):
            action = QAction(text, menu)
            action.triggered.connect(lambda _checked=False, s=signal: s.emit(self.index))
            action.setEnabled(not refusal)
            action.setToolTip(refusal)
            menu.addAction(action)
        menu.setToolTipsVisible(True)
        menu.exec(event.globalPos())
