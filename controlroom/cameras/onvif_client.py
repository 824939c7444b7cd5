"""ONVIF device, media and PTZ calls through onvif-zeep-async, with a blocking face.

onvif-zeep-async is asyncio-only; the console calls ONVIF from worker threads (PTZ service,
clock check, the add-camera dialog's worker). One named thread (``onvif-loop``) runs an event
loop for all cameras; `OnvifCamera` methods submit coroutines to it and wait with a timeout.
Never call them on the GUI thread. Every failure (SOAP fault, a reply zeep cannot parse —
some cameras use undeclared namespace prefixes, see PLATFORM.md —, network, timeout) comes
out as `OnvifError` with a message safe to show. The package is the optional extra `onvif`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timezone

from controlroom.i18n import tr

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 8.0


class OnvifError(Exception):
    """An ONVIF call failed (message is safe to show: no password)."""


def onvif_available() -> bool:
    try:
        import onvif  # noqa: F401
    except ImportError:
        return False
    return True


def require_onvif() -> None:
    if not onvif_available():
        raise OnvifError(tr("ONVIF support is not installed: pip install \"controlroom[onvif]\""))


class _Loop:
    """The one asyncio loop thread shared by every camera."""

    _lock = threading.Lock()
    _instance: "_Loop | None" = None

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="onvif-loop", daemon=True)
        self.thread.start()

    @classmethod
    def shared(cls) -> "_Loop":
        with cls._lock:
            if cls._instance is None or not cls._instance.thread.is_alive():
                cls._instance = _Loop()
            return cls._instance

    @classmethod
    def stop(cls) -> None:
        with cls._lock:
            instance, cls._instance = cls._instance, None
        if instance is not None:
            instance.loop.call_soon_threadsafe(instance.loop.stop)
            instance.thread.join(5)


def stop_loop() -> None:
    """End the shared loop thread (app shutdown)."""
    _Loop.stop()


@dataclass(frozen=True)
class MediaProfile:
    token: str
    name: str
    width: int | None
    height: int | None
    stream_uri: str


@dataclass(frozen=True)
class PtzPreset:
    token: str
    name: str


@dataclass(frozen=True)
class PtzStatus:
    pan: float
    tilt: float
    zoom: float
    moving: bool


def _expected_errors() -> tuple[type[BaseException], ...]:
    import aiohttp
    import httpx
    import zeep.exceptions

    return (zeep.exceptions.Error, ValueError, aiohttp.ClientError, httpx.HTTPError, OSError, asyncio.TimeoutError,
            AttributeError, TypeError, KeyError)


class OnvifCamera:
    """One camera's ONVIF services. Thread-safe: every call runs on the shared loop."""

    def __init__(self, host: str, port: int, user: str = "", password: str = "", timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        require_onvif()
        self.host, self.port = host, int(port)
        self._user, self._password = user, password
        self.timeout_s = timeout_s
        self._camera = None
        self._media = None
        self._ptz = None
        self._devicemgmt = None
        self._loop = _Loop.shared()

    def __repr__(self) -> str:
        return f"OnvifCamera({self.host}:{self.port})"

    # --- plumbing -----------------------------------------------------------------------------

    def _run(self, coro_fn, *args, what: str = ""):
        async def call():
            if self._camera is None:
                await self._connect()
            return await coro_fn(*args)

        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(call(), self.timeout_s), self._loop.loop)
        try:
            return future.result(self.timeout_s + 2)
        except OnvifError:
            raise
        except _expected_errors() as exc:  # one place maps everything the library throws
            future.cancel()
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            log.info("ONVIF %s on %s:%s failed: %s", what, self.host, self.port, reason)
            raise OnvifError(tr("camera {host}:{port} did not answer {what}: {reason}", host=self.host, port=self.port,
                                what=what or "ONVIF", reason=reason)) from exc

    async def _connect(self) -> None:
        from onvif import ONVIFCamera

        camera = ONVIFCamera(self.host, self.port, self._user, self._password, adjust_time=True)
        try:
            await camera.update_xaddrs()
            self._devicemgmt = await camera.create_devicemgmt_service()
            self._media = await camera.create_media_service()
        except BaseException:
            await camera.close()
            raise
        self._camera = camera

    async def _ptz_service(self):
        if self._ptz is None:
            self._ptz = await self._camera.create_ptz_service()
        return self._ptz

    def close(self) -> None:
        if self._camera is None:
            return
        camera, self._camera, self._ptz = self._camera, None, None
        future = asyncio.run_coroutine_threadsafe(camera.close(), self._loop.loop)
        try:
            future.result(self.timeout_s)
        except _expected_errors() as exc:
            log.info("closing ONVIF session of %s failed: %s", self.host, exc)

    # --- device -------------------------------------------------------------------------------

    def device_info(self) -> dict:
        async def call():
            info = await self._devicemgmt.GetDeviceInformation()
            return {"manufacturer": info.Manufacturer, "model": info.Model, "firmware": info.FirmwareVersion,
                    "serial": info.SerialNumber}
        return self._run(call, what="GetDeviceInformation")

    def clock_offset_s(self) -> float:
        """Camera clock minus PC clock, in seconds (positive: the camera is ahead). The PC
        time is taken halfway through the round trip; ONVIF gives whole seconds."""
        async def call():
            sent = datetime.now(timezone.utc)
            reply = await self._devicemgmt.GetSystemDateAndTime()
            received = datetime.now(timezone.utc)
            utc = reply.UTCDateTime
            camera = datetime(utc.Date.Year, utc.Date.Month, utc.Date.Day, utc.Time.Hour, utc.Time.Minute,
                              utc.Time.Second, tzinfo=timezone.utc)
            return (camera - (sent + (received - sent) / 2)).total_seconds()
        return self._run(call, what="GetSystemDateAndTime")

    # --- media --------------------------------------------------------------------------------

    def profiles(self) -> list[MediaProfile]:
        """The media profiles with their RTSP URIs, main stream (largest) first."""
        async def call():
            result = []
            for profile in await self._media.GetProfiles():
                request = {"StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
                           "ProfileToken": profile.token}
                uri = (await self._media.GetStreamUri(request)).Uri
                encoder = getattr(profile, "VideoEncoderConfiguration", None)
                resolution = getattr(encoder, "Resolution", None)
                width = getattr(resolution, "Width", None)
                height = getattr(resolution, "Height", None)
                result.append(MediaProfile(profile.token, profile.Name or profile.token, width, height, uri))
            return sorted(result, key=lambda p: -((p.width or 0) * (p.height or 0)))
        return self._run(call, what="GetProfiles")

    # --- PTZ ----------------------------------------------------------------------------------

    def continuous_move(self, profile: str, pan: float, tilt: float, zoom: float = 0.0) -> None:
        async def call():
            ptz = await self._ptz_service()
            await ptz.ContinuousMove({"ProfileToken": profile,
                                      "Velocity": {"PanTilt": {"x": pan, "y": tilt}, "Zoom": {"x": zoom}}})
        self._run(call, what="ContinuousMove")

    def stop(self, profile: str) -> None:
        async def call():
            ptz = await self._ptz_service()
            await ptz.Stop({"ProfileToken": profile, "PanTilt": True, "Zoom": True})
        self._run(call, what="Stop")

    def goto_home(self, profile: str) -> None:
        async def call():
            ptz = await self._ptz_service()
            await ptz.GotoHomePosition({"ProfileToken": profile})
        self._run(call, what="GotoHomePosition")

    def goto_preset(self, profile: str, token: str) -> None:
        async def call():
            ptz = await self._ptz_service()
            await ptz.GotoPreset({"ProfileToken": profile, "PresetToken": token})
        self._run(call, what="GotoPreset")

    def set_preset(self, profile: str, name: str, token: str | None = None) -> str:
        """Save the current position as preset `name` (overwrites `token` when given)."""
        async def call():
            ptz = await self._ptz_service()
            request = {"ProfileToken": profile, "PresetName": name}
            if token:
                request["PresetToken"] = token
            return str(await ptz.SetPreset(request))
        return self._run(call, what="SetPreset")

    def presets(self, profile: str) -> list[PtzPreset]:
        async def call():
            ptz = await self._ptz_service()
            return [PtzPreset(p.token, p.Name or p.token) for p in (await ptz.GetPresets({"ProfileToken": profile}) or [])]
        return self._run(call, what="GetPresets")

    def status(self, profile: str) -> PtzStatus:
        async def call():
            ptz = await self._ptz_service()
            status = await ptz.GetStatus({"ProfileToken": profile})
            position = status.Position
            move = getattr(status, "MoveStatus", None)
            moving = bool(move and str(getattr(move, "PanTilt", "IDLE")).upper() == "MOVING")
            return PtzStatus(float(position.PanTilt.x), float(position.PanTilt.y), float(position.Zoom.x), moving)
        return self._run(call, what="GetStatus")


@dataclass(frozen=True)
class ClockCheck:
    """A camera clock against the PC's (a drifting camera clock breaks evidence times)."""

    offset_s: float  # camera minus PC
    limit_s: float

    @property
    def drifting(self) -> bool:
        return abs(self.offset_s) > self.limit_s

    def message(self, camera_name: str, *, by_service: bool = False) -> str:
        """`by_service`: the check ran on the site's service PC, not this one; say so."""
        if not self.drifting:
            return tr("{camera}: clock within {limit:.0f} s of this PC", camera=camera_name, limit=self.limit_s)
        if by_service:
            return tr("{camera}: camera clock is {offset:+.0f} s off the control-room service's clock (limit {limit:.0f} s); "
                      "evidence times from it are wrong", camera=camera_name, offset=float(round(self.offset_s)), limit=self.limit_s)
        return tr("{camera}: camera clock is {offset:+.0f} s off this PC's (limit {limit:.0f} s); evidence times from it are wrong",
                  camera=camera_name, offset=float(round(self.offset_s)), limit=self.limit_s)


def check_clock(camera: OnvifCamera, limit_s: float) -> ClockCheck:
    """Blocking (worker thread): read the camera clock once and compare."""
    return ClockCheck(camera.clock_offset_s(), limit_s)
