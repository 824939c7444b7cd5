"""A real ONVIF camera for tests: ipycam (MIT), run as its own process, bound to one address.

Usage: python onvif_peer.py HOST ONVIF_PORT RTSP_PORT [--discovery] [--user U --password P] [--clock-offset S]

ipycam binds 0.0.0.0 and multicasts a Hello on start; here its HTTP (ONVIF) and RTSP servers
bind HOST only, and WS-Discovery runs only with --discovery (tests pass it only inside a
network namespace they created). Two reply bugs of ipycam 1.3.0 are corrected at start-up
(PLATFORM.md): its envelope does not declare the `ptz`/`tptz` prefixes its PTZ replies use,
and GetStatus leaves its move-status placeholders unfilled. Frames are synthetic: a moving
bar and the frame number, so a reader can see the picture change. Prints "READY" when up.
"""

from __future__ import annotations

import argparse
import functools
import logging
import signal
import sys
import threading
import time

import cv2
import numpy as np
from ipycam import camera as ipycam_camera
from ipycam import CameraConfig, IPCamera

PTZ_NS = 'xmlns:ptz="http://www.onvif.org/ver20/ptz/wsdl" xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl"'


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("onvif_port", type=int)
    parser.add_argument("rtsp_port", type=int)
    parser.add_argument("--discovery", action="store_true")
    parser.add_argument("--user", default="")
    parser.add_argument("--password", default="")
    parser.add_argument("--name", default="Virtual PTZ")
    parser.add_argument("--clock-offset", type=float, default=0.0, help="seconds the camera clock is ahead")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    host = args.host
    server_class = ipycam_camera.ReusableThreadingTCPServer

    class BoundServer(server_class):
        def __init__(self, address, handler):
            super().__init__((host, address[1]), handler)

    ipycam_camera.ReusableThreadingTCPServer = BoundServer
    ipycam_camera.NativeRTSPServer = functools.partial(ipycam_camera.NativeRTSPServer, host=host)
    ipycam_camera.check_go2rtc_running = lambda port=None: False
    ipycam_camera.is_webrtc_available = lambda: False
    if not args.discovery:
        class NoDiscovery:
            def __init__(self, *a, **k): pass
            def start(self): pass
            def stop(self): pass
        ipycam_camera.WSDiscoveryServer = NoDiscovery

    config = CameraConfig(name=args.name, local_ip=host, onvif_port=args.onvif_port, rtsp_port=args.rtsp_port,
                          username=args.user, password=args.password, main_width=640, main_height=360, main_fps=10,
                          sub_width=320, sub_height=180, sub_fps=10, main_bitrate="800K", sub_bitrate="300K",
                          show_timestamp=False)
    cam = IPCamera(config)
    templates = cam.onvif._templates
    templates["envelope"] = templates["envelope"].replace('xmlns:s=', PTZ_NS + ' xmlns:s=', 1)
    templates["ptz_get_status"] = (templates["ptz_get_status"].replace("{{pan_tilt_status}}", "{{move_status}}")
                                   .replace("{{zoom_status}}", "{{move_status}}")
                                   .replace("{{utc_time}}", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
    if args.discovery:  # wsdiscovery drops a ProbeMatch that is not inside ProbeMatches
        templates["probe_match"] = (templates["probe_match"]
                                    .replace("<d:ProbeMatch>", "<d:ProbeMatches><d:ProbeMatch>")
                                    .replace("</d:ProbeMatch>", "</d:ProbeMatch></d:ProbeMatches>")
                                    .replace("discovery/ProbeMatch<", "discovery/ProbeMatches<"))
    if args.clock_offset:
        render = cam.onvif._render

        def drifted_date_time() -> str:
            now = time.gmtime(time.time() + args.clock_offset)
            return cam.onvif._wrap_envelope(render("get_system_date_time", hour=now.tm_hour, minute=now.tm_min,
                                                   second=now.tm_sec, year=now.tm_year, month=now.tm_mon, day=now.tm_mday))

        cam.onvif.get_system_date_time = drifted_date_time
    if not cam.start():
        print("FAILED", flush=True)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("READY", flush=True)
    frame_no = 0
    period = 1.0 / config.main_fps
    next_due = time.monotonic()
    while not stop.is_set():
        image = np.full((config.main_height, config.main_width, 3), 40, np.uint8)
        x = (frame_no * 8) % config.main_width
        image[:, x:x + 20] = (0, 200, 255)
        cv2.putText(image, f"{frame_no}", (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (255, 255, 255), 3)
        cam.stream(image)
        frame_no += 1
        next_due += period
        stop.wait(max(0.0, next_due - time.monotonic()))
    cam.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
