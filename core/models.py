"""The model manager: the only code that loads models.

Lazy (nothing loads, and torch/transformers are not imported, until the first request), cached by
(loader, model, revision, device, dtype), thread-safe (concurrent requests for one model load it once),
LRU-evicted within a budget of models and GiB, timed (load and inference), and the one place where
exceptions become user-facing messages.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import codegen, deadline, limits
from core.batching import Batcher, PipelineProxy, Unmergeable, freeze
from core.errors import UserError, explain
from core.loading import (
    Bundle,
    ModelRef,
    Place,
    download,
    gradio_folders,
    head_notes,
    hub_reachable,
    import_transformers,
    is_hub_id,
    is_inside,
    kind_of,
    load_report,
    model_info,
    resolve_place,
    torch_dtype,
)
from core.local_models import LocalModel, describe, fits, scan_hf_cache, scan_models_dirs
from core.registry import Loader, Output, TaskSpec
from core.settings import Settings


@dataclass
class Entry:
    key: tuple
    obj: Any
    info: dict
    nbytes: int
    # not re-entrant on purpose: a streamed run holds it across its yields, and gradio resumes a generator in
    # whichever thread is free, so another thread must be able to release it (an RLock cannot be)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class RunResult:
    """A run's plain data: output (the raw JSON), code snippet, details (classes, timings...), the parsed
    inputs and params it ran with, its notes (core.i18n.Note) and facts (view-only data, not in the JSON)."""

    output: Any
    code: str
    details: dict
    inputs: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    notes: tuple = ()
    facts: dict = field(default_factory=dict)


log = logging.getLogger("playground")

def _timed(iterator, limit, policy) -> Iterator[Any]:
    """iterator's items, each next() under the request's deadline (gradio may resume a generator in another
    thread, so the deadline is set around each step, in the thread that runs it)."""
    iterator = iter(iterator)
    while True:
        with deadline.until(limit), limits.active(policy):
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


def _quiet(stage: str, **values) -> None:
    """A load report that tells no one."""


def unpack(output: Any) -> tuple[Any, tuple, dict]:
    """(value, notes, facts) of what a run returned (an Output or a bare value)."""
    if isinstance(output, Output):
        return output.value, tuple(output.notes), dict(output.facts)
    return output, (), {}


class ModelManager:
    """Loads, caches and runs models for tasks. Thread-safe."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._cache: OrderedDict[tuple, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[tuple, threading.Lock] = {}
        # one load at a time: from_pretrained builds models on the meta device by patching torch globally,
        # so two loads in parallel threads can leave each other's weights on "meta"
        self._load_lock = threading.Lock()
        self._place: Place | None = None
        self._local: list[LocalModel] | None = None
        self.loads = 0
        self.batcher = Batcher(settings.batch_window_ms, settings.max_batch)
        self._training = None

    # ---- where models come from ------------------------------------------------------------
    def local_models(self, refresh: bool = False) -> list[LocalModel]:
        """--models-dir folders first, then the trained-models folder, then the Hugging Face cache; scanned
        once (a finished training job refreshes it)."""
        if self._local is None or refresh:
            self._local = scan_models_dirs([*self.settings.models_dirs, self.settings.trained_dir]) + scan_hf_cache()
        return self._local

    @property
    def training(self):
        """This server's training queue (core.train_worker): one job at a time, in a worker process."""
        with self._lock:
            if self._training is None:
                from core.train_worker import TrainingQueue

                self._training = TrainingQueue(self.settings, source=self.source_of, roots=self.data_roots,
                                               on_done=lambda result: self.local_models(refresh=True))
            return self._training

    def data_roots(self) -> list[Path] | None:
        """Folders a typed data path (training data) may lie in: the model roots and gradio's upload folders;
        None (any) with --any-local-path."""
        return None if self.settings.any_local_path else [*self.allowed_roots(), *gradio_folders()]

    def source_of(self, model: str) -> tuple[ModelRef, str]:
        """(the ModelRef, what from_pretrained gets) for a typed or picked model, with resolve()'s checks;
        a Hub model not cached yet is downloaded first."""
        ref = self.resolve(model)
        try:
            return ref, self._source_path(ref)
        except UserError:
            raise
        except Exception as exc:
            raise explain(exc, model=ref.display) from exc

    def choices(self, task: TaskSpec) -> tuple[list[tuple[str, str]], str]:
        """(label, value) pairs for a model picker and its default value.

        Online: the default, the curated list, then local models that fit. Offline: only local
        models; the default falls back to the first local model that fits.
        """
        local = [m for m in self.local_models() if fits(task, m)]
        choices: list[tuple[str, str]] = []
        if not self.settings.offline:
            for hub_id in dict.fromkeys((task.default_model, *task.models)):
                choices.append((hub_id, hub_id))
        seen = {v for _, v in choices}
        for m in local:
            if m.value in seen:
                choices = [(m.label if v == m.value else lab, v) for lab, v in choices]
            else:
                choices.append((m.label, m.value))
                seen.add(m.value)
        default = task.default_model
        if self.settings.offline and default not in seen:
            default = choices[0][1] if choices else default
        return choices, default

    @property
    def place(self) -> Place:
        if self._place is None:
            self._place = resolve_place(self.settings)
        return self._place

    # ---- loading ---------------------------------------------------------------------------
    def _source_path(self, ref: ModelRef, report=None) -> str:
        """What from_pretrained gets: the folder, the Hub id, or the cached snapshot when offline or
        when the Hub cannot be reached (instead of minutes of retries). With report, what is not cached yet
        is downloaded first, its progress reported (report("download", model=, done=MB, total=MB))."""
        if ref.local:
            return ref.source
        offline = self.settings.offline
        if not offline and hub_reachable():
            # fetched here, before the load lock is taken (from_pretrained would fetch under it)
            download(ref.source, ref.revision, report or _quiet)
            if report is not None:
                report("load", model=ref.name)
            return ref.source
        from huggingface_hub import snapshot_download

        try:
            return snapshot_download(ref.source, revision=ref.revision, local_files_only=True)
        except Exception as exc:
            raise UserError("not_available" if offline else "hub_unreachable", model=ref.display) from exc

    def _load(self, loader: Loader, ref: ModelRef, place: Place, source: str) -> Any:
        transformers = import_transformers(
            *(["pipeline"] if loader.kind == "pipeline" else [n for n in (loader.processor_class, loader.model_class) if n]))
        common: dict[str, Any] = {"trust_remote_code": self.settings.trust_remote_code}
        if ref.revision and source == ref.source:
            common["revision"] = ref.revision
        if loader.kind == "pipeline":
            kwargs: dict[str, Any] = dict(common, dtype=torch_dtype(place.dtype))
            if place.device_map:
                kwargs["device_map"] = place.device_map
            else:
                kwargs["device"] = place.device
            pipe = transformers.pipeline(loader.pipeline_task, model=source, **kwargs)
            deadline.install(getattr(pipe, "model", None))
            return pipe
        processor = None
        if loader.processor_class:
            processor = getattr(transformers, loader.processor_class).from_pretrained(source, **common)
        model = None
        config = None
        if loader.model_class:
            kwargs = dict(common, dtype=torch_dtype(place.dtype), **dict(loader.model_kwargs))
            if place.device_map:
                kwargs["device_map"] = place.device_map
            model = getattr(transformers, loader.model_class).from_pretrained(source, **kwargs)
            if not place.device_map:
                model = model.to(place.device)
            model.eval()
            config = model.config
            deadline.install(model)
        return Bundle(model=model, processor=processor, config=config)

    def _config_of(self, ref: ModelRef):
        """The LocalModel description of ref's folder (local, or already in the HF cache), or None."""
        folder = Path(ref.source)
        if not ref.local:
            from huggingface_hub import try_to_load_from_cache

            cached = try_to_load_from_cache(ref.source, "config.json", revision=ref.revision)
            if not isinstance(cached, str):
                return None
            folder = Path(cached).parent
        return describe(folder)

    def _check_fit(self, task: TaskSpec, ref: ModelRef) -> None:
        """Refuse, before loading, a model whose config names architectures that do not fit the task (a GPT-2
        in text classification would run with a random head): one line naming what the model is."""
        if not (task.architectures or task.model_types):
            return
        found = self._config_of(ref)
        if found is None or not found.architectures or fits(task, found):
            return
        arch = found.architectures[0]
        raise UserError("misfit", model=ref.display, arch=arch, kind=kind_of(arch, found.model_type), task=task.id)

    def _key_lock(self, key: tuple) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    # ---- which local folders may load --------------------------------------------------------
    def allowed_roots(self) -> list[Path]:
        """Folders under which a typed local path may load: --models-dir folders, the Hugging Face cache and
        the app's trained-models folder."""
        from huggingface_hub import constants

        roots = [*self.settings.models_dirs, Path(constants.HF_HUB_CACHE), self.settings.trained_dir]
        return [Path(os.path.abspath(Path(r).expanduser())) for r in roots]

    def resolve(self, text: str) -> ModelRef:
        """The ModelRef for what a user typed or picked. A local path loads only inside allowed_roots() and
        never from gradio's upload or temporary folders (unless the operator passed --any-local-path);
        a path that is not allowed and a path that does not exist get the same message, so the model box
        tells nothing about the server's disk."""
        text = (text or "").strip()
        if not text:
            raise UserError("no_model")
        if len(text) > 400 or any(ch in text for ch in "\0\n\r\t"):
            raise UserError("not_local", model=text[:80])
        name = text.partition("@")[0]
        pathlike = name.startswith(("/", ".", "~", "\\")) or name.count("/") > 1 or (os.sep != "/" and os.sep in name)
        path = Path(os.path.abspath(Path(text).expanduser()))
        if self.settings.any_local_path:
            allowed = True
        else:
            allowed = any(is_inside(path, root) for root in self.allowed_roots()) and \
                not any(is_inside(path.resolve(), tmp) for tmp in gradio_folders())
        if allowed and path.is_dir():
            return ModelRef(str(path), None, True)
        if pathlike or (path.exists() and not is_hub_id(text)):
            raise UserError("not_local", model=text)
        if not is_hub_id(text):
            raise UserError("unknown_model", model=text)
        name, _, rev = text.partition("@")
        return ModelRef(name, rev or None, False)

    def get(self, loader: Loader, model: str, *, task: TaskSpec | None = None, report=None) -> tuple[Entry, bool]:
        """The loaded model for (loader, model), loading it once; returns (entry, was_cached). report(stage,
        **values), when given, hears the stages of a load ("download", "load", "loaded"); nothing when cached."""
        ref = self.resolve(model)
        place = self.place
        key = (loader, ref.source, ref.revision, place.device, place.dtype, place.device_map)
        with self._lock:
            entry = self._cache.get(key)
            if entry is not None:
                self._cache.move_to_end(key)
                return entry, True
        with self._key_lock(key):
            with self._lock:
                entry = self._cache.get(key)
                if entry is not None:
                    self._cache.move_to_end(key)
                    return entry, True
            if task is not None:
                self._check_fit(task, ref)
            start = time.perf_counter()
            if report is not None:
                report("load", model=ref.name)
            try:
                # the download runs outside the load lock: another user's load of a cached model need not wait
                # for it (the key lock still makes this model load once)
                source = self._source_path(ref, report)
                with self._load_lock, load_report() as missing:
                    obj = self._load(loader, ref, place, source)
            except Exception as exc:
                raise explain(exc, model=ref.display, task=task.id if task else "") from exc
            info, nbytes = model_info(obj)
            if missing and info.get("model_class"):
                info["newly_initialised"] = missing[:20]
            info["load_seconds"] = round(time.perf_counter() - start, 3)
            if report is not None:
                report("loaded", model=ref.name, seconds=info["load_seconds"])
            entry = Entry(key, obj, info, nbytes)
            with self._lock:
                self._cache[key] = entry
                self.loads += 1
                self._evict(keep=key)
            return entry, False

    @property
    def budget_bytes(self) -> int:
        """The cache's memory budget: --cache-gib, or by default half the machine's memory (half of the GPU's
        on CUDA): weights need room beside them for activations and for the requests themselves."""
        if self.settings.cache_gib:
            return int(self.settings.cache_gib * 2**30)
        if self.place.device == "cuda":
            import torch

            return int(torch.cuda.get_device_properties(0).total_memory * 0.5)
        import psutil

        return int(psutil.virtual_memory().total * 0.5)

    def _evict(self, keep: tuple) -> None:
        budget_bytes = self.budget_bytes

        def over() -> bool:
            if self.settings.cache_models and len(self._cache) > self.settings.cache_models:
                return True
            return sum(e.nbytes for e in self._cache.values()) > budget_bytes

        evicted = False
        while over():
            oldest = next((k for k in self._cache if k != keep), None)
            if oldest is None:
                break
            del self._cache[oldest]
            evicted = True
        if evicted:
            gc.collect()
            if self.place.device == "cuda":
                import torch

                torch.cuda.empty_cache()

    def cached(self) -> list[dict]:
        """What is loaded now, least recently used first."""
        with self._lock:
            return [{"model": e.key[1], "revision": e.key[2], "loader": e.key[0].pipeline_task or e.key[0].model_class,
                     "bytes": e.nbytes} for e in self._cache.values()]

    # ---- running ---------------------------------------------------------------------------
    def _details(self, task: TaskSpec, ref: ModelRef, entry: Entry, cached: bool, seconds: float) -> dict:
        place = self.place
        details = {"task": task.id, "model": ref.display, **entry.info}
        if "model_class" in entry.info:  # a tokenizer alone runs on no device, in no dtype
            details["device"] = entry.info.get("device") or place.device
            details["dtype"] = entry.info.get("dtype") or place.dtype
        details["load"] = "cached" if cached else f"{entry.info['load_seconds']:.2f} s"
        details["inference_seconds"] = round(seconds, 3)
        return details

    def _entries(self, task: TaskSpec, model: str | list[str], report=None) -> tuple[list[ModelRef], list[Entry], bool]:
        """(refs, entries, all cached) for the model (or, for a multi-model task, the models) of a run."""
        names = [model] if isinstance(model, str) or model is None else [m for m in model if m]
        if task.multi_model == 1 and len(names) != 1:
            raise UserError("bad_param", name="model", detail=f"{task.id} takes one model")
        if not names:
            raise UserError("no_model")
        if len(names) > task.multi_model:
            raise UserError("bad_param", name="model", detail=f"{task.id} takes at most {task.multi_model} models")
        refs = [self.resolve(m) for m in names]
        loaded = [self.get(task.loader, m, task=task, report=report) for m in names]
        return refs, [e for e, _ in loaded], all(c for _, c in loaded)

    @contextlib.contextmanager
    def _held(self, task: TaskSpec, entries: list[Entry]):
        """The loaded model (or, for a multi-model task, the list) with its locks held, in a fixed order."""
        with contextlib.ExitStack() as stack:
            for e in sorted({id(e): e for e in entries}.values(), key=lambda e: str(e.key)):
                stack.enter_context(e.lock)
            yield entries[0].obj if task.multi_model == 1 else [e.obj for e in entries]

    def run(self, task: TaskSpec, model: str | list[str], inputs: dict, params: dict, *, report=None) -> RunResult:
        """Parse the inputs and params by their fields, load (or reuse) the model and run the task; every
        failure becomes a UserError. model: one id, or a list of ids for a multi-model task. report: see get."""
        with limits.active(self.settings.limits):
            inputs, params = task.parse(inputs, params)
        refs, entries, cached = self._entries(task, model, report)
        after = None
        shared = 1
        try:
            if self.batches(task):
                # the model's lock is taken per real call (by the proxy or the batcher), not for the whole run;
                # the deadline and limits hold in this thread, which runs the batch when it leads one
                with deadline.within(self.settings.timeout), limits.active(self.settings.limits), \
                        self.batcher.flying(entries[0].key):
                    start = time.perf_counter()
                    output, shared = self._run_batched(task, entries[0], inputs, params)
                    seconds = time.perf_counter() - start
            else:
                with self._held(task, entries) as loaded, deadline.within(self.settings.timeout), \
                        limits.active(self.settings.limits):
                    start = time.perf_counter()  # the model's part, timed once its lock is held
                    output = task.run(loaded, inputs, params)
                    seconds = time.perf_counter() - start
            value, notes, facts = unpack(output)
            notes = head_notes(entries) + notes
            if task.postprocess is not None:  # model-free: other runs of this model need not wait for it
                start = time.perf_counter()
                value, more, facts2 = unpack(task.postprocess(value, inputs, params))
                notes, facts = notes + more, {**facts, **facts2}
                after = time.perf_counter() - start
        except Exception as exc:
            raise explain(exc, model=refs[0].display, task=task.id) from exc
        details = self._all_details(task, refs, entries, cached, seconds)
        if shared > 1:  # this request's model call was shared with other requests
            details["batched_requests"] = shared
        if after is not None:  # a projection's seconds are not the model's
            details["postprocess_seconds"] = round(after, 3)
        return RunResult(value, self.code(task, refs, inputs, params), details, inputs, params, notes, facts)

    def loaded(self, task: TaskSpec, model: str, *, report=None) -> Entry:
        """task's model loaded (once, like run's), for code that calls it itself (dataset mode,
        core.datasets_run): that code holds `entry.lock` around its calls, as runs do."""
        return self._entries(task, model, report)[1][0]

    def batches(self, task: TaskSpec) -> bool:
        """Whether this task's requests may share model calls with other requests (core.batching)."""
        return self.batcher.enabled and task.multi_model == 1 and (task.batched or task.batch is not None)

    def _run_batched(self, task: TaskSpec, entry: Entry, inputs: dict, params: dict) -> tuple[Any, int]:
        """(run's output, how many requests shared its model call): a `batched` task's run gets a proxy of the
        pipeline; a task with `batch` joins concurrent requests of equal params into one batch call."""
        if task.batched:
            proxy = PipelineProxy(entry.obj, entry.lock, self.batcher, entry.key)
            return task.run(proxy, inputs, params), proxy.shared
        try:
            key = ("batch", task.id, entry.key, freeze(params))
        except Unmergeable:
            with entry.lock:
                return task.run(entry.obj, inputs, params), 1
        return self.batcher.submit(key, inputs, lambda many: task.batch(entry.obj, many, params),
                                   lambda one: task.run(entry.obj, one, params), entry.lock, model=entry.key)

    def stream(self, task: TaskSpec, model: str | list[str], inputs: dict, params: dict, *,
               report=None) -> Iterator[RunResult]:
        """Like run, for tasks with a `stream` function: yields growing partial results."""
        with limits.active(self.settings.limits):
            inputs, params = task.parse(inputs, params)
        refs, entries, cached = self._entries(task, model, report)
        code = self.code(task, refs, inputs, params)
        start = time.perf_counter()
        try:
            limit = (time.monotonic() + self.settings.timeout, self.settings.timeout) if self.settings.timeout else None
            with self._held(task, entries) as loaded:
                for output in _timed(task.stream(loaded, inputs, params), limit, self.settings.limits):
                    value, notes, facts = unpack(output)
                    details = self._all_details(task, refs, entries, cached, time.perf_counter() - start)
                    yield RunResult(value, code, details, inputs, params, notes, facts)
        except UserError:
            raise
        except Exception as exc:
            raise explain(exc, model=refs[0].display, task=task.id) from exc

    def _all_details(self, task, refs, entries, cached, seconds) -> dict:
        if task.multi_model == 1:
            return self._details(task, refs[0], entries[0], cached, seconds)
        return {"task": task.id, "inference_seconds": round(seconds, 3),
                "models": [self._details(task, r, e, cached, seconds) for r, e in zip(refs, entries)]}

    def code(self, task: TaskSpec, refs: list[ModelRef] | ModelRef, inputs: dict, params: dict) -> str:
        """The task's snippet for these parsed values (refs: one per model; a multi-model task gets the list).
        A snippet that names no file is a function of its key alone: it is kept and given again when the same
        values come back (a class runs the same example over and over)."""
        if isinstance(refs, ModelRef):
            refs = [refs]
        key = _snippet_key(task, refs, inputs, params, self.place)
        if key is not None and (kept := _SNIPPETS.get(key)) is not None:
            return kept
        with codegen.naming_files() as files:
            snippet = task.code(refs[0] if task.multi_model == 1 else refs, inputs, params, self.place)
        notes = codegen.file_notes(files) + [note for ref in refs if (note := _pack_note(ref))]
        code = "\n".join(notes) + "\n" + snippet if notes else snippet
        if key is not None and not files:
            _SNIPPETS.put(key, code)
        return code

    def log_user_error(self, task: TaskSpec, err: UserError) -> None:
        """One log line for a rejected request (never a traceback, never the input itself)."""
        field = err.params.get("name") or err.params.get("what") or ""
        log.info("%s: refused: %s%s", task.id, err.key, f" ({field})" if field else "")

    def warmup(self) -> threading.Thread:
        """Import torch and transformers in the background so the first request is quicker."""

        def work():
            try:
                import_transformers("pipeline")  # what most first requests need
                self.place  # noqa: B018
            except Exception:  # warm-up is an optimisation; the first request reports real errors
                pass

        thread = threading.Thread(target=work, name="warmup", daemon=True)
        thread.start()
        return thread


class _Kept:
    """A bounded, thread-safe map that forgets the least recently used first."""

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key) -> Any:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_SNIPPETS = _Kept(512)


class _Unhashable(Exception):
    pass


def _frozen(value: Any) -> Any:
    """A hashable key for parsed values: plain data (the type is part of it: 1, 1.0 and True are written
    apart), lists, dicts and frozen dataclasses (rows, uploads); _Unhashable for anything else."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return type(value).__name__, value
    if isinstance(value, (list, tuple)):
        return type(value).__name__, tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return "dict", tuple((str(k), _frozen(v)) for k, v in value.items())
    if dataclasses.is_dataclass(value) and value.__dataclass_params__.frozen:
        try:
            hash(value)
        except TypeError:
            raise _Unhashable from None
        return type(value).__name__, value
    raise _Unhashable


def _snippet_key(task: TaskSpec, refs: list[ModelRef], inputs: dict, params: dict, place: Place) -> tuple | None:
    try:
        return task.id, tuple(refs), place, _frozen(inputs), _frozen(params)
    except _Unhashable:
        return None


def _pack_note(ref: ModelRef) -> str:
    """A comment for a snippet that loads an offline-pack folder: the Hub model it is a copy of, which is what
    the student's machine can load (the folder exists on the server only)."""
    if not ref.local:
        return ""
    path = Path(ref.source) / "pack.json"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return ""
    return _pack_note_of(str(path), stamp)


@functools.lru_cache(maxsize=256)
def _pack_note_of(path: str, stamp: int) -> str:
    """_pack_note for the pack.json at path as it was at stamp (its mtime)."""
    source = Path(path).parent
    try:
        hub_id = json.loads(Path(path).read_text(encoding="utf-8")).get("hub_id")
    except (OSError, ValueError, AttributeError):
        return ""
    if not isinstance(hub_id, str) or not hub_id:
        return ""
    return (f"# {source.name}: the app's offline copy of {hub_id}; on your machine use "
            f"{hub_id!r} instead of the folder")
