"""What the embedding task tests share (no tests here): the offline pack's MiniLM, two small pictures, three
pairs of paraphrases, and helpers to run a task and to execute a shown snippet."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent

# three pairs of paraphrases, each pair about something else
PARAPHRASES = [
    "food | A man is eating a piece of bread.",
    "money | The stock market crashed today.",
    "music | Someone is playing the guitar on stage.",
    "food | A guy eats some bread.",
    "money | Share prices fell sharply this morning.",
    "music | A musician performs a song with his guitar.",
]
PARTNER = {0: 3, 3: 0, 1: 4, 4: 1, 2: 5, 5: 2}
TEXT = "\n".join(PARAPHRASES)
COMMON = dict(text=TEXT, file=None, images=[], pooling="auto", layer=-1, normalize=False, batch_size=32)


@pytest.fixture(scope="module")
def minilm(pack_dir) -> str:
    return str(pack_dir / "all-MiniLM-L6-v2")


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> list[str]:
    """Two small images: a red square and a blue-green gradient."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("pictures")
    red = folder / "red.png"
    Image.new("RGB", (40, 40), (220, 30, 30)).save(red)
    ramp = np.stack(np.meshgrid(np.linspace(0, 255, 48), np.linspace(0, 255, 36)), -1).astype(np.uint8)
    grad = folder / "gradient.jpg"
    Image.fromarray(np.dstack([ramp[..., 0] * 0, ramp[..., 0], ramp[..., 1]])).save(grad)
    return [str(red), str(grad)]


def run(manager, task, model, inputs, params=None):
    return manager.run(task, str(model), inputs, {**task.defaults(), **(params or {})})


def execute(code: str) -> dict:
    """Run a shown snippet in a fresh namespace (its prints swallowed); returns the namespace."""
    namespace: dict = {"__name__": "__snippet__"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1", HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "app.py", "run", *args, "--offline"], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, env=env, timeout=300)


def json_lines(stdout: str) -> list:
    """The CLI's JSON Lines: one JSON value per line, nothing else."""
    lines = stdout.splitlines()
    assert lines and all(line.strip() for line in lines), stdout[:500]
    return [json.loads(line) for line in lines]
