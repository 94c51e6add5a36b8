"""Tiny random-weight models for every task, built offline in seconds.

Each builder writes one Hugging Face model folder (config, weights, tokenizer/processor) that loads with
the same `pipeline(...)` / AutoClass code the app uses. Weights are random (fixed seed): tests built on
them assert structure (shapes, label sets, types), never specific values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TinySpec:
    name: str
    tasks: tuple[str, ...]
    build: Callable[[Path], None]


TINY: dict[str, TinySpec] = {}


def tiny(name: str, *tasks: str):
    """Register a builder `fn(folder)` that saves a tiny model for `tasks` into `folder`."""

    def register(fn: Callable[[Path], None]) -> Callable[[Path], None]:
        if name in TINY:
            raise ValueError(f"tiny model {name!r} registered twice")
        TINY[name] = TinySpec(name, tasks, fn)
        return fn

    return register


def build_all(root: Path, names: list[str] | None = None) -> dict[str, Path]:
    """Build the named tiny models (all by default) under `root`; returns name -> folder.

    A folder that already holds a config.json is kept as it is, so repeated calls are cheap.
    """
    root = Path(root)
    out: dict[str, Path] = {}
    for name in names or sorted(TINY):
        folder = root / name
        if not (folder / "config.json").exists():
            folder.mkdir(parents=True, exist_ok=True)
            TINY[name].build(folder)
        out[name] = folder.resolve()
    return out


# Builders register themselves on import.
from tests.tiny import audio, compare, multimodal, text, vision  # noqa: E402,F401
