"""Numbers as the room writes them on tiles and plots."""

from __future__ import annotations


def format_number(value: float, decimals: int = 2) -> str:
    """Vietnamese number style: decimal comma (1,25). A value that rounds to zero has no sign
    (a steady river reads "0,0", not "-0,0")."""
    rounded = round(value, decimals) or 0.0
    return f"{rounded:.{decimals}f}".replace(".", ",")
