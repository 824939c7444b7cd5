"""Simulated loudspeaker cluster receivers (cụm loa truyền thanh thông minh) for the demo.

They follow the MQTT contract: retained status on ``speaker/<id>/status``, commands on
``speaker/<id>/cmd``, answers on ``speaker/<id>/ack``. Playback is real time (the audio is
fetched over HTTP and "plays" for its real duration, divided by ``speed`` for tests).

Behaviour choices (the contract leaves them open):
- priority: higher number wins (1 routine, 2 announcement, 3 emergency). A play with a
  priority >= the playing job's pre-empts it: the old job is acked ``failed`` with detail
  ``preempted by <job>``; a lower priority is acked ``rejected`` (busy). A repeated command
  for the job already playing (a QoS-1 redelivery) is answered ``started`` again, not restarted.
- ``stop`` ends the playing job with ``finished``/``stopped``; ``volume`` is acked ``finished``.
- Offline speakers (seeded) publish a retained ``{"state": "offline"}`` status and answer
  nothing. Faulty ones publish ``fault`` and ack every play ``failed`` (amplifier fault).
- All speakers share the simulator's one MQTT connection (45+ clients would be heavy), so a
  broker-side Last Will cannot cover each speaker: on a clean stop every speaker publishes
  a retained ``offline`` status itself; if the simulator process dies, their last status stays.
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import queue
import random
import struct
import threading
import time
import urllib.error
import urllib.request
import wave
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from controlroom.config import Config

log = logging.getLogger(__name__)

PublishFn = Callable[[str, dict, int, bool], Any]  # (topic suffix, payload, qos, retain) -> MQTTMessageInfo

MAX_AUDIO_BYTES = 64 * 1024 * 1024
DEFAULT_BITRATE_BPS = 128_000  # assumed for MP3/other audio whose header we cannot read

_MP3_BITRATES_KBPS = {  # (MPEG-1?, layer) -> bitrate index table
    (True, 3): [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    (True, 2): [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    (True, 1): [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    (False, 3): [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    (False, 2): [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    (False, 1): [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
}


def _riff_duration(data: bytes) -> float | None:
    """Duration of a RIFF/WAVE file from its fmt and data chunks (any encoding)."""
    pos, byte_rate = 12, None
    while pos + 8 <= len(data):
        chunk_id, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if chunk_id == b"fmt " and size >= 12:
            byte_rate = struct.unpack_from("<I", data, pos + 16)[0]
        elif chunk_id == b"data" and byte_rate:
            return min(size, len(data) - pos - 8) / byte_rate
        pos += 8 + size + (size & 1)
    return None


def _mp3_bitrate(data: bytes) -> int | None:
    """Bitrate (bit/s) of the first MPEG audio frame, skipping an ID3v2 tag."""
    pos = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        size = data[6:10]
        pos = 10 + ((size[0] & 0x7F) << 21 | (size[1] & 0x7F) << 14 | (size[2] & 0x7F) << 7 | (size[3] & 0x7F))
    end = min(len(data) - 3, pos + 64 * 1024)
    while pos < end:
        if data[pos] == 0xFF and data[pos + 1] & 0xE0 == 0xE0:
            version_bits = (data[pos + 1] >> 3) & 0x03
            layer_bits = (data[pos + 1] >> 1) & 0x03
            index = data[pos + 2] >> 4
            if version_bits != 1 and layer_bits != 0 and 0 < index < 15:
                kbps = _MP3_BITRATES_KBPS[(version_bits == 3, 4 - layer_bits)][index]
                return kbps * 1000
        pos += 1
    return None


def audio_duration_s(data: bytes) -> float:
    """How long the audio plays: exact for WAV, estimated from the bitrate for MP3 and others."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        try:
            with wave.open(io.BytesIO(data)) as wav:
                return wav.getnframes() / float(wav.getframerate())
        except (wave.Error, EOFError):
            duration = _riff_duration(data)  # e.g. WAVE_FORMAT_EXTENSIBLE, which wave rejects on 3.11
            if duration is not None:
                return duration
    bitrate = _mp3_bitrate(data) or DEFAULT_BITRATE_BPS
    return len(data) * 8 / bitrate


@dataclass
class _Speaker:
    id: str
    mode: str  # "ok" | "offline" | "fault"
    volume: int
    state: str = "idle"
    job: str | None = None
    priority: int = 0
    generation: int = 0
    ends_at: float | None = None  # monotonic time the current job ends, once its audio is known


class SimSpeakers:
    """All simulated speakers behind one MQTT connection (`publish` sends on it)."""

    def __init__(self, config: Config, publish: PublishFn, seed: int = 0, speed: float = 1.0,
                 offline_ids: set[str] | None = None, fault_ids: set[str] | None = None,
                 offline_fraction: float = 0.05, fault_fraction: float = 0.05,
                 fetch_timeout_s: float = 5.0, fetch_workers: int = 3):
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._publish = publish
        self.speed = speed
        self.fetch_timeout_s = fetch_timeout_s
        rng = random.Random(f"{seed}:speakers")
        ids = [s.id for s in config.speakers]
        if offline_ids is None:
            offline_ids = set(rng.sample(ids, round(len(ids) * offline_fraction)))
        if fault_ids is None:
            rest = [i for i in ids if i not in offline_ids]
            fault_ids = set(rng.sample(rest, min(len(rest), round(len(ids) * fault_fraction))))
        self.offline_ids = frozenset(offline_ids)
        self.fault_ids = frozenset(fault_ids) - self.offline_ids
        self._speakers: dict[str, _Speaker] = {}
        for speaker_id in ids:
            mode = "offline" if speaker_id in self.offline_ids else "fault" if speaker_id in self.fault_ids else "ok"
            speaker = _Speaker(speaker_id, mode, volume=rng.choice([60, 70, 80]))
            speaker.state = {"ok": "idle", "offline": "offline", "fault": "fault"}[mode]
            self._speakers[speaker_id] = speaker
        self.stats: Counter = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._fetches: queue.Queue = queue.Queue()
        self._threads = [threading.Thread(target=self._timer_loop, name="sim-speakers-timer", daemon=True)]
        self._threads += [threading.Thread(target=self._fetch_loop, name=f"sim-speakers-fetch-{i}", daemon=True)
                          for i in range(fetch_workers)]

    @property
    def ids(self) -> list[str]:
        return list(self._speakers)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 1.5) -> Any:
        """Stop the threads and publish every speaker's retained offline status (there is no
        per-speaker Last Will). Returns the last publish's info so the caller can wait for it."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.is_alive():
                thread.join(max(0.05, deadline - time.monotonic()))
        info = None
        with self._lock:
            for speaker in self._speakers.values():
                speaker.state, speaker.job, speaker.ends_at = "offline", None, None
                speaker.generation += 1
                info = self._status(speaker)
        return info

    def publish_all_status(self) -> None:
        """Every speaker's retained status; called on each (re)connect of the shared client."""
        with self._lock:
            for speaker in self._speakers.values():
                self._status(speaker)

    # -- commands (run on the MQTT network thread: quick, no I/O but publishing) --

    def handle_command(self, speaker_id: str, raw: bytes) -> None:
        speaker = self._speakers.get(speaker_id)
        if speaker is None or speaker.mode == "offline":
            self.stats["commands_ignored"] += 1
            return
        self.stats["commands"] += 1
        try:
            command = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            log.warning("speaker %s: command is not JSON: %r", speaker_id, raw[:80])
            self.stats["commands_malformed"] += 1
            return
        if not isinstance(command, dict):
            self.stats["commands_malformed"] += 1
            return
        job = command.get("job")
        job = str(job) if job is not None else None
        action = command.get("action")
        with self._lock:
            if action == "play":
                self._play(speaker, job, command)
            elif action == "stop":
                self._stop_job(speaker, job)
            elif action == "volume":
                self._set_volume(speaker, job, command.get("volume"))
            else:
                self._ack(speaker, job, "rejected", f"unknown action {action!r}")

    def _play(self, speaker: _Speaker, job: str | None, command: dict) -> None:
        source = command.get("source")
        priority = command.get("priority", 1)
        repeat = command.get("repeat", 1)
        if job is None:
            self.stats["commands_malformed"] += 1
            return
        if not isinstance(source, str) or not source.startswith(("http://", "https://", "file:")):
            self._ack(speaker, job, "rejected", "missing or unsupported audio source")
            return
        if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 3:
            self._ack(speaker, job, "rejected", f"priority must be 0-3, got {priority!r}")
            return
        if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
            repeat = 1
        if speaker.mode == "fault":
            self._ack(speaker, job, "failed", "amplifier fault")
            return
        if speaker.state == "playing":
            if speaker.job == job:
                self._ack(speaker, job, "started", None)
                return
            if priority < speaker.priority:
                self._ack(speaker, job, "rejected", f"busy with higher-priority job {speaker.job}")
                return
            self._ack(speaker, speaker.job, "failed", f"preempted by {job}")
        volume = command.get("volume")
        if isinstance(volume, (int, float)) and not isinstance(volume, bool):
            speaker.volume = int(min(100, max(0, volume)))
        speaker.generation += 1
        speaker.state, speaker.job, speaker.priority, speaker.ends_at = "playing", job, priority, None
        self._ack(speaker, job, "started", None)
        self._status(speaker)
        self._fetches.put((speaker.id, speaker.generation, job, source, min(repeat, 20)))

    def _stop_job(self, speaker: _Speaker, job: str | None) -> None:
        if speaker.state == "playing" and speaker.job is not None:
            self._ack(speaker, speaker.job, "finished", "stopped")
            self._idle(speaker)
        elif job is not None:
            self._ack(speaker, job, "finished", "nothing playing")

    def _set_volume(self, speaker: _Speaker, job: str | None, volume: Any) -> None:
        if isinstance(volume, bool) or not isinstance(volume, (int, float)) or not 0 <= volume <= 100:
            self._ack(speaker, job, "rejected", f"volume must be 0-100, got {volume!r}")
            return
        if speaker.mode == "fault":
            self._ack(speaker, job, "failed", "amplifier fault")
            return
        speaker.volume = int(volume)
        self._status(speaker)
        self._ack(speaker, job, "finished", None)

    # -- playback --

    def _fetch_loop(self) -> None:
        while not self._stop.is_set():
            try:
                speaker_id, generation, job, url, repeat = self._fetches.get(timeout=0.2)
            except queue.Empty:
                continue
            if not self._current(speaker_id, generation):
                continue  # pre-empted or stopped before we fetched
            try:
                duration = audio_duration_s(self._fetch(url)) * repeat
            except (OSError, urllib.error.URLError, http.client.HTTPException, ValueError) as exc:
                reason = getattr(exc, "reason", None) or exc
                with self._lock:
                    speaker = self._speakers[speaker_id]
                    if speaker.generation == generation:
                        self._ack(speaker, job, "failed", f"cannot fetch audio: {reason}")
                        self._idle(speaker)
                continue
            with self._lock:
                speaker = self._speakers[speaker_id]
                if speaker.generation == generation:
                    speaker.ends_at = time.monotonic() + duration / self.speed

    def _fetch(self, url: str) -> bytes:
        chunks, total = [], 0
        with urllib.request.urlopen(url, timeout=self.fetch_timeout_s) as response:
            while not self._stop.is_set():
                chunk = response.read(64 * 1024)
                if not chunk:
                    return b"".join(chunks)
                total += len(chunk)
                if total > MAX_AUDIO_BYTES:
                    raise ValueError("audio file too large")
                chunks.append(chunk)
        raise ValueError("simulator stopping")

    def _timer_loop(self) -> None:
        while not self._stop.wait(0.05):
            now = time.monotonic()
            with self._lock:
                for speaker in self._speakers.values():
                    if speaker.state == "playing" and speaker.ends_at is not None and now >= speaker.ends_at:
                        self._ack(speaker, speaker.job, "finished", None)
                        self._idle(speaker)

    def _current(self, speaker_id: str, generation: int) -> bool:
        with self._lock:
            return self._speakers[speaker_id].generation == generation

    # -- publishing (called with the lock held, so each speaker's messages stay in order) --

    def _idle(self, speaker: _Speaker) -> None:
        speaker.generation += 1
        speaker.state, speaker.job, speaker.priority, speaker.ends_at = "idle", None, 0, None
        self._status(speaker)

    def _ack(self, speaker: _Speaker, job: str | None, result: str, detail: str | None) -> None:
        if job is None:
            return
        self.stats[f"ack_{result}"] += 1
        self._publish(f"speaker/{speaker.id}/ack", {"job": job, "result": result, "detail": detail}, 1, False)

    def _status(self, speaker: _Speaker) -> Any:
        volume = None if speaker.state == "offline" else speaker.volume
        payload = {"state": speaker.state, "volume": volume, "job": speaker.job}
        return self._publish(f"speaker/{speaker.id}/status", payload, 1, True)
