"""Files the app writes for people to download (speech, subtitles, exports), in the system temp dir,
which gradio is allowed to serve."""

from __future__ import annotations

import tempfile
import threading
import time
import uuid
from pathlib import Path

PRUNE_EVERY = 60.0  # seconds between two looks for old folders under one root (a look stats every folder)
_PRUNED: dict[Path, float] = {}
_LOCK = threading.Lock()


def fresh_dir(name: str, keep_seconds: float = 3600) -> Path:
    """A new folder under <tmp>/<name>; folders there older than keep_seconds are removed first (looked for at
    most once a minute)."""
    root = Path(tempfile.gettempdir()) / name
    root.mkdir(parents=True, exist_ok=True)
    now = time.time()
    with _LOCK:
        due = now - _PRUNED.get(root, 0.0) >= min(PRUNE_EVERY, keep_seconds)
        if due:
            _PRUNED[root] = now
    if due:
        _prune(root, now, keep_seconds)
    folder = root / uuid.uuid4().hex[:12]
    folder.mkdir()
    return folder


def _prune(root: Path, now: float, keep_seconds: float) -> None:
    for old in root.iterdir():
        try:
            if now - old.stat().st_mtime > keep_seconds:
                for f in old.iterdir():
                    f.unlink()
                old.rmdir()
        except OSError:  # another request is using or removing it
            pass
