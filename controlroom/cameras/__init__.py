"""Cameras: stream readers, health, PTZ, snapshots, replay and evidence, ONVIF discovery.

`setup(core)` returns ``core.cameras`` (a CameraService) that keeps every camera watched
with no window open; the wall's tiles draw frames from its pool.

OpenCV's environment is set here, BEFORE the first ``import cv2`` (every module that imports
cv2 lives in this package, so its __init__ runs first):
- ``OPENCV_FFMPEG_IS_THREAD_SAFE=1``: without it OpenCV takes one process-wide lock around
  every FFmpeg open, so 41 cameras open one after another and one dead camera (3 s open
  timeout) delays every other camera's first frame (measured: the last of 41 at ~80 s).
- ``OPENCV_FFMPEG_CAPTURE_OPTIONS="rtsp_transport;tcp|analyzeduration;500000"``: RTSP over
  TCP (no lost UDP packets, passes NAT/firewalls), and 0.5 s of stream probing instead of
  FFmpeg's default 5 s (~1.9 s -> ~0.6 s per open here). An operator's own value wins.
- FFmpeg's own log is silenced (``OPENCV_FFMPEG_LOGLEVEL=-8``) and OpenCV's limited to errors:
  FFmpeg prints the URL it fails on, credentials included, straight to stderr; our readers log
  every failure themselves with the URL redacted.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING

if "cv2" in sys.modules and os.environ.get("OPENCV_FFMPEG_IS_THREAD_SAFE") != "1":
    logging.getLogger(__name__).warning("cv2 was imported before controlroom.cameras: FFmpeg opens may be serialised")
os.environ["OPENCV_FFMPEG_IS_THREAD_SAFE"] = "1"
os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp|analyzeduration;500000")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

if TYPE_CHECKING:
    from controlroom.cameras.service import CameraService
    from controlroom.core import ControlRoomCore


def setup(core: "ControlRoomCore") -> "CameraService":
    from controlroom.cameras.service import CameraService

    return CameraService(core, monitor_all=core.monitor_cameras)
