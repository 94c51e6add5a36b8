"""What the audio tasks share: the audio input field (decoded once per run, at the model's rate), the code
that repeats that decoding, sample clips, files written for download, and the progress of long runs.

Imports neither gradio nor torch: the browser's progress bar is plugged in by the tab's build code
(`report_progress_with`), so a run only ever calls a plain callback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from core.audio import MAX_SECONDS, Audio, decoder_for, duration_of, load_audio
from core.codegen import call_args, place_kwargs, py, source_kwargs
from core.files import fresh_dir
from core.params import File

CLIPS = Path(__file__).resolve().parent / "clips"
KEEP_SECONDS = 3600  # written files older than this are removed when new ones are written


# ---- the audio input -------------------------------------------------------------------------------
class Clip:
    """An audio input as parsed: the caller's source (a file path, or a recording `(rate, samples)`),
    decoded on first use at the rate the model wants and kept. So a run decodes it once, and its code
    panel and its view read what that decoding found (decoder, duration) instead of opening the file again."""

    def __init__(self, source: Any, *, what: str = "Audio", max_seconds: float = MAX_SECONDS):
        self.source = source
        self.what = what
        self.max_seconds = max_seconds
        self.audio: Audio | None = None

    @property
    def path(self) -> str | None:
        """The file's path (None for a recording given as samples)."""
        source = self.source.get("path") if isinstance(self.source, dict) else self.source
        return str(source) if isinstance(source, (str, Path)) else None

    def at(self, rate: int) -> Audio:
        """The audio as mono float32 at `rate` Hz (decoded now, or the decoding this run already made)."""
        if self.audio is None or self.audio.sampling_rate != rate:
            self.audio = load_audio(self.source, rate, what=self.what, max_seconds=self.max_seconds)
        return self.audio

    @property
    def decoder(self) -> str:
        """Which decoder read it: "soundfile", "pyav", "ffmpeg" or "array" (probed when not decoded yet)."""
        if self.audio is not None:
            return self.audio.decoder
        return decoder_for(self.path) if self.path else "array"

    @property
    def duration(self) -> float:
        """Its length in seconds (from the decoding; from the file's header before one; 0 if unknown)."""
        if self.audio is not None:
            return self.audio.duration
        if self.path:
            return duration_of(self.path) or 0.0
        if isinstance(self.source, (tuple, list)) and len(self.source) == 2:
            try:
                return len(self.source[1]) / float(self.source[0])
            except (TypeError, ValueError, ZeroDivisionError):
                return 0.0
        return 0.0

    def __repr__(self) -> str:
        return f"Clip({Path(self.path).name if self.path else 'recording'})"


@dataclass(frozen=True)
class AudioFile(File):
    """An audio file (upload, microphone recording or path) of at most max_seconds; parses to a Clip."""

    media: str = "audio"
    max_seconds: float = MAX_SECONDS

    def parse(self, value: Any) -> Clip | None:
        if isinstance(value, Clip):
            return value
        source = super().parse(value)
        return None if source is None else Clip(source, what=self.title, max_seconds=self.max_seconds)

    def describe(self) -> dict:
        return {**super().describe(), "max_seconds": self.max_seconds}


def cropped(clip: Clip, rate: int, seconds: float) -> tuple[Any, float]:
    """(samples at rate, cut to the first `seconds` (0 = all), the whole clip's duration)."""
    audio = clip.at(rate)
    samples = audio.samples[: int(seconds * rate)] if seconds else audio.samples
    return samples, audio.duration


def crop_lines(seconds: float) -> list[str]:
    return [f"audio = audio[: int({seconds:g} * rate)]  # the first {seconds:g} s"] if seconds else []


# ---- sample clips and written files ----------------------------------------------------------------
def gradio_sample(name: str) -> str | None:
    """Path of one of gradio's bundled media files (e.g. 'audio/cantina.wav'), or None (gradio not imported)."""
    spec = find_spec("gradio")
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "media_assets" / name
    return str(path) if path.exists() else None


def clip(name: str) -> str | None:
    """Path of a speech clip shipped with this tab (made with espeak-ng by demos/audio/clips.py)."""
    path = CLIPS / name
    return str(path) if path.exists() else None


def model_json(ref, filename: str) -> dict:
    """A JSON file of the model (config.json, generation_config.json) from its folder or the Hugging Face
    cache, without loading it or touching the network; {} when it is not there."""
    import json

    path: Any = None
    if getattr(ref, "local", False) or Path(ref.source).is_dir():
        path = Path(ref.source) / filename
    else:
        try:
            from huggingface_hub import try_to_load_from_cache

            path = try_to_load_from_cache(ref.source, filename, revision=ref.revision)
        except Exception:
            path = None
    if not isinstance(path, (str, Path)) or not Path(path).is_file():
        return {}
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def output_dir() -> Path:
    """A fresh folder for written files (gradio serves the temp dir); old ones are pruned."""
    return fresh_dir("playground-audio", KEEP_SECONDS)


# ---- progress of long runs ---------------------------------------------------------------------------
Reporter = Callable[[int, int], None]
_progress_hook: list[Callable[[str], Reporter]] = []


def report_progress_with(hook: Callable[[str], Reporter] | None) -> None:
    """Install hook(desc) -> report(done, total), called at the start of a long run (the browser's progress
    bar, installed by the tab's build); None removes it."""
    _progress_hook[:] = [hook] if hook is not None else []


def progress(desc: str) -> Reporter:
    """report(done, total) for a long run: the installed hook's, or one that does nothing (CLI, tests)."""
    if _progress_hook:
        return _progress_hook[0](desc)
    return lambda done, total: None


# ---- the code panel ----------------------------------------------------------------------------------
DECODE_NOTE = ("# Decode the audio yourself (mono float32 at the model's sampling rate): pipe(\"file.mp3\") "
               "needs the ffmpeg\n# program, and a raw array at another rate needs torchaudio to resample.")


def decode_lines(audio: Clip | None, rate_expr: str = "pipe.feature_extractor.sampling_rate") -> tuple[list[str], list[str]]:
    """(imports, lines) that leave `audio` (mono float32) and `rate` as the app decoded them (the decoder
    this run's decoding used)."""
    lines = [DECODE_NOTE, f"rate = {rate_expr}"]
    path = audio.path if audio is not None else None
    if path is None:
        return ["import numpy as np"], lines + ["audio = ...  # your recording: mono float32 samples at `rate` Hz"]
    decoder = audio.decoder
    resample = ["if file_rate != rate:",
                "    audio = resample_poly(audio, rate, file_rate).astype(np.float32)"]
    if decoder == "soundfile":
        imports = ["import numpy as np", "import soundfile as sf", "from scipy.signal import resample_poly"]
        lines += [f"audio, file_rate = sf.read({py(path)}, dtype=\"float32\", always_2d=True)",
                  "audio = audio.mean(axis=1)", *resample]
    elif decoder == "pyav":
        imports = ["import av", "import numpy as np", "from scipy.signal import resample_poly"]
        lines += [f"with av.open({py(path)}) as container:",
                  "    stream = container.streams.audio[0]",
                  "    to_float = av.AudioResampler(format=\"fltp\")",
                  "    frames = [f for frame in container.decode(stream) for f in to_float.resample(frame)]",
                  "    frames += to_float.resample(None)",
                  "file_rate = frames[0].sample_rate",
                  "audio = np.concatenate([f.to_ndarray().mean(axis=0) for f in frames]).astype(np.float32)",
                  *resample]
    else:  # the ffmpeg program: transformers runs the same command for a file path
        imports = ["import numpy as np", "from transformers.pipelines.audio_utils import ffmpeg_read"]
        lines += ["with open(" + py(path) + ", \"rb\") as f:",
                  "    audio = ffmpeg_read(f.read(), rate)"]
    return imports, lines


def pipeline_snippet(task: str, ref, place, *, imports: list[str], before: list[str], call_input: str,
                     kwargs: dict, after: list[str] | None = None, result: str = "result") -> str:
    """`pipe = pipeline(task, ...)`, the lines before the call, `result = pipe(call_input, **kwargs)`, print."""
    load = call_args(task, model=ref.source, **source_kwargs(ref), **place_kwargs(place))
    args = ", ".join([call_input, call_args(**kwargs)]) if kwargs else call_input
    head = sorted(set(imports), key=lambda line: (line.startswith("from"), line))
    lines = [*head, "from transformers import pipeline", "", f"pipe = pipeline({load})", "", *before, "",
             f"{result} = pipe({args})", *(after if after is not None else [f"print({result})"])]
    return "\n".join(lines) + "\n"
