"""The status bar's word on vendors' devices and stations (controlroom/devices): how many
sources feed the room, which fell silent, and per source when it was last heard, its rate and
what was dropped and why, in the operator's words."""

from __future__ import annotations

from datetime import datetime

from controlroom.feeds.payloads import describe_reason
from controlroom.i18n import tr

SILENT_AFTER_S = 1800.0  # a source not heard for half an hour is named as silent


def _age(last_seen: str | None, now: datetime) -> float | None:
    if not last_seen:
        return None
    try:
        return (now - datetime.fromisoformat(last_seen)).total_seconds()
    except (TypeError, ValueError):
        return None


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return tr("nothing heard yet")
    if seconds < 90:
        return tr("last heard {n} s ago", n=int(seconds))
    if seconds < 5400:
        return tr("last heard {n} min ago", n=int(seconds // 60))
    return tr("last heard {n} h ago", n=int(seconds // 3600))


def source_health(sources: list[dict], now: datetime) -> tuple[str, str, str]:
    """(label text, level ok/warn, tooltip) for the sources in the service's health report."""
    silent = []
    lines = []
    for source in sources:
        age = _age(source.get("last_seen"), now)
        if age is None or age > SILENT_AFTER_S:
            silent.append(source.get("name") or source.get("id", "?"))
        dropped = source.get("dropped") or {}
        line = tr("{name} ({where}): {ago}, {rate} msg/s, {readings} readings",
                  name=source.get("name") or source.get("id", "?"), where=source.get("where", "?"), ago=_ago(age),
                  rate=source.get("rate", 0), readings=source.get("readings", 0))
        if dropped:
            line += "\n    " + tr("dropped:") + " " + "; ".join(
                f"{describe_reason(reason)} ({count})" for reason, count in sorted(dropped.items(), key=lambda kv: -kv[1]))
        problem = source.get("last_problem")
        if isinstance(problem, dict):
            text = f"{describe_reason(str(problem.get('reason')))}: {problem.get('detail', '')}"
            line += "\n    " + tr("last problem: {text}", text=text)
        lines.append(line)
    if silent:
        text = tr("Devices: {n} sources, {silent} silent", n=len(sources), silent=len(silent))
    else:
        text = tr("Devices: {n} sources", n=len(sources))
    return text, ("warn" if silent else "ok"), "\n".join(lines)
