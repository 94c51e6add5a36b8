"""Helpers for tests whose requests run from several threads at once."""

from __future__ import annotations

import time


def meet(manager, threads, timeout: float = 20) -> None:
    """Wait until every thread's request waits for a batch or has finished (refused before one)."""
    end = time.monotonic() + timeout
    while manager.batcher.waiting() + sum(not t.is_alive() for t in threads) < len(threads):
        assert time.monotonic() < end, "the requests never met"
        time.sleep(0.01)
