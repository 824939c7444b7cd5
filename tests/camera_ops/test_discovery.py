"""WS-Discovery finds the ONVIF peer, and the add-camera entry gets its stream URIs.

Multicast must not leave this machine: the peer runs in one network namespace and the probe
in another, joined only by a veth pair the test creates (and deletes). Needs root and
iproute2 (`ip`); skipped with the reason otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib

import pytest

from controlroom.cameras.onvif_discovery import CameraDescription, camera_entry_toml

PROBE = ("import json, sys; from dataclasses import asdict; "
         "from controlroom.cameras.onvif_discovery import discover, describe; "
         "found = discover(4.0); print(json.dumps([asdict(c) for c in found])); "
         "print(json.dumps(asdict(describe(found[0].host, found[0].port, sys.argv[1], sys.argv[2]))) if found else None)")


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def namespaces():
    if shutil.which("ip") is None or os.geteuid() != 0:
        pytest.skip("network namespaces need root and iproute2 (ip)")
    tag = f"{os.getpid() % 100000}"
    cam, console = f"crcam{tag}", f"crcon{tag}"
    subnet = f"10.213.{os.getpid() % 250}"
    try:
        ip("netns", "add", cam)
        ip("netns", "add", console)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot create network namespaces here: {exc.stderr.decode(errors='replace').strip()}")
    try:
        ip("link", "add", f"vc{tag}", "type", "veth", "peer", "name", f"vo{tag}")
        ip("link", "set", f"vc{tag}", "netns", cam)
        ip("link", "set", f"vo{tag}", "netns", console)
        for ns, dev, addr in ((cam, f"vc{tag}", f"{subnet}.1"), (console, f"vo{tag}", f"{subnet}.2")):
            ip("-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            ip("-n", ns, "link", "set", dev, "up")
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", dev)
        yield cam, console, f"{subnet}.1"
    finally:
        for ns in (cam, console):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


def test_discovery_finds_the_peer_and_reads_its_stream_uris(namespaces, make_peer):
    cam_ns, console_ns, cam_ip = namespaces
    peer = make_peer(host=cam_ip, onvif_port=8080, rtsp_port=8554, prefix=["ip", "netns", "exec", cam_ns],
                     extra=["--discovery", "--name", "Cầu%20Phước%20Yên"])
    result = subprocess.run(["ip", "netns", "exec", console_ns, sys.executable, "-c", PROBE, peer.user, peer.password],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found_line, described_line = result.stdout.strip().splitlines()[-2:]
    found = json.loads(found_line)
    assert [(f["host"], f["port"]) for f in found] == [(cam_ip, 8080)]
    assert found[0]["name"] == "Cầu Phước Yên"
    described = json.loads(described_line)
    assert described["main_url"] == f"rtsp://{cam_ip}:8554/video_main"
    assert described["sub_url"] == f"rtsp://{cam_ip}:8554/video_sub"
    assert described["ptz"] is True

    description = CameraDescription(**{**described, "main_size": tuple(described["main_size"]),
                                       "sub_size": tuple(described["sub_size"])})
    entry = camera_entry_toml("cam42", "Cầu Phước Yên", "phuoc_yen", "flood", 16.53, 107.52, description,
                              user=peer.user, password_env="CONTROLROOM_CAM42_PASSWORD")
    camera = tomllib.loads(entry)["cameras"][0]
    assert camera["main_url"].endswith("/video_main") and camera["onvif"]["host"] == cam_ip
    assert peer.password not in entry
