"""A time axis whose day and month ticks speak the operator's language ("T5 03", "Th12").

pyqtgraph's DateAxisItem formats them with strftime in the C locale ("Thu 03", "Dec"); the
names are swapped for their catalog entries, everything else (hours, years) is left alone.
"""

from __future__ import annotations

import pyqtgraph as pg

from controlroom.i18n import tr


def _names() -> dict[str, str]:
    return {
        "Mon": tr("Mon"), "Tue": tr("Tue"), "Wed": tr("Wed"), "Thu": tr("Thu"), "Fri": tr("Fri"),
        "Sat": tr("Sat"), "Sun": tr("Sun"),
        "Jan": tr("Jan"), "Feb": tr("Feb"), "Mar": tr("Mar"), "Apr": tr("Apr"), "May": tr("May"),
        "Jun": tr("Jun"), "Jul": tr("Jul"), "Aug": tr("Aug"), "Sep": tr("Sep"), "Oct": tr("Oct"),
        "Nov": tr("Nov"), "Dec": tr("Dec"),
    }


class LocalDateAxis(pg.DateAxisItem):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._local_names = _names()

    def tickStrings(self, values, scale, spacing):
        names = self._local_names
        strings = super().tickStrings(values, scale, spacing)
        return [" ".join(names.get(word, word) for word in text.split(" ")) for text in strings]
