"""Files the app writes for people to download (speech, subtitles, exports), in the system temp dir,
which gradio is allowed to serve."""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path


def fresh_dir(name: str, keep_seconds: float = 3600) -> Path:
    """A new folder under <tmp>/<name>; folders there older than keep_seconds are removed first."""
    root = Path(tempfile.gettempdir()) / name
    root.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in root.iterdir():
        try:
            if now - old.stat().st_mtime > keep_seconds:
                for f in old.iterdir():
                    f.unlink()
                old.rmdir()
        except OSError:  # another request is using or removing it
            pass
    folder = root / uuid.uuid4().hex[:12]
    folder.mkdir()
    return folder
