"""Plain event types that travel on the core's event bus.

Every timestamp is a timezone-aware UTC datetime; local time (the site's zone) is only a
display concern.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple


class Reading(NamedTuple):
    """One value of one metric of one sensor, addressed as sensor/<sensor_id>/<metric>.

    A named tuple, not a frozen dataclass: the ingest path makes one per value (tens of
    thousands a second in a flood), and a frozen dataclass's __init__ cost 0.86 us against
    0.35 us here (four object.__setattr__ calls). Immutable and hashable all the same."""

    sensor_id: str
    metric: str
    ts: datetime
    value: float

    @property
    def address(self) -> str:
        return f"sensor/{self.sensor_id}/{self.metric}"


@dataclass(frozen=True, slots=True)
class HistoryBacklog:
    """Readings of one sensor that arrived too late to be live (alerts/backlog.py), summed up:
    how many, their time span, and per metric (metric, highest, at, lowest, at)."""

    sensor_id: str
    count: int
    first_ts: datetime
    last_ts: datetime
    extremes: tuple[tuple[str, float, datetime, float, datetime], ...]


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """A device's online/offline state (retained status topic, also its Last Will)."""

    device_id: str
    online: bool
    ts: datetime


@dataclass(frozen=True, slots=True)
class SpeakerStatus:
    """A loudspeaker receiver's retained status: idle / playing / fault / offline."""

    speaker_id: str
    state: str
    volume: int | None
    job: str | None
    ts: datetime


@dataclass(frozen=True, slots=True)
class SpeakerAck:
    """A speaker's answer to a command: started / finished / rejected / failed."""

    speaker_id: str
    job: str
    result: str
    detail: str | None
    ts: datetime


@dataclass(frozen=True, slots=True)
class CitizenReport:
    """A citizen feedback report (phản ánh hiện trường) from the feedback bridge."""

    report_id: str
    ts: datetime
    category: str
    text: str
    lat: float | None
    lon: float | None
    photo_url: str | None
    reporter: str | None


@dataclass(frozen=True, slots=True)
class RoomAlertMessage:
    """Alert state shared between consoles on <site>/room/alert/<id> (raw JSON dict)."""

    alert_id: str
    state: dict
    ts: datetime


@dataclass(frozen=True, slots=True)
class Rejected:
    """A payload that was dropped, with the reason it was counted under."""

    reason: str
    topic: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """Connection state of an outward link (broker, database) for the status bar."""

    link: str  # "broker" | "database"
    connected: bool
    detail: str = ""
