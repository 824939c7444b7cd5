"""Text with Vietnamese diacritics burned into BGR frames (snapshots, synthetic cameras).

OpenCV's Hershey fonts are ASCII-only ("Đê bao Lương Cổ" would come out as "?? bao L??ng C?"),
so labels are drawn with Pillow and a system TrueType font that covers Vietnamese (DejaVu on
Linux, Segoe UI / Arial on Windows). Labels are white on a translucent dark box, readable on
any picture. Thread-safe: rendering happens on reader and snapshot threads.
"""

from __future__ import annotations

import logging
import threading

import numpy as np
from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

FONT_CANDIDATES = ("DejaVuSans.ttf", "segoeui.ttf", "arial.ttf", "NotoSans-Regular.ttf", "LiberationSans-Regular.ttf")


class TextRenderer:
    _shared: "TextRenderer | None" = None
    _shared_lock = threading.Lock()

    def __init__(self) -> None:
        self._fonts: dict[int, ImageFont.ImageFont] = {}
        self._lock = threading.Lock()
        self._warned = False

    @classmethod
    def shared(cls) -> "TextRenderer":
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = TextRenderer()
            return cls._shared

    def _font(self, size: int):
        with self._lock:
            font = self._fonts.get(size)
            if font is None:
                for name in FONT_CANDIDATES:
                    try:
                        font = ImageFont.truetype(name, size)
                        break
                    except OSError:
                        continue
                else:
                    if not self._warned:
                        log.warning("no TrueType font with Vietnamese found (tried %s); labels use Pillow's default", FONT_CANDIDATES)
                        self._warned = True
                    font = ImageFont.load_default(size)
                self._fonts[size] = font
            return font

    def render(self, text: str, size: int, padding: int | None = None) -> np.ndarray:
        """`text` as a BGRA label (white text on a 60 %-opaque black box)."""
        font = self._font(size)
        pad = max(2, size // 4) if padding is None else padding
        left, top, right, bottom = font.getbbox(text)
        width, height = max(1, right - left) + 2 * pad, max(1, bottom - top) + 2 * pad
        image = Image.new("RGBA", (width, height), (0, 0, 0, 150))
        ImageDraw.Draw(image).text((pad - left, pad - top), text, font=font, fill=(255, 255, 255, 255))
        rgba = np.asarray(image)
        return np.ascontiguousarray(rgba[:, :, [2, 1, 0, 3]])

    @staticmethod
    def blit(frame: np.ndarray, label: np.ndarray, x: int, y: int) -> None:
        """Alpha-blend a BGRA `label` onto the BGR `frame` in place at (x, y), clipped."""
        h, w = frame.shape[:2]
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(w, x + label.shape[1]), min(h, y + label.shape[0])
        if x0 >= x1 or y0 >= y1:
            return
        part = label[y0 - y:y1 - y, x0 - x:x1 - x]
        alpha = part[:, :, 3:4].astype(np.uint16)
        region = frame[y0:y1, x0:x1]
        region[:] = ((part[:, :, :3].astype(np.uint16) * alpha + region.astype(np.uint16) * (255 - alpha)) // 255).astype(np.uint8)
