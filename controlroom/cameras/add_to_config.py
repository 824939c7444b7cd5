"""Adding a camera to the commune's file: one `[[cameras]]` block appended, and only if the file
with it still loads (ids, villages, groups and coordinates checked as at start). The new file
is written beside the old and renamed over it, so a failed write never leaves half a block.

Where the duties run this is the service's job (`config.add_camera` on the command channel):
an attached console sends the fields the add-camera dialog read from the camera, and the
service, which owns the file, checks the role, writes, audits and answers.
"""

from __future__ import annotations

import os
from pathlib import Path

from controlroom.cameras.onvif_discovery import CameraDescription, camera_entry_toml
from controlroom.config import ConfigError, load_config
from controlroom.i18n import tr


class CameraNotAdded(ValueError):
    """Why the camera was not added, in the operator's words."""


def suggested_camera_id(existing: list[str]) -> str:
    """A free id in the commune's own style: its cameras' common prefix ("vh_" of "vh_ben_thuyen",
    "vh_cau_ven_dam") before "cam" and the next number, never one already taken."""
    prefix = os.path.commonprefix(existing) if len(existing) > 1 else ""
    prefix = prefix[:prefix.rfind("_") + 1]  # up to a whole word: "vh_", not "vh_b"
    taken, number = set(existing), len(existing) + 1
    while f"{prefix}cam{number:02d}" in taken:
        number += 1
    return f"{prefix}cam{number:02d}"


TEXT_FIELDS = ("id", "name", "village", "group", "main_url", "sub_url", "onvif_host", "user", "password_env")


def camera_block(fields: dict) -> str:
    """The TOML block of the fields the dialog sends; CameraNotAdded names a missing or bad one."""
    try:
        text = {key: str(fields[key]).strip() for key in TEXT_FIELDS}
        lat, lon = float(fields["lat"]), float(fields["lon"])
        port, drift = int(fields["onvif_port"]), float(fields.get("max_clock_drift_s", 5.0))
    except KeyError as exc:
        raise CameraNotAdded(tr("the camera's {field} is missing", field=exc.args[0])) from None
    except (TypeError, ValueError) as exc:
        raise CameraNotAdded(tr("the camera's fields are not understood: {reason}", reason=str(exc))) from None
    if not text["id"] or not text["name"]:
        raise CameraNotAdded(tr("Give the camera an id and a name"))
    description = CameraDescription(host=text["onvif_host"], port=port, manufacturer="", model="",
                                    main_url=text["main_url"], sub_url=text["sub_url"], main_size=None,
                                    sub_size=None, ptz=bool(fields.get("ptz", False)), clock_offset_s=0.0)
    return camera_entry_toml(text["id"], text["name"], text["village"], text["group"], lat, lon, description,
                             text["user"], text["password_env"], drift)


def append_camera(path: Path, fields: dict) -> Path:
    """Append the camera to the file at `path`; CameraNotAdded (every problem, one per line) if the
    file would not load with it, OSError if it cannot be written. Returns the path."""
    path = Path(path)
    try:
        current = load_config(path)
    except ConfigError as exc:
        raise CameraNotAdded("\n".join(exc.messages)) from None
    camera_id = str(fields.get("id", "")).strip()
    if any(camera.id == camera_id for camera in current.cameras):
        raise CameraNotAdded(tr("The id {id} is already used", id=camera_id))
    block = camera_block(fields)
    candidate = path.with_name(path.name + ".new")
    try:
        candidate.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + block, encoding="utf-8")
        load_config(candidate)
        os.replace(candidate, path)
    except ConfigError as exc:
        raise CameraNotAdded("\n".join(m.replace(str(candidate), str(path)) for m in exc.messages)) from None
    finally:
        candidate.unlink(missing_ok=True)  # gone already once renamed
    return path
