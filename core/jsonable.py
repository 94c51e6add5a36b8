"""Plain JSON values from run outputs (numpy/torch scalars and arrays included); no gradio, no torch."""

from __future__ import annotations

import json
from typing import Any


def jsonable(value: Any) -> Any:
    """value with numpy/torch scalars and arrays turned into plain Python (for gr.JSON and the CLI)."""
    return json.loads(json.dumps(value, default=_default))


def _default(obj: Any):
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    return str(obj)
