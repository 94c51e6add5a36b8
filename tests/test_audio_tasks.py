"""Audio tab tasks: run functions on tiny random models (structure), whisper-tiny.en from the offline pack
(real transcripts), the shown code executed, gradio_client against the live server, and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from core.errors import UserError
from core.registry import all_tasks, discover
from core.ui import jsonable
from tests.audio_files import SENTENCE, make_speech_files, word_error_rate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TASKS = {name: task for name, (_, task) in all_tasks(discover()).items()}
ASR = TASKS["automatic-speech-recognition"]
AUDIO_CLS = TASKS["audio-classification"]
ZERO_SHOT = TASKS["zero-shot-audio-classification"]
TTS = TASKS["text-to-audio"]


@pytest.fixture(scope="session")
def speech(tmp_path_factory):
    return make_speech_files(tmp_path_factory.mktemp("speech"))


@pytest.fixture(scope="session")
def whisper(pack_dir) -> str:
    return str(pack_dir / "whisper-tiny.en")


def asr_params(**overrides) -> dict:
    return {**ASR.params, **overrides}


def run_code(code: str, name: str = "result") -> object:
    """Execute a Code panel snippet in a fresh namespace; returns the variable it printed (checked to be
    printed)."""
    import contextlib
    import io

    out = io.StringIO()
    namespace: dict = {"__name__": "__snippet__"}
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<snippet>", "exec"), namespace)
    assert out.getvalue().strip(), "the snippet prints its result"
    return namespace[name]


def check_timestamps(chunks: list, duration: float) -> None:
    starts = [c["timestamp"][0] for c in chunks]
    assert starts == sorted(starts)
    for c in chunks:
        start, end = c["timestamp"]
        assert 0 <= start <= duration + 0.05
        assert end is None or start <= end <= duration + 0.05


# ---- real transcripts: whisper-tiny.en --------------------------------------------------------------
@pytest.fixture(scope="module")
def mono_segments(manager, whisper, speech):
    """whisper-tiny.en on the 16 kHz mono sentence, with segment timestamps (run once)."""
    return manager.run(ASR, whisper, {"audio": str(speech["wav16"])}, asr_params(return_timestamps="segments"))


def test_whisper_transcribes_espeak_speech(mono_segments):
    out = mono_segments.output
    assert word_error_rate(SENTENCE, out["text"]) < 0.2, out["text"]
    assert out["chunks"], "segments were asked for"
    check_timestamps(out["chunks"], 3.5)
    assert mono_segments.details["pipeline_class"] == "AutomaticSpeechRecognitionPipeline"


def test_whisper_word_timestamps_in_order_inside_the_audio(manager, whisper, speech):
    from core.audio import load_audio

    duration = load_audio(speech["wav16"], 16000).duration
    out = manager.run(ASR, whisper, {"audio": str(speech["wav16"])}, asr_params(return_timestamps="words")).output
    words = [c["text"].strip() for c in out["chunks"]]
    assert len(words) >= 7
    assert word_error_rate(SENTENCE, " ".join(words)) < 0.2
    check_timestamps(out["chunks"], duration)


def test_stereo_44k_gives_the_same_transcript_as_mono_16k(manager, whisper, speech, mono_segments):
    stereo = manager.run(ASR, whisper, {"audio": str(speech["stereo44"])}, asr_params(return_timestamps="segments"))
    assert stereo.output["text"] == mono_segments.output["text"]


def test_english_only_whisper_refuses_language_and_translate(manager, whisper, speech):
    with pytest.raises(UserError, match="English-only"):
        manager.run(ASR, whisper, {"audio": str(speech["wav16"])}, asr_params(language="korean"))
    with pytest.raises(UserError, match="English-only"):
        manager.run(ASR, whisper, {"audio": str(speech["wav16"])}, asr_params(task="translate"))


def test_whisper_code_reproduces_the_run(manager, tiny, speech):
    params = asr_params(return_timestamps="segments")
    result = manager.run(ASR, str(tiny["whisper"]), {"audio": str(speech["mp3"])}, params)
    assert "sf.read(" in result.code and "return_timestamps=True" in result.code
    assert jsonable(run_code(result.code)) == jsonable(result.output)


# ---- tiny models: structure -------------------------------------------------------------------------
def test_long_audio_runs_in_chunks_with_progress(manager, tiny, speech, monkeypatch):
    import demos.audio.asr as asr

    reports = []
    monkeypatch.setattr(asr, "progress", lambda desc: lambda done, total: reports.append((done, total)))
    params = asr_params(return_timestamps="segments", chunk_length_s=10.0, stride_length_s=2.0, batch_size=2)
    out = manager.run(ASR, str(tiny["whisper"]), {"audio": str(speech["long"])}, params).output
    assert isinstance(out["text"], str)
    # 40 s in 10 s chunks stepping 6 s: 6 chunks, 2 per batch: 3 forward passes
    assert reports[0] == (0, 3) and reports[-1] == (3, 3)


def test_whisper_over_30s_without_chunks_needs_chunking_or_timestamps(manager, tiny, speech):
    with pytest.raises(UserError) as err:
        manager.run(ASR, str(tiny["whisper"]), {"audio": str(speech["long"])}, asr_params(chunk_length_s=0.0))
    assert err.value.key == "bad_param" and "chunk_length_s" in str(err.value)
    with pytest.raises(UserError, match="less than half"):
        manager.run(ASR, str(tiny["whisper"]), {"audio": str(speech["long"])},
                    asr_params(chunk_length_s=10.0, stride_length_s=5.0))


def test_ctc_gives_word_timestamps(manager, tiny, speech):
    model = str(tiny["wav2vec2-ctc"])
    for stamps in ("segments", "words"):
        result = manager.run(ASR, model, {"audio": str(speech["stereo44"])}, asr_params(return_timestamps=stamps))
        out = result.output
        assert isinstance(out["text"], str) and isinstance(out["chunks"], list)
        check_timestamps(out["chunks"], 3.5)
        assert 'return_timestamps="word"' in result.code.replace("'", '"')
    with pytest.raises(UserError, match="multilingual Whisper"):
        manager.run(ASR, model, {"audio": str(speech["wav16"])}, asr_params(language="korean"))


def test_ctc_code_reproduces_the_run(manager, tiny, speech):
    result = manager.run(ASR, str(tiny["wav2vec2-ctc"]), {"audio": str(speech["m4a"])},
                         asr_params(return_timestamps="words"))
    assert "av.open(" in result.code
    assert jsonable(run_code(result.code)) == jsonable(result.output)


def test_audio_classification_labels(manager, tiny, speech):
    model = str(tiny["wav2vec2-audiocls"])
    config = json.loads((tiny["wav2vec2-audiocls"] / "config.json").read_text())
    labels = set(config["id2label"].values())
    result = manager.run(AUDIO_CLS, model, {"audio": str(speech["mp3"])}, {**AUDIO_CLS.params, "top_k": 2})
    out = result.output
    assert len(out) == min(2, len(labels))
    assert {d["label"] for d in out} <= labels
    assert all(0 <= d["score"] <= 1 for d in out) and out[0]["score"] >= out[-1]["score"]
    assert jsonable(run_code(result.code)) == jsonable(out)


def test_zero_shot_audio_scores_the_candidates(manager, tiny, speech):
    model = str(tiny["clap"])
    inputs = {"audio": str(speech["ogg"]), "candidate_labels": "speech, music,dog barking\nrain"}
    result = manager.run(ZERO_SHOT, model, inputs, ZERO_SHOT.params)
    out = result.output
    assert sorted(d["label"] for d in out) == ["dog barking", "music", "rain", "speech"]
    assert abs(sum(d["score"] for d in out) - 1) < 1e-4
    assert jsonable(run_code(result.code)) == jsonable(out)
    with pytest.raises(UserError) as err:
        manager.run(ZERO_SHOT, model, {"audio": str(speech["ogg"]), "candidate_labels": " , "}, ZERO_SHOT.params)
    assert err.value.key == "empty_input"


def test_text_to_speech_writes_a_playable_wav(manager, tiny, tmp_path, monkeypatch):
    import soundfile as sf

    model = str(tiny["vits"])
    params = {**TTS.params, "seed": 3}
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


# ---- the live server ------------------------------------------------------------------------------
def test_client_every_audio_endpoint(client, tiny, speech):
    from gradio_client import handle_file

    text, segments, player, files, raw, code, details = client.predict(
        handle_file(str(speech["wav16"])), "words", 30, 5, 1, "", "transcribe", str(tiny["wav2vec2-ctc"]),
        api_name="/automatic_speech_recognition")
    assert isinstance(text, str) and raw["text"].strip() == text
    assert sorted(os.path.basename(f) for f in files) == ["transcript.srt", "transcript.txt", "transcript.vtt"]
    assert "pipeline(\"automatic-speech-recognition\"" in code.replace("'", '"')

    label, raw, code, details = client.predict(
        handle_file(str(speech["mp3"])), 3, 30, str(tiny["wav2vec2-audiocls"]), api_name="/audio_classification")
    assert len(raw) == len(label["confidences"]) >= 1

    label, raw, code, details = client.predict(
        handle_file(str(speech["flac"])), "speech, music", "This is a sound of {}.", 10, str(tiny["clap"]),
        api_name="/zero_shot_audio_classification")
    assert {c["label"] for c in label["confidences"]} == {"speech", "music"}

    audio, raw, code, details = client.predict(
        "hello world", 0, 1.0, 0.667, 0.0, 0, str(tiny["vits"]), api_name="/text_to_audio")
    assert os.path.getsize(audio) > 44 and raw["samples"] > 0


def test_server_without_ffmpeg_explains_and_keeps_serving(client, tiny, speech, monkeypatch, tmp_path):
    """The server decodes in this process: take ffmpeg off PATH and PyAV away, send an m4a."""
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(sys.modules, "av", None)
    model = str(tiny["wav2vec2-ctc"])
    args = ("none", 30, 5, 1, "", "transcribe", model)
    with pytest.raises(AppError) as err:
        client.predict(handle_file(str(speech["m4a"])), *args, api_name="/automatic_speech_recognition")
    assert "ffmpeg was not found" in str(err.value) and "apt install ffmpeg" in str(err.value)
    for name in ("wav16", "flac", "mp3"):  # still answering, and soundfile's formats need no ffmpeg
        text, *_ = client.predict(handle_file(str(speech[name])), *args, api_name="/automatic_speech_recognition")
        assert isinstance(text, str)


# ---- the CLI --------------------------------------------------------------------------------------
def test_cli_transcribes_and_fails_cleanly(whisper, tiny, speech):
    env = {**os.environ, "PLAYGROUND_NO_WARMUP": "1"}
    ok = subprocess.run([sys.executable, "app.py", "run", "automatic-speech-recognition", str(speech["mp3"]),
                         "--model", whisper, "--offline", "--param", "return_timestamps=segments"],
                        cwd=ROOT, capture_output=True, text=True, env=env, timeout=180)
    assert ok.returncode == 0, ok.stderr
    out = json.loads(ok.stdout)
    assert word_error_rate(SENTENCE, out["text"]) < 0.2 and out["chunks"]
    bad = subprocess.run([sys.executable, "app.py", "run", "automatic-speech-recognition", str(speech["text"]),
                          "--model", str(tiny["wav2vec2-ctc"]), "--offline"], cwd=ROOT, capture_output=True, text=True, env=env,
                         timeout=180)
    assert bad.returncode == 2
    lines = [line for line in bad.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, bad.stderr  # a text file named .mp3: no decoder noise, no traceback
    assert lines[0].startswith("error: Audio could not be read: not an audio format")


def test_recording_from_an_array(manager, tiny):
    """A microphone value (rate, int16 samples (n, 2)) at 48 kHz goes through the same decoding."""
    rate = 48000
    noise = (np.random.default_rng(0).standard_normal((rate, 2)) * 3000).astype(np.int16)
    out = manager.run(AUDIO_CLS, str(tiny["wav2vec2-audiocls"]), {"audio": (rate, noise)}, AUDIO_CLS.params).output
    assert out and all("label" in d for d in out)


def test_text_to_speech_other_scripts(manager, tiny):
    """Korean into a Latin-alphabet VITS: a clear message; MMS models of other scripts get romanized text."""
    from importlib.util import find_spec
    from types import SimpleNamespace

    from demos.audio.tts import romanize_if_needed

    with pytest.raises(UserError, match="alphabet"):
        manager.run(TTS, str(tiny["vits"]), {"text": "안녕하세요"}, TTS.params)
    pipe = SimpleNamespace(tokenizer=SimpleNamespace(is_uroman=True))
    assert romanize_if_needed(pipe, "hello") == "hello"
    if find_spec("uroman") is not None:
        assert romanize_if_needed(pipe, "안녕하세요").isascii()
    else:
        with pytest.raises(UserError, match="pip install uroman"):
            romanize_if_needed(pipe, "안녕하세요")
