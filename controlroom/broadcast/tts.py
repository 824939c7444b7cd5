"""Vietnamese text-to-speech for broadcasts, offline, through espeak-ng.

espeak-ng is a Debian package (and has a Windows installer); it is found at run time and a
missing engine raises ``TtsUnavailable`` with an operator-readable message. A better voice can
be added later behind the same ``synthesize`` signature.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

from controlroom.i18n import tr

ESPEAK_RATE_HZ = 22050  # espeak-ng writes 16-bit mono at this rate


class TtsUnavailable(RuntimeError):
    """No speech engine on this PC, or it failed; the message is for the operator."""


def synthesize(text: str, out_path: Path, *, voice: str = "vi-vn-x-central", sample_rate: int = ESPEAK_RATE_HZ,
               words_per_minute: int = 150) -> Path:
    """Speak `text` into a WAV file at `sample_rate` Hz and return its path."""
    if not text.strip():
        raise ValueError("nothing to say")
    engine = shutil.which("espeak-ng")
    if engine is None:
        raise TtsUnavailable(tr("Text-to-speech is not installed on this computer (espeak-ng)."))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    raw_path = out_path if sample_rate == ESPEAK_RATE_HZ else out_path.with_suffix(".raw.wav")
    result = subprocess.run(
        [engine, "-v", voice, "-s", str(words_per_minute), "-w", str(raw_path), "--", text],
        capture_output=True, text=True, timeout=60,
    )
    if result.returncode != 0 or not raw_path.exists():
        raise TtsUnavailable(tr("Text-to-speech failed: {reason}", reason=result.stderr.strip()[:200]))
    if raw_path != out_path:
        _resample(raw_path, out_path, sample_rate)
        raw_path.unlink(missing_ok=True)
    return out_path


def _resample(source: Path, target: Path, sample_rate: int) -> None:
    """Linear-interpolation resampling of 16-bit mono PCM (speech needs nothing finer)."""
    import numpy as np

    with wave.open(str(source), "rb") as reader:
        rate = reader.getframerate()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2").astype(np.float32)
    count = int(round(len(samples) * sample_rate / rate))
    positions = np.linspace(0, len(samples) - 1, count) if count else np.zeros(0)
    resampled = np.interp(positions, np.arange(len(samples)), samples).astype("<i2")
    with wave.open(str(target), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(resampled.tobytes())


def wav_duration_s(path: Path) -> float:
    with wave.open(str(path), "rb") as reader:
        return reader.getnframes() / float(reader.getframerate())
