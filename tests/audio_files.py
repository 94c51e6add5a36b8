"""Audio files for the audio tests, made at test time (espeak-ng speech, sox/ffmpeg conversions), and what
the audio task tests share (running a Code panel snippet, checking timestamps)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

SENTENCE = "The quick brown fox jumps over the lazy dog."


def make_speech_files(folder: Path) -> dict[str, Path]:
    """name -> file: the sentence as 16 kHz mono WAV, 44.1 kHz stereo WAV, FLAC, MP3, OGG and M4A, plus
    a 40 s long clip, a silent WAV, an empty file, a text file named .mp3 and a damaged M4A."""
    import soundfile as sf

    from core.audio import resample
    from demos.audio.clips import speak

    folder.mkdir(parents=True, exist_ok=True)
    raw = speak(SENTENCE, folder / "espeak.wav")
    data, rate = sf.read(str(raw), dtype="float32")
    mono16 = resample(data, rate, 16000)
    files = {"wav16": folder / "speech16k.wav", "stereo44": folder / "speech44k_stereo.wav"}
    sf.write(str(files["wav16"]), mono16, 16000, subtype="PCM_16")
    stereo = resample(data, rate, 44100)
    sf.write(str(files["stereo44"]), np.stack([stereo, 0.8 * stereo], axis=1), 44100, subtype="PCM_16")
    for name, suffix, codec in (("flac", ".flac", []), ("mp3", ".mp3", ["-c:a", "libmp3lame", "-b:a", "64k"]),
                                ("ogg", ".ogg", ["-c:a", "libvorbis"]), ("m4a", ".m4a", ["-c:a", "aac", "-b:a", "64k"])):
        files[name] = folder / f"speech{suffix}"
        subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(raw), *codec, str(files[name])], check=True)
    pause = np.zeros(int(0.5 * 16000), np.float32)
    long = np.concatenate([np.concatenate([mono16, pause])] * int(np.ceil(40 * 16000 / (len(mono16) + len(pause)))))
    files["long"] = folder / "long40s.wav"
    sf.write(str(files["long"]), long[: 40 * 16000], 16000, subtype="PCM_16")
    files["silent"] = folder / "silent.wav"
    sf.write(str(files["silent"]), np.zeros(16000, np.float32), 16000)
    files["empty"] = folder / "empty.wav"
    files["empty"].write_bytes(b"")
    files["text"] = folder / "notes.mp3"
    files["text"].write_text("this is not audio\n" * 20)
    files["damaged"] = folder / "damaged.m4a"
    files["damaged"].write_bytes(files["m4a"].read_bytes()[:600])
    return files


_MADE: dict[str, dict[str, Path]] = {}


def shared_speech_files(tmp_path_factory) -> dict[str, Path]:
    """make_speech_files once per test session, whichever audio test module asks first."""
    if "files" not in _MADE:
        _MADE["files"] = make_speech_files(tmp_path_factory.mktemp("speech"))
    return _MADE["files"]


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


def value_of(output):
    """An output's value: components updated with gr.update(...) come back as {"value": ..., other props}."""
    return output["value"] if isinstance(output, dict) and "value" in output else output


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level Levenshtein distance / reference length, on lower-case words without punctuation."""
    def words(text: str) -> list[str]:
        return "".join(c.lower() if c.isalnum() or c.isspace() else " " for c in text).split()

    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[len(hyp)] / max(1, len(ref))
