"""Vietnamese speech comes out as a playable WAV, and speakers can fetch it over HTTP."""

from __future__ import annotations

import urllib.request
import wave

import pytest

from controlroom.broadcast.audio_server import AudioServer
from controlroom.broadcast.tts import synthesize, wav_duration_s

BULLETIN = "Mực nước sông Bồ tại Phú Ốc đã vượt báo động hai. Đề nghị bà con thôn La Vân Hạ chủ động sơ tán."


@pytest.mark.parametrize("rate", [22050, 16000])
def test_tts_writes_a_vietnamese_wav_at_the_configured_rate(tmp_path, rate):
    path = synthesize(BULLETIN, tmp_path / "bulletin.wav", sample_rate=rate)
    with wave.open(str(path), "rb") as wav:
        assert wav.getframerate() == rate
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2
    assert wav_duration_s(path) > 2.0  # a sentence, not a click


def test_audio_server_serves_published_files_only(tmp_path):
    source = synthesize("Xin chào bà con", tmp_path / "hello.wav")
    server = AudioServer(tmp_path / "media")
    server.start()
    try:
        url = server.publish(source)
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.read() == source.read_bytes()
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(url.rsplit("/", 1)[0] + "/hello.wav", timeout=5)
    finally:
        server.stop()
