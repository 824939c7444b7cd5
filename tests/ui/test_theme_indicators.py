"""The theme shows states plainly: an empty check box has a light outline, a ticked one its tick
(the theme's own image), a chosen radio button a dot (Fusion's own indicators are dark on dark:
which villages a broadcast goes to was unreadable); a danger button is red only while enabled."""

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


def test_a_danger_button_is_red_while_it_may_be_pressed_and_grey_when_not(qtbot, qapp):
    """The flood-warning and emergency buttons keep their red only while the role may press them:
    a viewer saw a bright red "Flood warning (F8)" it could not use."""
    from PyQt6.QtWidgets import QPushButton

    from controlroom.ui.shell.app import apply_theme

    apply_theme(qapp)
    button = QPushButton("Cảnh báo lũ… (F8)")
    button.setProperty("role", "danger")
    button.setStyleSheet("font-weight: bold; padding: 8px 16px;")  # as the flood panel sizes it
    qtbot.addWidget(button)
    button.show()

    def mean_rgb() -> np.ndarray:
        image = button.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
        pixels = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), np.uint8)
        return pixels.reshape(-1, 4)[:, 2::-1].mean(axis=0)

    red, green, _ = mean_rgb()
    assert red > 2 * green, (red, green)
    button.setEnabled(False)
    red, green, _ = mean_rgb()
    assert red < 1.3 * green, (red, green)
