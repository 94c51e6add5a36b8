"""text-to-audio (text-to-speech) on a tiny random VITS: a playable WAV, the seed, speaking_rate, the shown
code executed, other scripts, the bounds, the live server and the CLI alias."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from core.errors import UserError
from demos.audio.text_to_audio import TASK as TTS
from tests.conftest import ROOT


def test_text_to_speech_writes_a_playable_wav(manager, tiny, tmp_path, monkeypatch):
    import soundfile as sf

    model = str(tiny["vits"])
    params = {**TTS.defaults(), "seed": 3}
    result = manager.run(TTS, model, {"text": "hello world"}, params)
    out = result.output
    info = sf.info(out["audio_file"])
    assert info.samplerate == out["sampling_rate"] and info.frames == out["samples"] > 0
    assert out["duration_s"] == pytest.approx(out["samples"] / out["sampling_rate"], abs=1e-3)
    again = manager.run(TTS, model, {"text": "hello world"}, params).output
    assert again["rms"] == out["rms"] and again["samples"] == out["samples"]  # the seed makes it repeatable
    slow = manager.run(TTS, model, {"text": "hello world"}, {**params, "speaking_rate": 0.5}).output
    fast = manager.run(TTS, model, {"text": "hello world"}, {**params, "speaking_rate": 2.0}).output
    assert slow["samples"] > fast["samples"]
    import ast
    import contextlib
    import io

    printed = io.StringIO()
    monkeypatch.chdir(tmp_path)  # the snippet writes speech.wav into the working directory
    with contextlib.redirect_stdout(printed):
        exec(manager.run(TTS, model, {"text": "hello world"}, params).code, {"__name__": "__snippet__"})
    shown = ast.literal_eval(printed.getvalue().strip())
    assert sf.info(str(tmp_path / "speech.wav")).frames == out["samples"]
    assert {**shown, "audio_file": out["audio_file"]} == out
    with pytest.raises(UserError) as err:
        manager.run(TTS, model, {"text": "   "}, params)
    assert err.value.key == "empty_input"


def test_text_to_speech_other_scripts(manager, tiny):
    """Korean into a Latin-alphabet VITS: a clear message; MMS models of other scripts get romanized text."""
    from importlib.util import find_spec
    from types import SimpleNamespace

    from demos.audio.text_to_audio import romanize_if_needed

    with pytest.raises(UserError, match="alphabet"):
        manager.run(TTS, str(tiny["vits"]), {"text": "안녕하세요"}, TTS.defaults())
    pipe = SimpleNamespace(tokenizer=SimpleNamespace(is_uroman=True))
    assert romanize_if_needed(pipe, "hello") == "hello"
    if find_spec("uroman") is not None:
        assert romanize_if_needed(pipe, "안녕하세요").isascii()
    else:
        with pytest.raises(UserError, match="pip install uroman"):
            romanize_if_needed(pipe, "안녕하세요")


@pytest.mark.parametrize("name, value, key", [
    ("text", "x" * 2001, "too_large"), ("speaking_rate", 0, "bad_param"), ("speaking_rate", 2.5, "bad_param"),
    ("noise_scale", -0.1, "bad_param"), ("temperature", 1.6, "bad_param"), ("max_new_tokens", 1025, "bad_param"),
    ("seed", -1, "bad_param"), ("seed", 2**32, "bad_param"), ("output_file", "/etc/passwd", "bad_param"),
])
def test_out_of_range_values_are_refused(name, value, key):
    with pytest.raises(UserError) as err:
        TTS.parse({name: value} if name == "text" else {}, {} if name == "text" else {name: value})
    assert err.value.key == key


def test_client_text_to_audio(client, tiny):
    audio, notes, raw, code, details = client.predict(
        "hello world", 0, 1.0, 0.667, 0.0, 0, str(tiny["vits"]), api_name="/text_to_audio")
    assert os.path.getsize(audio) > 44 and raw["samples"] > 0


def test_cli_text_to_speech_alias(tiny, tiny_root):
    env = {**os.environ, "PLAYGROUND_NO_WARMUP": "1"}
    done = subprocess.run([sys.executable, "app.py", "run", "text-to-speech", "hello world", "--model", str(tiny["vits"]),
                           "--offline", "--models-dir", str(tiny_root), "--param", "speaking_rate=1.5",
                           "--param", "seed=7"],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=180)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert os.path.isfile(out["audio_file"]) and out["samples"] > 0
