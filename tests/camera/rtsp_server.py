"""A loopback RTSP test server (GStreamer RTSP server), run under Debian's /usr/bin/python3.

Serves mounts /cam0 ... /cam<N-1>, each a live H.264 stream from videotestsrc with moving
content. Every mount uses a *shared* media factory: all clients of one mount read the same
encode, so many readers cost one x264 encoder, not one each. Prints "READY <port>" on stdout
when listening; SIGTERM/SIGINT/SIGKILL stop it (tests kill and restart it on the same port).

    /usr/bin/python3 tests/camera/rtsp_server.py --port 8554 --mounts 4 --width 640 --height 360 --fps 15
"""

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

PATTERNS = ["smpte", "ball", "snow", "pinwheel", "gamut", "spokes", "circular", "zone-plate"]


def launch_line(index: int, width: int, height: int, fps: int, bitrate_kbps: int) -> str:
    pattern = PATTERNS[index % len(PATTERNS)]
    speed = "horizontal-speed=3" if pattern in ("smpte", "gamut") else ""
    return (
        f"( videotestsrc is-live=true pattern={pattern} {speed} "
        f"! video/x-raw,width={width},height={height},framerate={fps}/1,format=I420 "
        f"! x264enc tune=zerolatency speed-preset=ultrafast bitrate={bitrate_kbps} key-int-max={fps * 2} "
        f"! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mounts", type=int, default=1)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--bitrate", type=int, default=400, help="kbit/s")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for i in range(args.mounts):
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch_line(i, args.width, args.height, args.fps, args.bitrate))
        factory.set_shared(True)
        mounts.add_factory(f"/cam{i}", factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        return 2
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY {args.port}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
