"""Camera stream addresses: redaction of credentials and the demo's synthetic sources.

Camera URLs often carry a user and password (``rtsp://admin:secret@10.0.0.5/...``, or
``?user=admin&password=secret`` on Dahua-class devices). Every log line, tooltip and error
message shows a URL only through `redact_url`, so a password never reaches a screen or a file.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

if TYPE_CHECKING:
    from controlroom.config import CameraConfig, Config

Stream = Literal["main", "sub"]
SYNTHETIC_SCHEME = "synthetic"

_SECRET_QUERY_KEYS = re.compile(
    r"(?i)([?&;](?:user(?:name)?|pass(?:word)?|pwd|passwd|auth|token|key|secret|sig(?:nature)?)=)[^&;#]*"
)
_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)([^/@?#]*)@")


def redact_url(url: str | None) -> str:
    """The URL with any user info and secret query values replaced by ``***``.

    Works on malformed URLs too (it never raises): ``rtsp://admin:pw@host/x`` ->
    ``rtsp://***@host/x``; ``...?user=a&password=b`` -> ``...?user=***&password=***``."""
    if not url:
        return ""
    text = _USERINFO.sub(lambda m: m.group(1) + "***@", str(url), count=1)
    return _SECRET_QUERY_KEYS.sub(lambda m: m.group(1) + "***", text)


def redact_text(text: str, *urls: str) -> str:
    """Replace every occurrence of the given URLs (and any credentials left) in a message,
    e.g. an FFmpeg error that quotes the address it failed on."""
    result = str(text)
    for url in urls:
        if url:
            result = result.replace(url, redact_url(url))
    return _USERINFO.sub(lambda m: m.group(1) + "***@", result)


def demo_stream_url(camera: "CameraConfig", stream: Stream = "sub", timezone: str = "Asia/Ho_Chi_Minh") -> str:
    """The synthetic source standing in for a camera in --demo mode (no network); its clock
    shows `timezone`'s local time, like a camera's on-screen display.

    The main stream is 1280x720 at 15 fps, the sub stream 480x270 at 10 fps: the same
    main/sub contrast real cameras have, at a cost a laptop can carry for 41 cameras."""
    size = "w=1280&h=720&fps=15" if stream == "main" else "w=480&h=270&fps=10"
    return f"{SYNTHETIC_SCHEME}://{camera.id}?{size}&name={quote(camera.name)}&tz={quote(timezone)}"


def with_demo_streams(config: "Config") -> "Config":
    """A copy of `config` whose cameras read synthetic sources (for ``--demo``). Their ONVIF
    blocks go too: a synthetic camera has no device to ask, and the demo reaches nothing
    beyond this PC."""
    cameras = [
        camera.model_copy(update={"main_url": demo_stream_url(camera, "main", config.site.timezone),
                                  "sub_url": demo_stream_url(camera, "sub", config.site.timezone), "backend": "opencv",
                                  "onvif": None})
        for camera in config.cameras
    ]
    return config.model_copy(update={"cameras": cameras})


CAMERA_SOURCE_ENV = "CONTROLROOM_CAMERA_SOURCE"


def camera_source_config(config: "Config") -> "Config":
    """The config whose camera URLs the wall opens, by ``CONTROLROOM_CAMERA_SOURCE``:
    "config" (default) the configured cameras; "synthetic" the demo's synthetic sources (tests
    and demos never reach for the example cameras' addresses); "off" no cameras at all."""
    import os

    mode = os.environ.get(CAMERA_SOURCE_ENV, "config").strip().lower()
    if mode == "synthetic":
        return with_demo_streams(config)
    if mode == "off":
        return config.model_copy(update={"cameras": []})
    return config
