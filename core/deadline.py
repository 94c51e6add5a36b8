"""A per-request time limit that really stops the work: every module of a loaded model checks the running
request's deadline before its forward pass, so a run past its time raises RunTimeout at the next layer
(and generate() stops within a token), releases the model and lets the queue move on.

Runs set the deadline with `within(seconds)`; readers and loops that spend time outside a model (decoding
a file, a t-SNE) may call `check()` themselves.
"""

from __future__ import annotations

import contextlib
import threading
import time

_LOCAL = threading.local()


class RunTimeout(Exception):
    """The running request went past its time limit."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(f"stopped after {seconds:g} s")


def within(seconds: float | None):
    """Within the block (this thread), the work must end `seconds` from now; None or 0: no limit."""
    return until((time.monotonic() + seconds, seconds) if seconds else None)


@contextlib.contextmanager
def until(deadline: tuple[float, float] | None):
    """Within the block (this thread), the deadline current() gave elsewhere (a worker thread carries its
    caller's deadline this way)."""
    previous = getattr(_LOCAL, "deadline", None)
    _LOCAL.deadline = deadline
    try:
        yield
    finally:
        _LOCAL.deadline = previous


def current() -> tuple[float, float] | None:
    """This thread's deadline: (monotonic end, the limit in seconds), or None."""
    return getattr(_LOCAL, "deadline", None)


def check() -> None:
    """Raise RunTimeout when this thread's request is past its deadline."""
    deadline = getattr(_LOCAL, "deadline", None)
    if deadline is not None and time.monotonic() > deadline[0]:
        raise RunTimeout(deadline[1])


def _hook(module, args):
    check()


def install(model) -> None:
    """Make every submodule of a torch model check the deadline before its forward pass (once per model)."""
    if model is None or getattr(model, "_playground_deadline", False) or not hasattr(model, "modules"):
        return
    for module in model.modules():
        module.register_forward_pre_hook(_hook)
    model._playground_deadline = True
