"""Find ONVIF cameras on the LAN (WS-Discovery multicast probe, `wsdiscovery`) and turn a found
camera into a camera config entry with its main and sub stream URIs from the media service.

Blocking calls (worker thread only): `discover()` sends a probe and waits `timeout_s` for
ProbeMatches; `describe()` asks the camera's ONVIF services. WS-Discovery is multicast on
UDP 3702 of the operator's LAN; wsdiscovery skips loopback, so a camera on this PC alone is
not found (tests run it between two network namespaces). `python -m controlroom.cameras.onvif_discovery`
prints what it finds as JSON lines.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from dataclasses import asdict, dataclass
from urllib.parse import unquote, urlsplit

from controlroom.i18n import tr

log = logging.getLogger(__name__)

NVT_TYPE = ("http://www.onvif.org/ver10/network/wsdl", "NetworkVideoTransmitter")


@dataclass(frozen=True)
class FoundCamera:
    """A camera that answered the probe: its device-service address and advertised name."""

    xaddr: str
    host: str
    port: int
    name: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class CameraDescription:
    """What the add-camera dialog fills in from the camera's own services."""

    host: str
    port: int
    manufacturer: str
    model: str
    main_url: str
    sub_url: str
    main_size: tuple[int, int] | None
    sub_size: tuple[int, int] | None
    ptz: bool
    clock_offset_s: float


def _name_from_scopes(scopes: list[str]) -> str:
    for scope in scopes:
        match = re.match(r"onvif://www\.onvif\.org/name/(.+)$", scope)
        if match:
            return unquote(match.group(1)).replace("_", " ")
    return ""


def discover(timeout_s: float = 3.0) -> list[FoundCamera]:
    """Probe for ONVIF NetworkVideoTransmitters; one entry per device address."""
    from controlroom.cameras.onvif_client import OnvifError

    try:
        from wsdiscovery import QName
        from wsdiscovery.discovery import ThreadedWSDiscovery
    except ImportError as exc:
        raise OnvifError(tr("ONVIF support is not installed: pip install \"controlroom[onvif]\"")) from exc
    wsd = ThreadedWSDiscovery(ttl=1)
    wsd.start()
    try:
        services = wsd.searchServices(types=[QName(*NVT_TYPE)], timeout=timeout_s)
    finally:
        wsd.stop()
    found: dict[str, FoundCamera] = {}
    for service in services:
        scopes = [str(s.getValue() if hasattr(s, "getValue") else s) for s in service.getScopes()]
        for xaddr in service.getXAddrs():
            parts = urlsplit(xaddr)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                continue
            port = parts.port or (443 if parts.scheme == "https" else 80)
            found.setdefault(xaddr, FoundCamera(xaddr, parts.hostname, port, _name_from_scopes(scopes), tuple(scopes)))
    return sorted(found.values(), key=lambda c: (c.host, c.port))


def describe(host: str, port: int, user: str = "", password: str = "") -> CameraDescription:
    """Read device info, the clock and the profiles' stream URIs (raises OnvifError)."""
    from controlroom.cameras.onvif_client import OnvifCamera, OnvifError

    camera = OnvifCamera(host, port, user, password)
    try:
        info = camera.device_info()
        profiles = camera.profiles()
        if not profiles:
            raise OnvifError(tr("camera {host}:{port} has no media profile", host=host, port=port))
        main, sub = profiles[0], profiles[-1]
        try:
            camera.presets(main.token)
            ptz = True
        except OnvifError:
            ptz = False
        offset = camera.clock_offset_s()
    finally:
        camera.close()
    size = lambda p: (p.width, p.height) if p.width and p.height else None  # noqa: E731
    return CameraDescription(host, port, str(info.get("manufacturer") or ""), str(info.get("model") or ""),
                             main.stream_uri, sub.stream_uri, size(main), size(sub), ptz, offset)


def camera_entry_toml(camera_id: str, name: str, village: str, group: str, lat: float, lon: float,
                      description: CameraDescription, user: str = "", password_env: str = "",
                      max_clock_drift_s: float = 5.0) -> str:
    """A `[[cameras]]` block for the commune config (no password in it: see password_env)."""
    def q(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = ["[[cameras]]", f"id = {q(camera_id)}", f"name = {q(name)}", f"village = {q(village)}",
             f"group = {q(group)}", f"main_url = {q(description.main_url)}", f"sub_url = {q(description.sub_url)}",
             f"lat = {lat:.6f}", f"lon = {lon:.6f}", f"ptz = {'true' if description.ptz else 'false'}", "",
             "[cameras.onvif]", f"host = {q(description.host)}", f"port = {description.port}", f"user = {q(user)}",
             f"password_env = {q(password_env)}", f"max_clock_drift_s = {max_clock_drift_s:g}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    timeout = float(argv[0]) if argv else 3.0
    for camera in discover(timeout):
        print(json.dumps(asdict(camera), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
