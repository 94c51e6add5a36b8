"""Spaces hardware: on a Hugging Face Space with ZeroGPU, the event handlers that run models are wrapped with
`spaces.GPU`; anywhere else nothing here imports `spaces` or changes anything.

What the `spaces` package (0.51) does, read from its source: ZeroGPU is on when SPACES_ZERO_GPU is "1", "t" or
"true" (spaces.config; the Space also sets SPACES_ZERO_DEVICE_API_URL, which spaces asserts). Importing it then
patches torch (CUDA looks available in the main process, tensors "moved" to cuda stay on the CPU), so it must
come before anything imports torch. A `@spaces.GPU(duration=s)` function asks the device API for a GPU for s
seconds (60 by default) and runs in a forked worker process, one call at a time per worker, its arguments and
result pickled across; concurrent calls run in different workers. So batching across requests cannot merge
anything there (it is turned off), and a handler's result must pickle: gradio components, the keys of a
handler's {component: value} result, do not, so the wrapper sends positions instead.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
from collections.abc import Callable
from typing import Any

GPU_SECONDS = 60  # spaces' own default duration; PLAYGROUND_GPU_SECONDS overrides it


def zero_gpu() -> bool:
    """True on a ZeroGPU Space (the `spaces` package's own test of its environment)."""
    return os.environ.get("SPACES_ZERO_GPU", "").strip().lower() in ("1", "t", "true")


def gpu_seconds() -> int:
    """The GPU time each call asks ZeroGPU for (a shorter request is scheduled sooner)."""
    raw = os.environ.get("PLAYGROUND_GPU_SECONDS", "")
    return max(1, min(int(raw), 3600)) if raw.strip().isdigit() else GPU_SECONDS


def prepare(settings):
    """The settings for this hardware; call before torch is imported. On ZeroGPU: imports `spaces` (it patches
    torch), models go to cuda, no batching across requests, and a run stops (with the app's own timeout line)
    before ZeroGPU's duration would abort it. Elsewhere: settings unchanged."""
    if not zero_gpu():
        return settings
    import spaces  # noqa: F401  (before torch: it patches torch at import)

    seconds = gpu_seconds()
    timeout = min(settings.timeout, seconds) if settings.timeout else seconds
    device = "cuda" if settings.device == "auto" else settings.device
    return dataclasses.replace(settings, device=device, max_batch=1, timeout=timeout)


class _ByPosition(dict):
    """A handler's {component: value} result as {position in outputs: value}, which pickles."""


def _to_positions(value: Any, where: dict[int, int]) -> Any:
    if isinstance(value, dict) and value and all(id(k) in where for k in value):
        return _ByPosition({where[id(k)]: v for k, v in value.items()})
    return value


def _from_positions(value: Any, outputs: list) -> Any:
    if isinstance(value, _ByPosition):
        return {outputs[i]: v for i, v in value.items()}
    return value


def gpu_wrapped(handler: Callable, outputs: list) -> Callable:
    """handler itself off ZeroGPU; on ZeroGPU a function gradio sees with handler's signature whose body runs
    under spaces.GPU(duration=gpu_seconds()). outputs: the event's outputs (handler returns or yields
    {component: value} dicts over them)."""
    if not zero_gpu():
        return handler
    import spaces

    where = {id(c): i for i, c in enumerate(outputs)}
    duration = gpu_seconds()
    if inspect.isgeneratorfunction(handler):
        def on_gpu(*args, **kwargs):
            for item in handler(*args, **kwargs):
                yield _to_positions(item, where)

        gpu = spaces.GPU(on_gpu, duration=duration)

        @functools.wraps(handler)
        def wrapped(*args, **kwargs):
            for item in gpu(*args, **kwargs):
                yield _from_positions(item, outputs)
    else:
        def on_gpu(*args, **kwargs):
            return _to_positions(handler(*args, **kwargs), where)

        gpu = spaces.GPU(on_gpu, duration=duration)

        @functools.wraps(handler)
        def wrapped(*args, **kwargs):
            return _from_positions(gpu(*args, **kwargs), outputs)

    wrapped.gpu = gpu  # the spaces.GPU function (tests look at it)
    return wrapped
