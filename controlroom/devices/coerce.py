"""Vendors' values and times as the room's: numbers sent as text, ``nan``/``None`` for "no
measurement", units written after the number, times with or without an offset, in seconds or
milliseconds or a pattern of their own. Each problem is a ``ValueProblem`` with a reason code
(feeds/payloads.py REASONS plus this package's) and the offending text."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone, tzinfo

UTC = timezone.utc
EARLIEST_TS = datetime(2000, 1, 1, tzinfo=UTC)
MAX_CLOCK_SKEW = timedelta(minutes=10)
NO_VALUE_WORDS = frozenset({"nan", "-nan", "none", "null", "unknown", "unavailable", "n/a", "na", "-", "--", ""})
_NUMBER = re.compile(r"\s*([-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_EPOCH_MS_FROM = 1e11  # an epoch number above this is milliseconds (1e11 s is the year 5138)


class ValueProblem(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


class NoValue(Exception):
    """The device says it has no measurement (nan, None, "unavailable"): not an error."""


def short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def number(raw: object) -> tuple[float, str]:
    """(value, unit written after it or "") from a JSON value or a device's text."""
    kind = type(raw)
    if kind is float:
        if math.isnan(raw):
            raise NoValue
        if math.isinf(raw):
            raise ValueProblem("not_finite", short(raw))
        return raw, ""
    if kind is int:
        return float(raw), ""
    if kind is bool:
        return (1.0 if raw else 0.0), ""
    if raw is None:
        raise NoValue
    if kind is str:
        text = raw.strip()
        word = text.lower()
        if word in NO_VALUE_WORDS:
            raise NoValue
        if word in ("on", "true", "open"):
            return 1.0, ""
        if word in ("off", "false", "closed"):
            return 0.0, ""
        match = _NUMBER.fullmatch(text)
        if match is None:
            raise ValueProblem("wrong_type", "not a number: " + short(raw))
        value = float(match.group(1).replace(",", "."))
        if math.isinf(value):
            raise ValueProblem("not_finite", short(raw))
        return value, match.group(2)
    raise ValueProblem("wrong_type", f"{kind.__name__} {short(raw)}")


def same_unit(written: str, configured: str) -> bool:
    """Whether a unit a device wrote is the metric's unit ("ug/m3" is "µg/m³", "C" is "°C")."""
    return _unit_key(written) == _unit_key(configured)


def _unit_key(unit: str) -> str:
    key = unit.strip().lower().replace(" ", "").replace("°", "").replace("º", "")
    for old, new in (("μ", "u"), ("µ", "u"), ("³", "3"), ("²", "2"), ("‰", "ppt")):
        key = key.replace(old, new)
    return key


def timestamp(raw: object, style: str, zone: tzinfo, received_at: datetime) -> datetime:
    """An aware UTC time from `raw` by `style` (auto, iso, epoch_s, epoch_ms or a strptime
    pattern); a time without an offset is in `zone`. None: the time the message arrived."""
    if raw is None:
        return received_at
    try:
        if style == "auto":
            style = "iso" if isinstance(raw, str) else "epoch"
        if style == "iso":
            if not isinstance(raw, str):
                raise ValueProblem("bad_timestamp", "not text: " + short(raw))
            ts = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        elif style.startswith("epoch"):
            seconds = _epoch_number(raw)
            if style == "epoch_ms" or (style == "epoch" and abs(seconds) >= _EPOCH_MS_FROM):
                seconds /= 1000.0
            ts = datetime.fromtimestamp(seconds, UTC)
        else:
            ts = datetime.strptime(str(raw).strip(), style)
    except (ValueError, OverflowError, OSError, TypeError):
        raise ValueProblem("bad_timestamp", short(raw)) from None
    if ts.tzinfo is None or ts.utcoffset() is None:
        ts = ts.replace(tzinfo=zone)
    ts = ts.astimezone(UTC)
    if ts > received_at + MAX_CLOCK_SKEW:
        raise ValueProblem("future_timestamp", ts.isoformat())
    if ts < EARLIEST_TS:
        raise ValueProblem("bad_timestamp", "before 2000: " + ts.isoformat())
    return ts


def _epoch_number(raw: object) -> float:
    if isinstance(raw, bool):
        raise ValueProblem("bad_timestamp", short(raw))
    if isinstance(raw, (int, float)):
        return float(raw)
    if isinstance(raw, str):
        return float(raw.strip())
    raise ValueProblem("bad_timestamp", short(raw))
