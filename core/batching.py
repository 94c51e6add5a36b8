"""Cross-request batching: requests for one loaded model that arrive together run as one batched call.

A Batcher has no thread of its own (leader-follower): a request joins the open group of its key; the first
one is the group's leader, waits up to the window (or until the group is full, or holds every request now in
flight on that model: a request that comes alone does not wait at all), takes the model's lock,
closes the group and runs one call for everyone in it. While that call runs, new arrivals gather in the
next group, whose leader waits for the lock, so under load batches fill by themselves. Each waiter gets its
own result; when a batched call raises, every request of it is run again alone (in its own thread, under
its own deadline), so a bad input fails only its own request.

PipelineProxy is what a `batched` task's run gets instead of the pipeline: its calls merge with other
requests' calls of equal keyword arguments into one `pipe(list, batch_size=n, **kwargs)`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Hashable
from typing import Any

_MISSING = object()


class Unmergeable(Exception):
    """A value that cannot be part of a batching key."""


def freeze(value: Any) -> Hashable:
    """A hashable key for plain data (str, numbers, bools, None, lists, tuples, dicts of them); the type is part
    of the key (1, 1.0 and True stay apart). Unmergeable for anything else."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return (type(value).__name__, value)
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(freeze(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), freeze(v)) for k, v in value.items())))
    raise Unmergeable(type(value).__name__)


class _Group:
    __slots__ = ("items", "size", "closed", "full", "done", "results", "error", "retry")

    def __init__(self):
        self.items: list = []
        self.size = 0
        self.closed = False
        self.full = threading.Event()
        self.done = threading.Event()
        self.results: list | None = None
        self.error: BaseException | None = None
        self.retry = False


class Batcher:
    """Merges concurrent submissions with equal keys (see the module docstring). Thread-safe."""

    def __init__(self, window_ms: float = 5.0, max_batch: int = 16):
        self.window = max(0.0, window_ms) / 1000
        self.max_batch = max(1, int(max_batch))
        self._lock = threading.Lock()
        self._open: dict[Hashable, _Group] = {}
        self._flying: dict[Hashable, int] = {}  # model -> requests between flying()'s enter and exit
        self._pending = 0  # requests submitted whose call has not started
        self._go = threading.Event()  # cleared by held(): leaders wait, as they do for a busy model
        self._go.set()
        self.batches = 0   # calls run (a lone request's call counts)
        self.items = 0     # requests answered through them
        self.merged = 0    # calls that answered two requests or more
        self.largest = 0   # most requests in one call
        self.retried = 0   # batched calls that raised and were run again request by request

    @property
    def enabled(self) -> bool:
        return self.max_batch > 1

    def stats(self) -> dict:
        with self._lock:
            return {"batches": self.batches, "items": self.items, "merged": self.merged,
                    "largest": self.largest, "retried": self.retried}

    def waiting(self) -> int:
        """How many requests sit in groups that have not started their call yet."""
        with self._lock:
            return self._pending

    @contextlib.contextmanager
    def held(self):
        """Leaders wait (as for a model that is busy with another batch) until the block ends: tests and
        benchmarks use it to let concurrent requests meet whatever the threads' timing."""
        self._go.clear()
        try:
            yield self
        finally:
            self._go.set()

    @contextlib.contextmanager
    def flying(self, model: Hashable):
        """Count a request as in flight on model for the block's length (its whole run, preprocessing
        included): a leader waits the window only while some of them have not joined its group yet."""
        with self._lock:
            self._flying[model] = self._flying.get(model, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                self._flying[model] -= 1
                if not self._flying[model]:
                    del self._flying[model]

    def submit(self, key: Hashable, item: Any, run_many: Callable[[list], list], run_one: Callable[[Any], Any],
               lock, size: int = 1, model: Hashable | None = None) -> tuple[Any, int]:
        """(result of item, how many requests shared its call). run_many(items) -> one result per item;
        run_one(item) -> item's result alone (a group of one, and the retry of a batch that raised); both run
        under `lock`. size: how many model inputs the item holds (a group closes at max_batch of them). model:
        the key flying() counts requests under; without it the leader always waits the whole window."""
        with self._lock:
            group = self._open.get(key)
            leader = group is None
            if leader:
                group = self._open[key] = _Group()
            index = len(group.items)
            group.items.append(item)
            self._pending += 1
            group.size += size
            if group.size >= self.max_batch:
                group.closed = True
                del self._open[key]
                group.full.set()
            elif model is not None and len(group.items) >= self._flying.get(model, 0):
                group.full.set()  # nobody else is on its way: the leader need not wait (later ones may still join)
        if leader:
            self._lead(key, group, run_many, run_one, lock)
        else:
            group.done.wait()
        if group.retry:
            with lock:
                return run_one(item), 1
        if group.error is not None:
            raise group.error
        return group.results[index], len(group.items)

    def _lead(self, key, group: _Group, run_many, run_one, lock) -> None:
        if self.window:
            group.full.wait(self.window)
        self._go.wait()
        try:
            with lock:
                with self._lock:
                    if not group.closed:
                        group.closed = True
                        if self._open.get(key) is group:
                            del self._open[key]
                    items = list(group.items)
                    self._pending -= len(items)
                try:
                    if len(items) == 1:
                        group.results = [run_one(items[0])]
                    else:
                        results = list(run_many(items))
                        if len(results) != len(items):
                            raise RuntimeError(f"a batch of {len(items)} gave {len(results)} results")
                        group.results = results
                except BaseException as exc:
                    # a batch past the time limit is past everyone's (they all waited for it): no retries
                    if len(items) == 1 or type(exc).__name__ == "RunTimeout":
                        group.error = exc
                    else:
                        group.retry = True
            with self._lock:
                self.batches += 1
                self.items += len(items)
                self.largest = max(self.largest, len(items))
                if len(items) > 1:
                    self.merged += 1
                    self.retried += group.retry
        finally:
            group.done.set()


# What a pipeline returns for one input differs, for some pipelines, from its element of a list call's
# result: pipeline class name -> (single input, its element, kwargs) -> what pipe(input, **kwargs) returns.
def _text_classification_single(x, element, kwargs):
    return [element] if isinstance(x, str) and "top_k" not in kwargs else element


_SINGLE = {"TextClassificationPipeline": _text_classification_single}
# ... and (the caller's list, its elements) -> what pipe(list, **kwargs) returns (fill-mask unwraps a list of one)
_LISTED = {"FillMaskPipeline": lambda xs, elements: elements[0] if len(elements) == 1 else elements}
# pipelines whose list calls do not answer item by item in their input's shape (tables, documents, chats,
# generation that takes its inputs by keyword): called as they are, under the lock
_UNMERGED = {"TableQuestionAnsweringPipeline", "DocumentQuestionAnsweringPipeline", "ImageTextToTextPipeline",
             "TextGenerationPipeline", "MaskGenerationPipeline", "VideoClassificationPipeline"}
_PROCESSORS = ("tokenizer", "image_processor", "feature_extractor", "processor")
# feature extractors that pad every clip of up to one window to that window (Whisper: 30 s), so they stack
_FIXED_AUDIO = {"WhisperFeatureExtractor"}


def _height_width(size) -> bool:
    get = size.get if isinstance(size, dict) else lambda name: getattr(size, name, None)
    return size is not None and get("height") is not None and get("width") is not None


def fixed_image_size(processor) -> bool:
    """Whether the image processor makes every image one size (a resize to height x width, or a centre crop):
    then images of any size stack into one batch; otherwise only images of one size do (the pipeline
    concatenates pixel values, it does not pad them)."""
    if processor is None or getattr(processor, "do_pad", False):
        return False
    if type(processor).__name__ == "TimmWrapperImageProcessor":  # timm's eval transform: resize + centre crop
        return bool((getattr(processor, "data_config", None) or {}).get("input_size"))
    if getattr(processor, "do_center_crop", False) and _height_width(getattr(processor, "crop_size", None)):
        return True
    return bool(getattr(processor, "do_resize", False)) and _height_width(getattr(processor, "size", None)) \
        and not getattr(processor, "keep_aspect_ratio", False)


class _Locked:
    """A pipeline's tokenizer or processor whose calls (the object's and its methods') hold the model's lock:
    fast tokenizers keep truncation and padding state, so they must not run while a batch runs."""

    def __init__(self, target, lock):
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_lock", lock)

    def __call__(self, *args, **kwargs):
        with self._lock:
            return self._target(*args, **kwargs)

    def __getattr__(self, name):
        value = getattr(self._target, name)
        if callable(value) and not isinstance(value, type):
            lock = self._lock

            def locked(*args, **kwargs):
                with lock:
                    return value(*args, **kwargs)

            return locked
        return value

    def __len__(self):
        return len(self._target)

    def __repr__(self):
        return repr(self._target)


class PipelineProxy:
    """A loaded pipeline as a `batched` task's run sees it: calls merge across requests (see the module
    docstring); other attributes pass through; the tokenizer and processors hold the model's lock per call.
    `shared`: the most requests one of this proxy's calls was merged with (1: it ran alone)."""

    _OWN = ("shared", "fixed_images")

    def __init__(self, pipe, lock, batcher: Batcher, key: Hashable):
        self._pipe = pipe
        self._lock = lock
        self._batcher = batcher
        self._key = key
        self._overrides: dict[str, Any] = {}
        self.shared = 1

    def __setattr__(self, name, value):
        # what a run sets on its pipeline (a counting forward...) applies to its own calls only: they run
        # alone, with it set on the real pipeline under the lock
        if name.startswith("_") or name in self._OWN:
            object.__setattr__(self, name, value)
        else:
            self._overrides[name] = value

    def __delattr__(self, name):
        if name in self._overrides:
            del self._overrides[name]
        else:
            object.__delattr__(self, name)

    def __getattr__(self, name):
        if name in self.__dict__.get("_overrides", {}):
            return self._overrides[name]
        value = getattr(self._pipe, name)
        if name in _PROCESSORS and value is not None:
            return _Locked(value, self._lock)
        return value

    @contextlib.contextmanager
    def _applied(self):
        pipe, saved = self._pipe, {}
        for name, value in self._overrides.items():
            saved[name] = pipe.__dict__.get(name, _MISSING)
            setattr(pipe, name, value)
        try:
            yield
        finally:
            for name, old in saved.items():
                if old is _MISSING:
                    pipe.__dict__.pop(name, None)
                else:
                    setattr(pipe, name, old)

    def _shape(self, inputs) -> Hashable:
        """What inputs must share to stack without changing each other's answers: nothing for texts (the
        tokenizer pads with an attention mask); the size of an image whose processor does not make every image
        one size; the length of a clip (most audio models read padding as sound). Unmergeable for a list of
        mixed shapes or an input of another kind."""
        items = inputs if isinstance(inputs, list) else [inputs]
        shapes = {self._shape_of(x) for x in items}
        if len(shapes) != 1:
            raise Unmergeable("mixed shapes")
        return shapes.pop()

    def _shape_of(self, x) -> Hashable:
        if isinstance(x, str) or (isinstance(x, (dict, list)) and all(isinstance(v, str) for v in
                                                                        (x.values() if isinstance(x, dict) else x))):
            return None  # a text, a text pair
        if hasattr(x, "size") and hasattr(x, "mode") and hasattr(x, "getpixel"):  # a PIL image
            if "fixed_images" not in self.__dict__:
                self.fixed_images = fixed_image_size(getattr(self._pipe, "image_processor", None))
            return None if self.fixed_images else ("image", tuple(x.size))
        if isinstance(x, dict) and ("raw" in x or "array" in x):
            array = x["raw"] if "raw" in x else x["array"]
            shape = ("audio", len(array), x.get("sampling_rate"))
        elif hasattr(x, "shape") and hasattr(x, "dtype"):
            shape = ("array", tuple(x.shape))
        else:
            raise Unmergeable(type(x).__name__)
        extractor = getattr(self._pipe, "feature_extractor", None)
        if type(extractor).__name__ in _FIXED_AUDIO and shape[0] == "audio" and \
                shape[2] == extractor.sampling_rate and shape[1] <= extractor.n_samples:
            return None  # one window of Whisper's: padded to 30 s like every other
        return shape

    def __call__(self, inputs=_MISSING, **kwargs):
        kind = type(self._pipe).__name__
        given = () if inputs is _MISSING else (inputs,)
        if self._overrides:
            with self._lock, self._applied():
                return self._pipe(*given, **kwargs)
        if inputs is _MISSING or kind in _UNMERGED or not self._batcher.enabled or \
                (isinstance(inputs, list) and not inputs) or isinstance(inputs, tuple):
            with self._lock:
                return self._pipe(*given, **kwargs)
        rest = {k: v for k, v in kwargs.items() if k != "batch_size"}
        try:
            key = (self._key, freeze(rest), self._shape(inputs))
        except Unmergeable:
            with self._lock:
                return self._pipe(inputs, **kwargs)
        listed = isinstance(inputs, list)

        def run_one(item):
            return self._pipe(item[0], **item[2])

        def run_many(items):
            # fresh dicts: pipelines pop an audio dict's keys, and a batch that raises runs each item again
            flat = [dict(x) if isinstance(x, dict) else x
                    for value, is_list, _ in items for x in (value if is_list else [value])]
            out = self._pipe(flat, batch_size=min(len(flat), self._batcher.max_batch), **rest)
            if not isinstance(out, list) or len(out) != len(flat):
                raise RuntimeError(f"{kind} gave {type(out).__name__} for a list of {len(flat)}")
            results, start = [], 0
            for value, is_list, _ in items:
                if is_list:
                    elements = out[start:start + len(value)]
                    start += len(value)
                    results.append(_LISTED[kind](value, elements) if kind in _LISTED else elements)
                else:
                    element = out[start]
                    start += 1
                    results.append(_SINGLE[kind](value, element, rest) if kind in _SINGLE else element)
            return results

        result, shared = self._batcher.submit(key, (inputs, listed, kwargs), run_many, run_one, self._lock,
                                              size=len(inputs) if listed else 1, model=self._key)
        self.shared = max(self.shared, shared)
        return result
