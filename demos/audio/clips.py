"""The speech clips shipped in demos/audio/clips/ (examples in the UI), made with espeak-ng.

    python -m demos.audio.clips      # rewrite them (needs espeak-ng and ffmpeg)
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "clips"

# name -> (espeak-ng voice, text). The English sentence is the study notes' own ASR example.
CLIPS = {
    "dream.mp3": ("en-us", "I have a dream that one day this nation will rise up and live out the true meaning "
                           "of its creed."),
    "korean.ogg": ("ko", "안녕하세요. 오늘은 트랜스포머 라이브러리로 음성 인식을 해 보겠습니다."),
}


def speak(text: str, out: Path, voice: str = "en-us", speed: int = 150) -> Path:
    """espeak-ng speech of text as a WAV file (22,050 Hz mono)."""
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text], check=True,
                   capture_output=True)
    return out


def make(folder: Path = FOLDER) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name, (voice, text) in CLIPS.items():
        with tempfile.TemporaryDirectory() as tmp:
            wav = speak(text, Path(tmp) / "speech.wav", voice)
            out = folder / name
            codec = ["-c:a", "libmp3lame", "-b:a", "48k"] if out.suffix == ".mp3" else ["-c:a", "libopus", "-b:a", "32k"]
            subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(wav), *codec, str(out)], check=True)
        made.append(out)
    return made


if __name__ == "__main__":
    for path in make():
        print(path, path.stat().st_size, "bytes")
