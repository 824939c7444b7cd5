"""The theme's check boxes and radio buttons show on the dark panels: an empty box has a
light outline, a ticked one its tick (the theme's own image), a chosen radio button a dot.
Fusion's own indicators are dark on dark: which villages a broadcast goes to was unreadable."""

from __future__ import annotations

import numpy as np
from PyQt6.QtGui import QImage
from PyQt6.QtWidgets import QCheckBox, QRadioButton


def _indicator(qtbot, widget) -> np.ndarray:
    """RGB pixels of the indicator: the widget's left square (its text is empty)."""
    qtbot.addWidget(widget)
    widget.show()
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    side = image.height()
    pixels = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), np.uint8)
    pixels = pixels.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, :side, 2::-1]
    return pixels.astype(int)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]


def test_an_empty_box_and_an_unchosen_radio_have_an_outline_that_shows(qtbot, qapp):
    from controlroom.ui.shell.app import apply_theme

    apply_theme(qapp)
    for widget in (QCheckBox(""), QRadioButton("")):
        luma = _luma(_indicator(qtbot, widget))
        assert luma.max() - np.median(luma) > 80, type(widget).__name__  # the outline stands out


def test_a_ticked_box_shows_its_tick_and_a_chosen_radio_its_dot(qtbot, qapp):
    from controlroom.ui.shell.app import apply_theme

    apply_theme(qapp)
    box = QCheckBox("")
    box.setChecked(True)
    rgb = _indicator(qtbot, box)
    assert ((rgb[..., 2] > 200) & (rgb[..., 0] < 80)).sum() > 10  # the accent fill
    assert (rgb.min(axis=-1) > 220).sum() > 5  # the white tick: the theme's image was found
    radio = QRadioButton("")
    radio.setChecked(True)
    rgb = _indicator(qtbot, radio)
    assert ((rgb[..., 2] > 200) & (rgb[..., 0] < 80)).sum() > 10  # the dot
