"""Finding a panel's dock: a panel can sit in a hidden tab, and a click elsewhere should show it."""

from __future__ import annotations

from PyQt6.QtWidgets import QDockWidget, QWidget


def bring_to_front(widget: object) -> None:
    """Show and raise the dock holding `widget`; services that are not widgets are left alone."""
    parent = widget if isinstance(widget, QWidget) else None
    while parent is not None and not isinstance(parent, QDockWidget):
        parent = parent.parentWidget()
    if parent is not None:
        parent.show()
        parent.raise_()
