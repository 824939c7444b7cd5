"""A console's MQTT client id, and telling a console's presence from a device's.

Every console says it is online on ``<site>/device/<client id>/status`` (retained, and as its
Last Will), so the other console and the devices list see it come and go. Its id is made from
the commune and the PC's name; an operator reads the PC's name, not the id.
"""

from __future__ import annotations

import re
import socket

from controlroom.config import Config


def default_client_id(config: Config) -> str:
    """A stable id per console: the session (and its queue) is bound to it."""
    raw = config.mqtt.client_id or f"{_console_prefix(config)}{socket.gethostname()}"
    return _topic_safe(raw)[:64]


def console_host(config: Config, device_id: str) -> str | None:
    """The PC a console runs on, when `device_id` is a console's own presence; None for a
    real device."""
    prefix = _topic_safe(_console_prefix(config))
    if device_id.startswith(prefix) and len(device_id) > len(prefix):
        return device_id[len(prefix):]
    return device_id if config.mqtt.client_id and device_id == default_client_id(config) else None


def _console_prefix(config: Config) -> str:
    return f"controlroom-{config.site.id}-"


def _topic_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)
