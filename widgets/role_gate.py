"""Controls follow the acting operator's role: what the role may not do is disabled, the reason
(in the operator's words) as its tooltip, so a viewer learns it before filling in a dialog.
The core refuses the action anyway; this only says so first. Each panel lists its controls
with the action each needs and calls `gate` whenever the session changes."""

from __future__ import annotations

from collections.abc import Iterable

from PyQt6.QtWidgets import QWidget

from controlroom.access.operators import Operator, PermissionDenied

OWN_TIP = "roleGateOwnTip"  # the control's own tooltip, shown again when the role allows it


def refusal(operator: Operator, action: str) -> str:
    """Why `operator` may not do `action`, or "" when they may."""
    return "" if operator.may(action) else str(PermissionDenied(operator, action))


def gate(operator: Operator, controls: Iterable[tuple[QWidget, str]]) -> None:
    """Enable each (control, action) the role allows, with its own tooltip; disable the others
    with the reason as tooltip."""
    for control, action in controls:
        if control.property(OWN_TIP) is None:
            control.setProperty(OWN_TIP, control.toolTip())
        reason = refusal(operator, action)
        control.setEnabled(not reason)
        control.setToolTip(reason or control.property(OWN_TIP))
