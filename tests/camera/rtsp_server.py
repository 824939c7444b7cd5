"""A loopback RTSP test server (GStreamer RTSP server), run under Debian's /usr/bin/python3.

Serves mounts /cam0 ... /cam<N-1>, each a live H.264 stream from videotestsrc with moving
content. Each client gets its own encode; with --shared, all clients of one mount read the same
encode, so many readers cost one x264 encoder, not one each (benchmarks). Prints "READY <port>" on stdout
when listening; SIGTERM/SIGINT/SIGKILL stop it (tests kill and restart it on the same port).

    /usr/bin/python3 tests/camera/rtsp_server.py --port 8554 --mounts 4 --width 640 --height 360 --fps 15
"""

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

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


def prepare_shared_media(server, factory, port: int, path: str):
    """Build and prepare the mount's shared media before any client comes, and hold it.

    Clients of one shared media race its preparation: a PLAY that arrives before the stream's
    first segment aborts the whole server (Debian 12's gst-rtsp-server 1.22:
    "gst_rtsp_media_get_rates: assertion failed"; seen in 2 of 25 starts with three clients
    opening at once). Prepared here first (the factory caches it by port and path; the reference
    kept keeps it prepared), that fell to 1 in 30, not to none: tests use unshared media.
    """
    ok, url = GstRtsp.RTSPUrl.parse(f"rtsp://127.0.0.1:{port}{path}")
    media = factory.construct(url)
    if ok != GstRtsp.RTSPResult.OK or media is None or not media.prepare(
            server.get_thread_pool().get_thread(GstRtspServer.RTSPThreadType.MEDIA, GstRtspServer.RTSPContext())):
        raise RuntimeError(f"cannot prepare the media of {path}")
    return media


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mounts", type=int, default=1)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--bitrate", type=int, default=400, help="kbit/s")
    parser.add_argument("--shared", action="store_true", help="one encode per mount, shared by its clients")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    held = []
    for i in range(args.mounts):
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch_line(i, args.width, args.height, args.fps, args.bitrate))
        mounts.add_factory(f"/cam{i}", factory)
        if args.shared:
            factory.set_shared(True)
            held.append(prepare_shared_media(server, factory, args.port, f"/cam{i}"))
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
