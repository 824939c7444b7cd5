"""Qt's own words (dialog buttons, the file dialog, text-field menus) in the operator's language.

Qt ships no Vietnamese translation of itself (the PyQt6 wheel carries qtbase_*.qm for about
twenty languages, not vi), so "OK", "Cancel" or "Look in:" would stay English in a Vietnamese
room. This translator answers Qt's lookups for its widget contexts from our own catalogs
(``resources/i18n/<lang>/qt.toml``, keyed by Qt's English source text, mnemonics included).
"""

from __future__ import annotations

from PyQt6.QtCore import QCoreApplication, QLocale, QTranslator

from controlroom import i18n

QT_CONTEXTS = frozenset({
    "QPlatformTheme",  # standard buttons of QDialogButtonBox and QMessageBox
    "QFileDialog",
    "QFileSystemModel",
    "QLineEdit",
    "QWidgetTextControl",
    "QAbstractSpinBox",
    "QMessageBox",
    "QAbstractFileIconProvider",  # "Folder", "File" in the file dialog's type column
})


class CatalogTranslator(QTranslator):
    def translate(self, context, source_text, disambiguation=None, n=-1):  # noqa: D102 (Qt's virtual)
        # None reaches Qt as a null string: "no translation here", Qt keeps its English text
        # (an empty string would be taken as the translation and blank the button)
        if context not in QT_CONTEXTS or i18n.language() == "en":
            return None
        return i18n.catalog(i18n.language()).get(source_text)

    def isEmpty(self) -> bool:  # noqa: N802 (Qt's name)
        return False


def install(app: QCoreApplication) -> CatalogTranslator:
    """Install once, before the first widget is built (Qt translates texts when it creates them).
    Number fields follow the language too: "0,81" in a Vietnamese spin box, as on the tiles."""
    if i18n.language() == "vi":
        QLocale.setDefault(QLocale(QLocale.Language.Vietnamese, QLocale.Country.Vietnam))
    else:  # not the PC's own locale: an English console on a Vietnamese Windows writes 0.81 too
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    translator = CatalogTranslator(app)
    app.installTranslator(translator)
    return translator
