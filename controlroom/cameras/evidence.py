"""Evidence packages for the police: the camera's own clip, captioned copies, a manifest, a signature.

An export is a folder holding the files: the clip as the camera sent it (its packets remuxed
into MP4, no re-encoding) where its reader keeps packets, else a re-encoded clip; the snapshot
PNG and a viewing copy of the clip with the camera name and the time in the site's zone AND in
UTC burned into the picture (never into the original); plus ``manifest.json``
(each file's name, size and SHA-256, who exported it and why) and ``manifest.sig`` (an
Ed25519 signature of the manifest's exact bytes, `cryptography`). The signing key lives in
the user's data dir (``evidence/ed25519_private.pem``, created on first use, mode 0600); its
public half can be exported for the receiving office. `verify_package()` checks the signature
and then every file, and names the first file that does not match.

Heavy work (burn-in, encoding, hashing) runs on the caller's thread: the UI calls
`export_package` from a worker (see `export_async`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path

import cv2
import numpy as np
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from controlroom.i18n import tr
from controlroom.access.operators import Operator, authorize
from controlroom.cameras.packet_ring import PacketClip, decode_clip, write_clip
from controlroom.cameras.snapshots import burn_in

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
KEY_FILE = "ed25519_private.pem"
FORMAT = "controlroom-evidence/1"


class EvidenceError(Exception):
    """The export could not be written (message is safe to show)."""


# --- keys ---------------------------------------------------------------------------------

def key_folder(data_dir: Path | None = None) -> Path:
    if data_dir is None:
        from controlroom.paths import data_dir as default_data_dir

        data_dir = default_data_dir()
    folder = Path(data_dir) / "evidence"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def load_or_create_key(data_dir: Path | None = None) -> Ed25519PrivateKey:
    """The console's signing key, created (0600) the first time it is needed."""
    path = key_folder(data_dir) / KEY_FILE
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise EvidenceError(tr("the evidence key file {path} is not an Ed25519 key", path=str(path)))
        return key
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    tmp = path.with_suffix(".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    tmp.replace(path)
    log.info("created the evidence signing key %s", path)
    return key


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, hex, grouped for reading aloud over the phone."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    digest = hashlib.sha256(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).hexdigest()
    return ":".join(digest[i:i + 4] for i in range(0, 32, 4))


def export_public_key(path: Path, data_dir: Path | None = None) -> Path:
    path = Path(path)
    path.write_bytes(public_pem(load_or_create_key(data_dir)))
    return path


# --- export -------------------------------------------------------------------------------

@dataclass
class EvidenceRequest:
    """What to export: a still and/or clip frames of one camera, with who and why."""

    camera_id: str
    camera_name: str
    operator: Operator
    reason: str
    snapshot: np.ndarray | None = None  # BGR, full resolution
    snapshot_utc: datetime | None = None
    clip_frames: list[tuple[datetime, np.ndarray | bytes]] = field(default_factory=list)  # (UTC, BGR or JPEG)
    clip_fps: float = 8.0  # only when the frames' own times cannot say their rate (a single frame)
    # the camera's own packets (pyav backend): the clip as the camera sent it, no re-encoding;
    # then clip_frames, if given too, become a separate captioned viewing copy
    clip_packets: PacketClip | None = None


@dataclass(frozen=True)
class EvidencePackage:
    folder: Path
    files: list[str]
    manifest_sha256: str


def time_lines(camera_name: str, camera_id: str, ts_utc: datetime, tz: tzinfo) -> list[str]:
    local = ts_utc.astimezone(tz)
    return [f"{camera_name} ({camera_id})",
            f"{local.strftime('%d/%m/%Y %H:%M:%S.%f')[:-3]} {local.strftime('%Z') or local.strftime('%z')}",
            f"{ts_utc.astimezone(timezone.utc).strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]} UTC"]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _frame(data: np.ndarray | bytes) -> np.ndarray:
    if isinstance(data, np.ndarray):
        return data
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise EvidenceError(tr("the clip holds an unreadable frame"))
    return image


def frames_rate(frames: list[tuple[datetime, object]], default: float) -> float:
    """The rate the frames were taken at, from their times: a clip of 30 s of replay (kept at
    5 frames a second) then lasts 30 s, not the 19 s a fixed 8 frames a second made of it."""
    if len(frames) < 2:
        return default
    span = (frames[-1][0] - frames[0][0]).total_seconds()
    return (len(frames) - 1) / span if span > 0 else default


def _write_clip(path: Path, request: EvidenceRequest, tz: tzinfo, frames: list, fps: float) -> int:
    first = _frame(frames[0][1])
    height, width = first.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise EvidenceError(tr("cannot write the video file {path}", path=str(path)))
    try:
        for ts, data in frames:
            image = _frame(data)
            if image.shape[:2] != (height, width):
                image = cv2.resize(image, (width, height))
            writer.write(burn_in(image, time_lines(request.camera_name, request.camera_id, ts, tz)))
    finally:
        writer.release()
    return len(frames)


def export_package(request: EvidenceRequest, destination: Path, tz: tzinfo, site_id: str,
                   data_dir: Path | None = None, audit=None) -> EvidencePackage:
    """Write one evidence folder under `destination`; record the export in `audit` (AuditLog).

    Raises PermissionDenied when the operator's role may not export, EvidenceError when
    nothing was given or a file cannot be written."""
    authorize(request.operator, "evidence.export")
    has_packets = request.clip_packets is not None and bool(request.clip_packets.packets)
    if request.snapshot is None and not request.clip_frames and not has_packets:
        raise EvidenceError(tr("nothing to export: no picture and no clip"))
    if not request.reason.strip():
        raise EvidenceError(tr("say why the evidence is exported"))
    key = load_or_create_key(data_dir)
    created = datetime.now(timezone.utc)
    stamp = created.astimezone(tz).strftime("%Y%m%d_%H%M%S")
    folder = Path(destination) / f"evidence_{request.camera_id}_{stamp}"
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = Path(destination) / f"evidence_{request.camera_id}_{stamp}_{suffix}"
    try:
        folder.mkdir(parents=True)
        names: list[str] = []
        if request.snapshot is not None:
            ts = request.snapshot_utc or created
            image = burn_in(request.snapshot, time_lines(request.camera_name, request.camera_id, ts, tz))
            ok, data = cv2.imencode(".png", image)
            if not ok:
                raise EvidenceError(tr("cannot encode the snapshot as PNG"))
            (folder / "snapshot.png").write_bytes(data.tobytes())
            names.append("snapshot.png")
        details: dict[str, dict] = {}
        if has_packets:  # the camera's own bits: the evidence
            clip = request.clip_packets
            try:
                frames = write_clip(clip, folder / "clip.mp4")
            except Exception as exc:  # PyAV's FFmpegError has no common base with OSError
                raise EvidenceError(tr("cannot write the video file {path}", path=str(folder / "clip.mp4")) + f": {exc}") from exc
            names.append("clip.mp4")
            details["clip.mp4"] = {"role": "original", "codec": clip.params.codec, "width": clip.params.width,
                                   "height": clip.params.height, "frames": frames,
                                   "first_utc": clip.start_utc.isoformat(), "last_utc": clip.end_utc.isoformat()}
        captioned = request.clip_frames or (decode_clip(request.clip_packets) if has_packets else [])
        if captioned:  # burned-in captions: beside the original, never instead of it
            name = "clip_captioned.mp4" if has_packets else "clip.mp4"
            fps = (frames_rate(request.clip_frames, request.clip_fps) if request.clip_frames
                   else (request.clip_packets.params.rate or request.clip_fps))
            _write_clip(folder / name, request, tz, captioned, fps)
            names.append(name)
            details[name] = {"role": "viewing copy" if has_packets else "re-encoded"}
        files = [{"name": name, "size": (folder / name).stat().st_size, "sha256": sha256_file(folder / name),
                  **details.get(name, {})} for name in names]
        manifest = {
            "format": FORMAT, "site": site_id, "camera_id": request.camera_id, "camera_name": request.camera_name,
            "created_utc": created.isoformat(), "created_local": created.astimezone(tz).isoformat(),
            "exported_by": request.operator.username, "exported_by_name": request.operator.display_name,
            "reason": request.reason.strip(), "files": files,
            "public_key": base64.b64encode(key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode("ascii"),
            "key_fingerprint": fingerprint(key),
        }
        body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
        (folder / MANIFEST).write_bytes(body)
        (folder / SIGNATURE).write_bytes(base64.b64encode(key.sign(body)) + b"\n")
    except (OSError, cv2.error) as exc:
        raise EvidenceError(tr("cannot write the evidence to {path}: {reason}", path=str(folder), reason=str(exc))) from exc
    manifest_digest = hashlib.sha256(body).hexdigest()
    if audit is not None:
        audit.record(request.operator.username, "evidence.export", f"camera/{request.camera_id}",
                     {"reason": request.reason.strip(), "folder": str(folder), "files": names,
                      "manifest_sha256": manifest_digest})
    log.info("evidence of %s exported to %s by %s", request.camera_id, folder, request.operator.username)
    return EvidencePackage(folder, names, manifest_digest)


def export_async(request: EvidenceRequest, destination: Path, tz: tzinfo, site_id: str,
                 data_dir: Path | None = None, audit=None) -> "Future[EvidencePackage]":
    """`export_package` on a short-lived named thread (never on the GUI thread)."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(export_package(request, destination, tz, site_id, data_dir, audit))
        except Exception as exc:  # noqa: BLE001 — handed to the caller through the Future, not swallowed
            future.set_exception(exc)

    threading.Thread(target=run, name="evidence-export", daemon=True).start()
    return future


# --- verify -------------------------------------------------------------------------------

@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    message: str
    bad_file: str | None = None
    fingerprint: str = ""


def verify_package(folder: Path, trusted_public_pem: bytes | None = None) -> VerifyResult:
    """Check the signature, then every file in manifest order; the first mismatch is named."""
    folder = Path(folder)
    if folder.is_file():
        folder = folder.parent
    try:
        body = (folder / MANIFEST).read_bytes()
        signature = base64.b64decode((folder / SIGNATURE).read_bytes().strip(), validate=True)
        manifest = json.loads(body)
        raw_key = base64.b64decode(manifest["public_key"], validate=True)
        public = Ed25519PublicKey.from_public_bytes(raw_key)
        files = [(str(entry["name"]), str(entry["sha256"])) for entry in manifest["files"]]
    except FileNotFoundError as exc:
        return VerifyResult(False, tr("not an evidence package: {name} is missing", name=Path(exc.filename or "").name), Path(exc.filename or "").name)
    except (ValueError, KeyError, TypeError) as exc:
        return VerifyResult(False, tr("the manifest is unreadable: {reason}", reason=str(exc)), MANIFEST)
    if trusted_public_pem is not None:
        trusted = serialization.load_pem_public_key(trusted_public_pem)
        if fingerprint(trusted) != fingerprint(public):
            return VerifyResult(False, tr("signed with another key ({fp}) than the trusted one", fp=fingerprint(public)), SIGNATURE)
    try:
        public.verify(signature, body)
    except InvalidSignature:
        return VerifyResult(False, tr("the manifest was changed: its signature does not match"), MANIFEST, fingerprint(public))
    for name, expected in files:
        path = folder / name
        if Path(name).name != name or not path.is_file():
            return VerifyResult(False, tr("missing file: {name}", name=name), name, fingerprint(public))
        if sha256_file(path) != expected:
            return VerifyResult(False, tr("changed file: {name}", name=name), name, fingerprint(public))
    return VerifyResult(True, tr("OK: {n} files match the signed manifest (key {fp})", n=len(files), fp=fingerprint(public)),
                        None, fingerprint(public))


def clip_frames_from_replay(clip, now_monotonic: float, now_utc: datetime) -> list[tuple[datetime, bytes]]:
    """A ReplayClip's (monotonic, JPEG) frames with their UTC times, for `EvidenceRequest`."""
    return [(now_utc - timedelta(seconds=now_monotonic - ts), data) for ts, data in clip.frames if ts >= clip.start - 1e-6]
