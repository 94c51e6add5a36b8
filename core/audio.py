"""Audio in: any common file (wav, flac, ogg, mp3, m4a, webm...) or a recorded array, decoded to mono float32
at the sampling rate a model wants.

Why the app does this itself: transformers' audio pipelines decode a file path with the ffmpeg program and
resample raw arrays with torchaudio; neither is guaranteed here. So every audio pipeline gets
`{"raw": mono float32 at the model's rate, "sampling_rate": rate}` from `load_audio`.

Decoders, tried in order: soundfile (libsndfile: WAV, FLAC, OGG/Vorbis/Opus, MP3 and more, no ffmpeg
needed), PyAV (FFmpeg's libraries inside the `av` wheel: m4a/AAC, webm, wma, video files...), then the
ffmpeg program. Channels are averaged and the rate converted with scipy.signal.resample_poly. Every
failure is a UserError: empty, silent, too short or too long audio, damaged or unsupported files, and
"ffmpeg was not found" (with the fix) when a file needs it and neither PyAV nor ffmpeg is there.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core import deadline, limits
from core.errors import UserError

MAX_SECONDS = 3600.0  # an hour: long lectures run chunked
MIN_SECONDS = 0.1
SILENCE_PEAK = 1e-4  # about -80 dBFS: nothing audible at all
BLOCK_FRAMES = 1 << 18  # soundfile reads long files block by block (mono mix per block keeps memory low)

# Formats libsndfile reads without ffmpeg; the rest goes to PyAV or the ffmpeg program.
SOUNDFILE_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif", ".au", ".caf", ".w64")


@dataclass(frozen=True)
class Audio:
    """Decoded audio: `samples` is mono float32 at `sampling_rate`; the rest says where it came from."""

    samples: np.ndarray
    sampling_rate: int
    source_rate: int
    channels: int
    decoder: str  # "soundfile", "pyav", "ffmpeg" or "array"

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sampling_rate

    def pipeline_input(self) -> dict[str, Any]:
        """What every transformers audio pipeline accepts without ffmpeg or torchaudio (a fresh dict:
        the pipeline pops its keys)."""
        return {"raw": self.samples, "sampling_rate": self.sampling_rate}


def load_audio(source: Any, rate: int, *, what: str = "Audio", max_seconds: float = MAX_SECONDS,
               min_seconds: float = MIN_SECONDS, allow_silence: bool = False) -> Audio:
    """Decode `source` to mono float32 at `rate` Hz.

    source: a file path (str or Path), a gradio microphone/numpy value `(sampling_rate, samples)` with
    samples shaped (n,) or (n, channels), a dict `{"path": ...}` (gradio FileData) or
    `{"raw"|"array": samples, "sampling_rate": sr}`.
    Raises UserError for missing, empty, silent, damaged, unsupported, too short or too long audio.
    """
    if source is None or (isinstance(source, str) and not source.strip()):
        raise UserError("empty_input", what=what)
    if isinstance(source, dict):
        if source.get("path"):
            source = source["path"]
        elif "sampling_rate" in source and ("raw" in source or "array" in source):
            raw = source.get("raw")
            source = (source["sampling_rate"], raw if raw is not None else source.get("array"))
        else:
            raise UserError("bad_file", what=what, detail="expected a file or {'raw': samples, 'sampling_rate': rate}")
    if isinstance(source, (tuple, list)) and len(source) == 2 and not isinstance(source[0], (str, Path)):
        mono, source_rate, channels = _from_array(source[1], source[0], what)
        decoder = "array"
    else:
        mono, source_rate, channels, decoder = _decode_file(Path(source), rate, what, max_seconds)
    _check(mono, source_rate, what, max_seconds, min_seconds, allow_silence)
    samples = resample(mono, source_rate, rate)
    return Audio(samples, rate, source_rate, channels, decoder)


def resample(samples: np.ndarray, source_rate: int, rate: int) -> np.ndarray:
    """Polyphase resampling (scipy.signal.resample_poly) from source_rate to rate, float32 out."""
    samples = np.asarray(samples, dtype=np.float32)
    if source_rate == rate:
        return samples
    from scipy.signal import resample_poly

    return resample_poly(samples, rate, source_rate).astype(np.float32)


def duration_of(path: str | Path) -> float | None:
    """Length of an audio file in seconds from its header (no full decode), or None if unknown."""
    try:
        import soundfile as sf

        return float(sf.info(str(path)).duration)
    except Exception:
        pass
    try:
        import av

        with av.open(str(path)) as container:
            if container.duration:
                return container.duration / 1_000_000
    except Exception:
        pass
    return None


def decoder_for(path: str | Path) -> str:
    """Which decoder `load_audio` will use for this file: "soundfile", "pyav" or "ffmpeg" (for the code
    panel, which repeats the app's decoding)."""
    try:
        import soundfile as sf

        sf.info(str(path))
        return "soundfile"
    except Exception:
        pass
    return "pyav" if _av() is not None else "ffmpeg"


def write_wav(path: str | Path, samples: np.ndarray, rate: int) -> Path:
    """Save float samples ((n,) or (channels, n)) as 16-bit PCM WAV (what every browser plays)."""
    import soundfile as sf

    data = np.asarray(samples, dtype=np.float32)
    if data.ndim == 2 and data.shape[0] < data.shape[1]:
        data = data.T  # soundfile wants (frames, channels)
    path = Path(path)
    sf.write(str(path), np.clip(data, -1.0, 1.0), int(rate), subtype="PCM_16")
    return path


# ---- decoding --------------------------------------------------------------------------------------
def _from_array(data: Any, rate: Any, what: str) -> tuple[np.ndarray, int, int]:
    """A recorded array to mono float32: integers are scaled to [-1, 1], channels averaged."""
    try:
        rate = int(rate)
    except (TypeError, ValueError):
        raise UserError("bad_file", what=what, detail=f"the sampling rate {rate!r} is not a number") from None
    if rate <= 0:
        raise UserError("bad_file", what=what, detail=f"the sampling rate {rate} is not positive")
    array = np.asarray(data)
    if array.size == 0:
        raise UserError("bad_file", what=what, detail="the recording holds no samples")
    if array.dtype.kind == "i":
        array = array.astype(np.float32) / float(2 ** (8 * array.dtype.itemsize - 1))
    elif array.dtype.kind == "u":
        half = float(2 ** (8 * array.dtype.itemsize - 1))
        array = (array.astype(np.float32) - half) / half
    elif array.dtype.kind != "f":
        raise UserError("bad_file", what=what, detail=f"samples of type {array.dtype} are not audio")
    array = array.astype(np.float32, copy=False)
    if array.ndim == 1:
        return array, rate, 1
    if array.ndim != 2:
        raise UserError("bad_file", what=what, detail=f"expected (samples,) or (samples, channels), got {array.shape}")
    if array.shape[0] < array.shape[1] and array.shape[0] <= 8:
        array = array.T  # (channels, samples) -> (samples, channels)
    return array.mean(axis=1), rate, array.shape[1]


def _decode_file(path: Path, rate: int, what: str, max_seconds: float) -> tuple[np.ndarray, int, int, str]:
    """(mono float32 samples, their rate, channel count, decoder) of an audio file."""
    if not path.is_file():
        raise UserError("bad_file", what=what, detail=f"no such file: {path.name}")
    if path.stat().st_size == 0:
        raise UserError("bad_file", what=what, detail="the file is empty (0 bytes)")
    try:
        return (*_read_soundfile(path, what, max_seconds), "soundfile")
    except _NotForSoundfile:
        pass
    av = _av()
    if av is not None:
        return (*_read_pyav(av, path, what, max_seconds), "pyav")
    if shutil.which("ffmpeg"):
        return _read_ffmpeg(path, rate, what), rate, 1, "ffmpeg"
    if path.suffix.lower() in SOUNDFILE_SUFFIXES and path.suffix.lower() != ".mp3":
        raise UserError("bad_file", what=what, detail="the file is damaged or not really " + path.suffix.lower())
    raise UserError("no_ffmpeg")


class _NotForSoundfile(Exception):
    """libsndfile does not read this format (or this file): try the next decoder."""


def _mp3_signature(path: Path) -> bool:
    """Whether a file starts like MP3 (an ID3 tag or an MPEG frame sync)."""
    with open(path, "rb") as f:
        head = f.read(3)
    return head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


def _read_soundfile(path: Path, what: str, max_seconds: float) -> tuple[np.ndarray, int, int]:
    import soundfile as sf

    if path.suffix.lower() == ".mp3" and not _mp3_signature(path):
        # libsndfile's MP3 decoder prints "Note: Illegal Audio-MPEG-Header" to stderr for such files
        raise _NotForSoundfile("not MP3 data")
    try:
        info = sf.info(str(path))
    except Exception as exc:
        raise _NotForSoundfile(str(exc)) from exc
    if info.frames == 0 or info.samplerate <= 0:
        raise UserError("bad_file", what=what, detail="the file holds no audio samples")
    _check_length(info.frames / info.samplerate, what, max_seconds)
    try:
        # not sf.blocks(): it refills one buffer and, when a file holds fewer frames than its header says (a
        # truncated MP3), hands back the buffer's stale tail as audio; read() returns only what was decoded
        blocks = []
        with sf.SoundFile(str(path)) as f:
            while True:
                block = f.read(BLOCK_FRAMES, dtype="float32", always_2d=True)
                if not len(block):
                    break
                blocks.append(block.mean(axis=1))
                deadline.check()
    except deadline.RunTimeout:
        raise
    except Exception as exc:
        if path.suffix.lower() in SOUNDFILE_SUFFIXES and path.suffix.lower() != ".mp3":
            raise UserError("bad_file", what=what, detail=f"the file is damaged ({_first_line(exc)})") from None
        raise _NotForSoundfile(str(exc)) from exc
    mono = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    return mono, int(info.samplerate), int(info.channels)


def _av():
    """The PyAV module, or None when it is not installed."""
    try:
        import av
    except ImportError:
        return None
    return av


def _read_pyav(av, path: Path, what: str, max_seconds: float) -> tuple[np.ndarray, int, int]:
    try:
        container = av.open(str(path))
    except Exception as exc:
        raise UserError("bad_file", what=what,
                        detail=f"not an audio format this app can decode, or the file is damaged ({_first_line(exc)})"
                        ) from None
    with container:
        stream = next((s for s in container.streams if s.type == "audio"), None)
        if stream is None:
            raise UserError("bad_file", what=what, detail="the file has no audio track")
        if container.duration:
            _check_length(container.duration / 1_000_000, what, max_seconds)
        resampler = av.AudioResampler(format="fltp")  # float planar, same layout and rate
        parts: list[np.ndarray] = []
        channels = 0
        rate = 0
        try:
            decoded = 0
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    planes = out.to_ndarray()
                    channels, rate = planes.shape[0], out.sample_rate
                    parts.append(planes.mean(axis=0))
                    decoded += planes.shape[1]
                deadline.check()  # a decoder that runs on is stopped with the request
                if max_seconds and rate and decoded / rate > max_seconds:  # no (or a lying) duration in the header
                    _check_length(decoded / rate, what, max_seconds)
            for out in resampler.resample(None):
                parts.append(out.to_ndarray().mean(axis=0))
        except (UserError, deadline.RunTimeout):
            raise
        except Exception as exc:
            if not parts:
                raise UserError("bad_file", what=what, detail=f"the file is damaged ({_first_line(exc)})") from None
            # a truncated file: keep what decoded (players do the same)
    if not parts or not rate:
        raise UserError("bad_file", what=what, detail="the file holds no audio samples")
    return np.concatenate(parts).astype(np.float32, copy=False), int(rate), int(channels)


def _read_ffmpeg(path: Path, rate: int, what: str) -> np.ndarray:
    """The same command transformers' ffmpeg_read runs: mono float32 at rate."""
    command = ["ffmpeg", "-i", "pipe:0", "-ac", "1", "-ar", str(rate), "-f", "f32le", "-hide_banner",
               "-loglevel", "quiet", "pipe:1"]
    try:
        done = subprocess.run(command, input=path.read_bytes(), capture_output=True, check=False)
    except FileNotFoundError:
        raise UserError("no_ffmpeg") from None
    samples = np.frombuffer(done.stdout, np.float32)
    if samples.size == 0:
        raise UserError("bad_file", what=what, detail="not an audio format this app can decode, or the file is damaged")
    return samples.copy()


# ---- checks ----------------------------------------------------------------------------------------
def _check_length(seconds: float, what: str, max_seconds: float) -> None:
    if max_seconds and seconds > max_seconds:
        raise UserError("too_large", what=what,
                        detail=f"it lasts {_clock(seconds)}; the limit is {_clock(max_seconds)}: cut it shorter")
    limits.check("audio_seconds", math.ceil(seconds), what)


def _check(mono: np.ndarray, rate: int, what: str, max_seconds: float, min_seconds: float,
           allow_silence: bool) -> None:
    if mono.size == 0:
        raise UserError("bad_file", what=what, detail="the file holds no audio samples")
    seconds = mono.size / rate
    _check_length(seconds, what, max_seconds)
    if seconds < min_seconds:
        raise UserError("bad_file", what=what,
                        detail=f"it lasts only {seconds * 1000:.0f} ms; give at least {min_seconds:g} s")
    if not np.all(np.isfinite(mono)):
        raise UserError("bad_file", what=what, detail="the samples hold NaN or infinite values")
    if not allow_silence and float(np.max(np.abs(mono))) < SILENCE_PEAK:
        raise UserError("bad_file", what=what, detail="the audio is silent (every sample is zero or nearly)")


def _clock(seconds: float) -> str:
    seconds = int(math.ceil(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _first_line(exc: BaseException) -> str:
    """The error's first line without errno numbers and file paths (the user knows which file it is)."""
    lines = str(exc).strip().splitlines()
    text = re.sub(r"\[Errno -?\d+\]\s*", "", lines[0] if lines else type(exc).__name__)
    text = re.sub(r":?\s*'?/[^']*'?$", "", text).strip()
    return text[:200] or type(exc).__name__
