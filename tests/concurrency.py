"""Helpers for tests whose requests run from several threads at once."""

from __future__ import annotations

import threading
import time


def together(manager, requests: list[tuple]) -> list:
    """manager.run of every (task, model, inputs, params) from its own thread, all started at once; the batcher's
    leaders wait, as for a busy model, until every request waits for a batch (or was refused before one), so
    the requests meet whatever the threads' timing. One RunResult or exception per request."""
    start = threading.Barrier(len(requests))
    out: list = [None] * len(requests)

    def go(i):
        task, model, inputs, params = requests[i]
        start.wait()
        try:
            out[i] = manager.run(task, str(model), inputs, params)
        except Exception as exc:  # noqa: BLE001 - the test looks at each request's own exception
            out[i] = exc

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(requests))]
    with manager.batcher.held():
        for t in threads:
            t.start()
        meet(manager, threads)
    for t in threads:
        t.join(timeout=300)
    return out


def meet(manager, threads, timeout: float = 20) -> None:
    """Wait until every thread's request waits for a batch or has finished (refused before one)."""
    end = time.monotonic() + timeout
    while manager.batcher.waiting() + sum(not t.is_alive() for t in threads) < len(threads):
        assert time.monotonic() < end, "the requests never met"
        time.sleep(0.01)


def two_at_a_time(*calls) -> list:
    """Each call's result, in order, two calls running at once: for CLI subprocesses, which spend seconds each
    importing torch and loading a model while the test process only waits (the CI machine has two cores)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda call: call(), calls))
