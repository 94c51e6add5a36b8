"""What the audio tasks share: decoding an input for a pipeline, the code that repeats that decoding,
sample clips, files written for download, and the progress bar of long runs."""

from __future__ import annotations

import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from core.audio import Audio, decoder_for, load_audio
from core.codegen import call_args, place_kwargs, py, source_kwargs
from core.files import fresh_dir

CLIPS = Path(__file__).resolve().parent / "clips"
KEEP_SECONDS = 3600  # written files older than this are removed when new ones are written


def decode_for(pipe, source: Any, *, what: str = "Audio", **limits) -> Audio:
    """The input decoded to mono float32 at the pipeline's feature extractor's sampling rate."""
    return load_audio(source, pipe.feature_extractor.sampling_rate, what=what, **limits)


def gradio_sample(name: str) -> str | None:
    """Path of one of gradio's bundled media files (e.g. 'audio/cantina.wav'), or None."""
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


def progress(desc: str):
    """report(done, total): drives the browser's progress bar when called inside a gradio event, and does
    nothing elsewhere (CLI, tests, notebooks). Kept out of the run functions' results."""
    gr = sys.modules.get("gradio")
    tracker = gr.Progress() if gr is not None else None

    def report(done: int, total: int) -> None:
        if tracker is not None:
            tracker((done, total), desc=desc, unit="chunks")

    return report


# ---- the code panel ----------------------------------------------------------------------------------
DECODE_NOTE = ("# Decode the audio yourself (mono float32 at the model's sampling rate): pipe(\"file.mp3\") "
               "needs the ffmpeg\n# program, and a raw array at another rate needs torchaudio to resample.")


def decode_lines(source: Any, rate_expr: str = "pipe.feature_extractor.sampling_rate") -> tuple[list[str], list[str]]:
    """(imports, lines) that leave `audio` (mono float32) and `rate` as the app decoded them."""
    lines = [DECODE_NOTE, f"rate = {rate_expr}"]
    path = source.get("path") if isinstance(source, dict) else source
    if not isinstance(path, (str, Path)):
        return ["import numpy as np"], lines + ["audio = ...  # your recording: mono float32 samples at `rate` Hz"]
    path = str(path)
    decoder = decoder_for(path)
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
