"""The latest known value of everything, for views that bind to an address.

Addresses follow the PyDM habit: ``sensor/<id>/<metric>``, ``device/<id>``,
``speaker/<id>``. Written from the bus (feed thread), read from any thread. It holds one
entry per address, so it never grows with the number of readings.
"""

from __future__ import annotations

import threading
from datetime import datetime

from controlroom.bus import EventBus
from controlroom.domain import DeviceStatus, Reading, SpeakerStatus


class LiveState:
    def __init__(self, bus: EventBus) -> None:
        self._lock = threading.Lock()
        self._readings: dict[str, Reading] = {}
        self._devices: dict[str, DeviceStatus] = {}
        self._speakers: dict[str, SpeakerStatus] = {}
        bus.subscribe(Reading, self._on_reading, batch=self._on_readings)
        bus.subscribe(DeviceStatus, self._on_device)
        bus.subscribe(SpeakerStatus, self._on_speaker)

    def _on_reading(self, reading: Reading) -> None:
        with self._lock:
            current = self._readings.get(reading.address)
            if current is None or reading.ts >= current.ts:
                self._readings[reading.address] = reading

    def _on_readings(self, batch) -> None:
        """Bus batch callback: one lock for the readings of a whole read burst."""
        with self._lock:
            latest = self._readings
            get = latest.get
            for reading in batch:
                address = f"sensor/{reading.sensor_id}/{reading.metric}"
                current = get(address)
                if current is None or reading.ts >= current.ts:
                    latest[address] = reading

    def _on_device(self, status: DeviceStatus) -> None:
        with self._lock:
            self._devices[status.device_id] = status

    def _on_speaker(self, status: SpeakerStatus) -> None:
        with self._lock:
            self._speakers[status.speaker_id] = status

    def reading(self, address: str) -> Reading | None:
        with self._lock:
            return self._readings.get(address)

    def readings(self) -> dict[str, Reading]:
        with self._lock:
            return dict(self._readings)

    def device(self, device_id: str) -> DeviceStatus | None:
        with self._lock:
            return self._devices.get(device_id)

    def devices(self) -> dict[str, DeviceStatus]:
        with self._lock:
            return dict(self._devices)

    def speakers(self) -> dict[str, SpeakerStatus]:
        with self._lock:
            return dict(self._speakers)

    def last_reading_time(self, sensor_id: str) -> datetime | None:
        prefix = f"sensor/{sensor_id}/"
        with self._lock:
            times = [r.ts for a, r in self._readings.items() if a.startswith(prefix)]
        return max(times) if times else None
