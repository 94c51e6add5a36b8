"""core.audio: every common file or recording becomes mono float32 at the asked rate, or one clear error;
formats soundfile reads work without ffmpeg, the others say how to install it."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from core.audio import load_audio, write_wav
from core.errors import UserError
from core.i18n import message
from tests.audio_files import make_speech_files


@pytest.fixture(scope="session")
def speech(tmp_path_factory):
    return make_speech_files(tmp_path_factory.mktemp("speech"))


@pytest.fixture
def no_ffmpeg(monkeypatch, tmp_path):
    """No ffmpeg program on PATH and no PyAV: only soundfile is left."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(sys.modules, "av", None)  # `import av` now raises ImportError


@pytest.mark.parametrize("name, decoder", [("wav16", "soundfile"), ("stereo44", "soundfile"), ("flac", "soundfile"),
                                           ("mp3", "soundfile"), ("ogg", "soundfile"), ("m4a", "pyav")])
def test_formats_decode_to_mono_float32_at_the_rate(speech, name, decoder):
    audio = load_audio(speech[name], 16000)
    reference = load_audio(speech["wav16"], 16000)
    assert audio.decoder == decoder
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert audio.sampling_rate == 16000
    # same speech: lengths within codec padding (AAC adds ~50 ms), loud enough
    assert abs(audio.duration - reference.duration) < 0.1
    assert 0.1 < np.abs(audio.samples).max() <= 1.0
    assert audio.pipeline_input()["raw"] is audio.samples


def test_stereo_44k_matches_mono_16k(speech):
    stereo = load_audio(speech["stereo44"], 16000)
    mono = load_audio(speech["wav16"], 16000)
    assert stereo.channels == 2 and stereo.source_rate == 44100
    n = min(len(stereo.samples), len(mono.samples))
    # the right channel is 0.8x the left: the mix is 0.9x the mono file, sample for sample
    corr = np.corrcoef(stereo.samples[:n], mono.samples[:n])[0, 1]
    assert corr > 0.99


def test_recorded_arrays_any_layout_and_rate():
    rate = 48000
    t = np.arange(rate) / rate
    tone = (0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
    for data in (tone, np.stack([tone, tone], axis=1), np.stack([tone, tone], axis=0)):
        audio = load_audio((rate, data), 16000)
        assert audio.decoder == "array" and audio.samples.shape == (16000,)
        assert audio.samples.dtype == np.float32
        assert 0.45 < np.abs(audio.samples).max() < 0.55
    as_dict = load_audio({"raw": tone.astype(np.float32) / 32768, "sampling_rate": rate}, 16000)
    assert as_dict.samples.shape == (16000,)


@pytest.mark.parametrize("name, words", [
    ("empty", "empty"), ("silent", "silent"), ("text", "not an audio format"), ("damaged", "damaged"),
])
def test_bad_files_give_one_clear_line(speech, name, words, capfd):
    with pytest.raises(UserError) as err:
        load_audio(speech[name], 16000)
    assert "Note:" not in capfd.readouterr().err  # no decoder chatter on the terminal
    assert err.value.key == "bad_file"
    assert words in str(err.value) and "\n" not in str(err.value)
    assert str(speech[name].parent) not in str(err.value)  # no server paths in messages


def test_missing_empty_short_long_and_broken_arrays(speech, tmp_path):
    with pytest.raises(UserError, match="no such file"):
        load_audio(tmp_path / "nope.wav", 16000)
    with pytest.raises(UserError) as err:
        load_audio(None, 16000)
    assert err.value.key == "empty_input"
    with pytest.raises(UserError, match="at least"):
        load_audio((16000, np.full(100, 0.5, np.float32)), 16000)
    with pytest.raises(UserError) as err:
        load_audio(speech["long"], 16000, max_seconds=10)
    assert err.value.key == "too_large" and "0:40" in str(err.value)
    with pytest.raises(UserError, match="NaN"):
        load_audio((16000, np.full(16000, np.nan, np.float32)), 16000)


def test_without_ffmpeg_soundfile_formats_still_work(speech, no_ffmpeg):
    for name in ("wav16", "flac", "mp3", "ogg"):
        assert load_audio(speech[name], 16000).decoder == "soundfile"


def test_without_ffmpeg_m4a_names_the_fix(speech, no_ffmpeg):
    with pytest.raises(UserError) as err:
        load_audio(speech["m4a"], 16000)
    assert err.value.key == "no_ffmpeg"
    assert "apt install ffmpeg" in err.value.text("en") and "apt install ffmpeg" in err.value.text("ko")
    assert "ffmpeg was not found" in message("no_ffmpeg")


def test_ffmpeg_program_is_the_fallback_without_pyav(speech, monkeypatch):
    monkeypatch.setitem(sys.modules, "av", None)
    audio = load_audio(speech["m4a"], 16000)
    assert audio.decoder == "ffmpeg"
    assert abs(audio.duration - load_audio(speech["wav16"], 16000).duration) < 0.1


def test_write_wav_round_trip(tmp_path):
    samples = np.sin(np.linspace(0, 100, 8000)).astype(np.float32) * 0.5
    path = write_wav(tmp_path / "x.wav", samples[None, :], 8000)
    back = load_audio(path, 8000)
    assert back.samples.shape == (8000,) and np.allclose(back.samples, samples, atol=1e-3)
