"""Vendors' devices and stations into the room: device profiles (declarative JMESPath mappings,
built-in ones for ChirpStack, The Things Stack, Tasmota, Zigbee2MQTT, ESPHome and
Sensor.Community), an HTTP receiver, and drop folders (with an FTP drop) for TT 10/2021 station
files. Runs in the service only: a console attached to its service maps nothing.

`setup(core)` registers the MQTT sources on ``core.feed`` (before it connects) and returns
``core.devices``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from controlroom.core import ControlRoomCore
    from controlroom.devices.service import DeviceSources


def setup(core: "ControlRoomCore") -> "DeviceSources":
    from controlroom.devices.service import DeviceSources

    sources = DeviceSources(core.config, core.feed, core.bus.publish_batch, enabled=not core.attached)
    sources.start()
    return sources
