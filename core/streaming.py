"""Token-by-token output of a generating pipeline, for tasks that stream (text generation, image chat)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from core import deadline


def stream_generation(tokenizer, generate: Callable[[dict], Any], partial: Callable[[str], Any],
                      name: str = "generation-stream") -> Iterator[Any]:
    """Yield partial(text so far) as tokens arrive, then generate()'s own return value.

    generate(extra) runs the pipeline in a worker thread and must pass `extra` (streamer and stopping
    criteria) on to generate(). Closing the iterator (the browser left) stops generation at the next token;
    an exception in the worker is raised here.
    """
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

    stop = threading.Event()

    class StopWhenAsked(StoppingCriteria):
        def __call__(self, input_ids, scores, **kw):
            return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool, device=input_ids.device)

    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    extra = {"streamer": streamer, "stopping_criteria": StoppingCriteriaList([StopWhenAsked()])}
    done: dict[str, Any] = {}
    limit = deadline.current()  # the request's time limit goes along into the worker

    def work():
        try:
            with deadline.until(limit):
                done["output"] = generate(extra)
        except BaseException as exc:  # re-raised in the caller's thread below
            done["error"] = exc
            streamer.end()

    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    try:
        text = ""
        for piece in streamer:
            if piece:
                text += piece
                yield partial(text)
        thread.join()
        if "error" in done:
            raise done["error"]
        yield done["output"]
    finally:
        stop.set()
        thread.join()
