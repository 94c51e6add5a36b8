"""The limits policy of a shared server, in one place: what one request may cost.

Each limit has a default fit for a public link, a flag and an environment variable (PLAYGROUND_<NAME>);
`--no-limits` lifts them for a server used alone. A limit that is hit answers with one line naming it and
the flag that raises it. The fields (core.params) carry their own, task-level bounds (a top_k of at most
20, 50,000 characters of QA context); these limits are the server-wide ceilings on top of them, read during
a run through `current()`, and the ones no single field can see (an image's aspect ratio, its pixels).
Request bodies, uploads and run time are limited by --max-body-mb, --max-file-mb and --timeout (settings).
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from dataclasses import dataclass, fields, replace

from core.errors import UserError


@dataclass(frozen=True)
class Limits:
    """The ceilings (math.inf: none). The defaults sit at the largest bound a task declares, so out of the box
    the fields' own bounds answer first; an operator lowers a ceiling for every task at once."""

    text_chars: float = 200_000      # characters in one text input
    lines: float = 2_000             # lines (texts, questions, rows) in one run
    pixels: float = 50_000_000       # pixels of an uploaded image, checked before it is decoded
    aspect: float = 20               # an image's long side over its short side (a 20000x1 PNG blows up resizes)
    audio_seconds: float = 1800      # seconds of audio or video in one input
    tokens: float = 8192             # token, sequence and padding lengths a request may ask for
    new_tokens: float = 1024         # tokens generated per text
    labels: float = 50               # candidate labels, targets, queries
    table_cells: float = 20_000      # cells of a table
    train_rows: float = 5_000        # training and eval rows of one training job
    train_epochs: float = 10         # epochs of one training job
    train_seconds: float = 900       # seconds one training job may train
    train_text_chars: float = 5_000  # characters of one training text
    models: float = 3                # models in one comparison (core.compare)
    dataset_rows: float = 5_000      # rows of a dataset run from the page (the CLI runs on the user's own machine)
    zip_members: float = 10_000      # files in a dataset ZIP
    zip_mb: float = 2_000            # MB a dataset ZIP holds uncompressed (a zip bomb is refused before extracting)
    step_values: float = 64          # values shown per tensor of a run's stages ("Under the hood", --show steps)

    @staticmethod
    def off() -> Limits:
        return Limits(**{f.name: math.inf for f in fields(Limits)})


# name -> (what it bounds, unit, flag): the help of each flag, the README table and the messages
POLICY: dict[str, tuple[str, str, str]] = {
    "text_chars": ("characters in one text input", "characters", "--max-text-chars"),
    "lines": ("lines (texts, questions, rows) in one run", "lines", "--max-lines"),
    "pixels": ("pixels of an uploaded image", "pixels", "--max-pixels"),
    "aspect": ("ratio of an image's long side to its short side", "times as long as wide", "--max-aspect"),
    "audio_seconds": ("seconds of audio or video", "s", "--max-audio-seconds"),
    "tokens": ("token, sequence and padding lengths", "tokens", "--max-tokens"),
    "new_tokens": ("tokens generated per text", "tokens", "--max-new-tokens"),
    "labels": ("labels in one run", "labels", "--max-labels"),
    "table_cells": ("cells of a table", "cells", "--max-table-cells"),
    "train_rows": ("training and eval rows of one training job", "rows", "--max-train-rows"),
    "train_epochs": ("epochs of one training job", "epochs", "--max-train-epochs"),
    "train_seconds": ("seconds one training job may train", "s", "--max-train-seconds"),
    "train_text_chars": ("characters of one training text", "characters", "--max-train-text-chars"),
    "models": ("models in one comparison", "models", "--max-compare-models"),
    "dataset_rows": ("rows of a dataset run in the page", "rows", "--max-dataset-rows"),
    "zip_members": ("files in a dataset ZIP", "files", "--max-zip-members"),
    "zip_mb": ("MB a dataset ZIP holds uncompressed", "MB", "--max-zip-mb"),
    "step_values": ("values shown per tensor of a run's stages", "values", "--max-step-values"),
}

_CURRENT: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("limits", default=None)
_DEFAULT = Limits()


def current() -> Limits:
    """The limits of the request being run (the defaults outside a run)."""
    return _CURRENT.get() or _DEFAULT


@contextlib.contextmanager
def active(limits: Limits):
    """Within the block (this thread and context), current() is `limits`."""
    token = _CURRENT.set(limits)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def check(name: str, value: float, what: str) -> None:
    """UserError("limit") naming the limit and its flag when value is over the current limit `name`."""
    limit = getattr(current(), name)
    if value > limit:
        _, unit, flag = POLICY[name]
        raise UserError("limit", what=what, value=_number(value), limit=_number(limit), unit=unit, flag=flag)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def add_options(parser, env) -> None:
    """One flag per limit (defaults from env PLAYGROUND_<NAME>), and --no-limits."""
    for name, (what, _unit, flag) in POLICY.items():
        default = getattr(Limits(), name)
        parser.add_argument(flag, dest=f"limit_{name}", type=float, default=float(env(name.upper(), str(default))),
                            metavar="N",
                            help=f"most {what} one request may use (env PLAYGROUND_{name.upper()}; default {default:g})")
    parser.add_argument("--no-limits", action="store_true", default=env("NO_LIMITS", "") in ("1", "true", "yes"),
                        help="lift every limit above (a server you use alone; env PLAYGROUND_NO_LIMITS=1)")


def from_args(args) -> Limits:
    if getattr(args, "no_limits", False):
        return Limits.off()
    given = {name: getattr(args, f"limit_{name}") for name in POLICY if hasattr(args, f"limit_{name}")}
    return replace(Limits(), **{k: v if v > 0 else math.inf for k, v in given.items()})
