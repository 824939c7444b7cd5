"""Qt's own buttons and menus speak Vietnamese: Qt ships no vi translation of itself."""

from __future__ import annotations

from PyQt6.QtCore import QLocale
from PyQt6.QtWidgets import QApplication, QDialogButtonBox, QDoubleSpinBox, QMessageBox

from controlroom import i18n
from controlroom.ui.shell import qt_translations


def test_standard_buttons_are_translated_from_our_catalog(qtbot):
    before = QLocale()
    translator = qt_translations.install(QApplication.instance())
    try:
        forecast = QDoubleSpinBox()
        qtbot.addWidget(forecast)
        forecast.setValue(0.81)
        assert forecast.text() == "0,81"  # a decimal comma, as on the tiles
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        qtbot.addWidget(box)
        assert box.button(QDialogButtonBox.StandardButton.Ok).text() == "Đồng ý"
        assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "Hủy"
        question = QMessageBox(QMessageBox.Icon.Question, "", "",
                               QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        qtbot.addWidget(question)
        assert question.button(QMessageBox.StandardButton.Yes).text() == "&Có"

        i18n.set_language("en")  # English stays Qt's own
        english = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        qtbot.addWidget(english)
        assert english.button(QDialogButtonBox.StandardButton.Cancel).text() == "Cancel"
    finally:
        i18n.set_language(i18n.DEFAULT_LANGUAGE)
        QApplication.instance().removeTranslator(translator)
        QLocale.setDefault(before)
