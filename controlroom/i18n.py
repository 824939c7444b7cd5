"""One translation mechanism for every user-visible string: ``tr("English source")``.

Catalogs are TOML files in ``controlroom.resources/i18n/<lang>/*.toml`` mapping the English
source text to its translation (one file per area, so parts of the app do not edit the same
file). Vietnamese is the default language. A source text missing from the active catalog is
shown in English and remembered in ``missing()`` so a test can fail on it.

Placeholders use ``str.format`` names: ``tr("{n} readings/s", n=12)``.
"""

from __future__ import annotations

import threading
import tomllib
from importlib import resources

DEFAULT_LANGUAGE = "vi"
SUPPORTED_LANGUAGES = ("vi", "en")

_lock = threading.Lock()
_language = DEFAULT_LANGUAGE
_catalogs: dict[str, dict[str, str]] = {}
_missing: set[str] = set()


def _load_catalog(language: str) -> dict[str, str]:
    catalog: dict[str, str] = {}
    folder = resources.files("controlroom.resources").joinpath("i18n", language)
    if not folder.is_dir():
        return catalog
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            catalog.update(tomllib.loads(entry.read_text(encoding="utf-8")))
    return catalog


def set_language(language: str) -> None:
    """Switch the UI language; unknown codes raise ValueError."""
    global _language
    if language not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; use one of {SUPPORTED_LANGUAGES}")
    with _lock:
        _language = language


def language() -> str:
    return _language


def catalog(language_code: str) -> dict[str, str]:
    with _lock:
        if language_code not in _catalogs:
            _catalogs[language_code] = _load_catalog(language_code)
        return _catalogs[language_code]


def tr(source: str, /, **values: object) -> str:
    """Translate `source` into the active language, then fill `{name}` placeholders."""
    text = source
    if _language != "en":
        translated = catalog(_language).get(source)
        if translated is None:
            _missing.add(source)
        else:
            text = translated
    return text.format(**values) if values else text


def format_number(value: float, decimals: int = 2) -> str:
    """A number on screen in the UI language's style: "0,81" in Vietnamese, "0.81" in English,
    as the number fields (Qt's locale) write it. A value that rounds to zero has no sign (a
    steady river reads "0,0", not "-0,0"). Spoken bulletins are always Vietnamese: flood.text."""
    rounded = round(value, decimals) or 0.0
    return f"{rounded:.{decimals}f}".replace(".", decimal_mark())


def decimal_mark() -> str:
    """The UI language's decimal mark: "," in Vietnamese, "." in English."""
    return "," if _language == "vi" else "."


def missing() -> set[str]:
    """Source texts asked for in a non-English language that had no translation."""
    return set(_missing)
