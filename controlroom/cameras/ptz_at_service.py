"""PTZ on a console attached to its site's service.

The console's joystick, home and preset buttons become commands; the service checks the role,
moves the camera (one ONVIF client per camera, at the service), audits and answers. A move
is sent as the operator pushes; the service keeps only the newest velocity per camera, so a
burst of updates never queues up at the camera.
"""

from __future__ import annotations

from concurrent.futures import Future

from controlroom.access.operators import Operator, authorize
from controlroom.cameras.onvif_client import PtzPreset
from controlroom.cameras.ptz import PtzService
from controlroom.service.client import refused_as
from controlroom.service.futures import then


class PtzAtService(PtzService):
    def __init__(self, config, commands) -> None:
        super().__init__(config, None)
        self._commands = commands

    def move(self, operator: Operator, camera_id: str, pan: float, tilt: float, zoom: float = 0.0) -> None:
        self._send(operator, "ptz.move", camera_id, {"pan": pan, "tilt": tilt, "zoom": zoom})

    def stop(self, operator: Operator, camera_id: str) -> None:
        self._send(operator, "ptz.stop", camera_id, {})

    def goto_home(self, operator: Operator, camera_id: str) -> None:
        self._send(operator, "ptz.home", camera_id, {})

    def goto_preset(self, operator: Operator, camera_id: str, name: str) -> Future:
        return _answered(self._send(operator, "ptz.preset", camera_id, {"preset": name}), lambda r: str(r["token"]))

    def save_preset(self, operator: Operator, camera_id: str, name: str) -> Future:
        return _answered(self._send(operator, "ptz.save_preset", camera_id, {"preset": name}), lambda r: str(r["token"]))

    def presets(self, camera_id: str) -> Future:
        sent = self._commands.send("ptz.presets", {"camera": camera_id})
        return _answered(sent, lambda r: [PtzPreset(str(p["token"]), str(p["name"])) for p in r["presets"]])

    def on_alert_changed(self, change) -> list[tuple[str, str]]:
        """Alarm presets are the service's."""
        return []

    def _send(self, operator: Operator, op: str, camera_id: str, args: dict) -> Future:
        authorize(operator, "camera.ptz")  # said at once, nothing sent
        if not self.supports(camera_id):
            from controlroom.i18n import tr

            raise LookupError(tr("camera {camera} has no PTZ", camera=camera_id))
        return self._commands.send(op, {"camera": camera_id, **args})


def _answered(sent: Future, convert) -> Future:
    """The service's answer converted; a refusal as a LookupError in the operator's words."""
    return then(sent, convert, refused_as(LookupError))
