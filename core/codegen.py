"""Building the Python snippets shown in every Code panel (transformers 5, runnable as printed)."""

from __future__ import annotations

import pprint
from typing import Any


def py(value: Any) -> str:
    """A Python literal for value (strings, numbers, lists, dicts, None), wrapped when long."""
    if isinstance(value, tuple):
        value = list(value)
    text = repr(value)
    if len(text) <= 88:
        return text
    return pprint.pformat(value, width=100, sort_dicts=False)


def call_args(*args: Any, **kwargs: Any) -> str:
    """'a, b, key=value' with Python literals; kwargs whose value is ... are left out."""
    parts = [py(a) for a in args]
    parts += [f"{k}={py(v)}" for k, v in kwargs.items() if v is not ...]
    return ", ".join(parts)


def place_kwargs(place) -> dict[str, Any]:
    """device / device_map and dtype arguments matching how the app loaded the model."""
    kwargs: dict[str, Any] = {}
    if place.device_map:
        kwargs["device_map"] = place.device_map
    else:
        kwargs["device"] = place.device
    kwargs["dtype"] = place.dtype
    return kwargs


def source_kwargs(ref) -> dict[str, Any]:
    return {"revision": ref.revision} if ref.revision else {}


def pipeline_code(task: str, ref, place, inputs: list[Any] | tuple[Any, ...], params: dict[str, Any],
                  *, note: str = "", result: str = "result", after: str = "") -> str:
    """Snippet: build `pipeline(task, model=...)` and call it on inputs with params."""
    load = call_args(task, model=ref.source, **source_kwargs(ref), **place_kwargs(place))
    lines = []
    if note:
        lines += [f"# {line}" for line in note.splitlines()]
    lines += [
        "from transformers import pipeline",
        "",
        f"pipe = pipeline({load})",
        f"{result} = pipe({call_args(*inputs, **params)})",
    ]
    lines.append(after or f"print({result})")
    return "\n".join(lines) + "\n"


def from_pretrained(cls: str, ref, place=None, var: str = "model", **extra: Any) -> str:
    """`var = Cls.from_pretrained(source, ...)`; with place, also dtype and device placement."""
    kwargs = dict(source_kwargs(ref), **extra)
    if place is None:
        return f"{var} = {cls}.from_pretrained({call_args(ref.source, **kwargs)})"
    kwargs["dtype"] = place.dtype
    if place.device_map:
        kwargs["device_map"] = place.device_map
        return f"{var} = {cls}.from_pretrained({call_args(ref.source, **kwargs)})"
    return f"{var} = {cls}.from_pretrained({call_args(ref.source, **kwargs)}).to({py(place.device)})"
