"""A saved window layout that crashed the console's last start is not restored again.

Qt can crash (not raise) while restoring a dock arrangement it cannot lay out; a console that
dies at every start until someone deletes a file in the data folder is no console at 3 a.m. A
marker is written before the saved layouts are restored and removed once the window is up and
the event loop runs. Found at the next start, it says the last restore never finished: the
saved layouts are moved aside (kept, with ".broken", for whoever looks into it) and the
console opens with its default arrangement.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

MARKER = "layout-restoring"


class LayoutGuard:
    def __init__(self, folder: Path, layout_files: tuple[str, ...]) -> None:
        self.folder = folder
        self.layout_files = layout_files
        self.marker = folder / MARKER

    def begin(self) -> bool:
        """Before the saved layouts are restored. True when the last start died restoring them
        (they are moved aside now, so this start uses the default arrangement)."""
        crashed = self.marker.exists()
        if crashed:
            for name in self.layout_files:
                path = self.folder / name
                if path.exists():
                    path.replace(path.with_name(path.name + ".broken"))
            log.warning("the last start ended while restoring the saved window layout: it is set aside (%s) "
                        "and the default arrangement is used", ", ".join(f"{n}.broken" for n in self.layout_files))
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.marker.write_text("restoring the saved window layout\n", encoding="utf-8")
        except OSError as exc:  # a read-only data folder: no guard, the console still starts
            log.warning("layout guard not written: %s", exc)
        return crashed

    def done(self) -> None:
        """The window is up with the restored layout: nothing crashed."""
        try:
            self.marker.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("layout guard not removed: %s", exc)
