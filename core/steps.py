"""Under the hood: a run's stages as the pipeline does them, recorded in a traced run.

A traced run wraps, for its duration and under the model's lock, the loaded pipeline's `preprocess`,
`_forward` and `postprocess` (for AutoClass tasks: the processor's call, decode and post_process_* methods,
and a forward hook on the model; for generation: the first forward, the number of forward passes and
generate's output ids), and records what comes out: tensors (shape, dtype, a capped preview; the policy's
`step_values`) and the result. Task-specific stages then explain the postprocessing with the recorded
tensors (softmax of the logits, thresholded boxes, decoded ids, span search, token labels).
It never goes through the batcher (core.batching), so the normal path pays nothing for it. No gradio here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import inspect
import json
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from core import deadline, limits
from core.errors import explain
from core.i18n import translate
from core.jsonable import jsonable
from core.loading import Bundle

MAX_TENSORS = 16          # tensors shown per stage
MAX_ROWS = 8              # rows of a tensor preview (its second-to-last dimension)
MAX_TABLE_ROWS = 12       # rows of an explanation's table
ID_NAMES = ("input_ids", "decoder_input_ids", "sequences", "tokens", "labels", "generated_ids")


# ---- tensors -------------------------------------------------------------------------------------------
def _is_tensor(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype") and hasattr(value, "tolist")


def _number(x: Any) -> Any:
    if isinstance(x, float):
        return x if not math.isfinite(x) else float(f"{x:.6g}")
    return x


def _rounded(values: Any) -> Any:
    if isinstance(values, list):
        return [_rounded(v) for v in values]
    return _number(values)


def preview_slice(shape: tuple[int, ...], cap: int) -> tuple:
    """The index of a tensor's preview: its first item along leading dimensions, up to MAX_ROWS rows of the
    second-to-last and as many values of the last as keep the preview within cap values."""
    if not shape:
        return ()
    if len(shape) == 1:
        return (slice(0, max(1, cap)),)
    rows = max(1, min(shape[-2], MAX_ROWS, cap))
    cols = max(1, min(shape[-1], cap // rows))
    rows = max(1, min(rows, cap // cols))
    lead = tuple(slice(0, 1) for _ in shape[:-2])
    return (*lead, slice(0, rows), slice(0, cols))


def describe(value: Any, name: str = "", tokenizer: Any = None, cap: float | None = None) -> dict:
    """{"shape", "dtype", "values"} of a tensor or array: values is a capped preview (nested like the tensor);
    a tensor with more values than the preview also gets "summary" (min, max, mean) and "truncated"; token ids
    get "tokens" (the tokenizer's tokens of the previewed ids)."""
    cap = limits.current().step_values if cap is None else cap
    shape = tuple(int(n) for n in value.shape)
    size = math.prod(shape)
    if hasattr(value, "detach"):
        value = value.detach().cpu()
    whole = not math.isfinite(cap) or size <= cap
    part = value if whole else value[preview_slice(shape, int(cap))]
    out: dict[str, Any] = {"shape": list(shape), "dtype": str(value.dtype), "values": _rounded(part.tolist())}
    if not whole:
        out["truncated"] = True
        if size:
            flat = value.reshape(-1)
            floats = flat.double() if hasattr(flat, "double") else flat.astype("float64")
            out["summary"] = {"min": _number(float(floats.min())), "max": _number(float(floats.max())),
                              "mean": _number(float(floats.mean()))}
    kind = str(value.dtype)
    if tokenizer is not None and name.split(".")[-1] in ID_NAMES and ("int" in kind or "long" in kind):
        tokens = _tokens(tokenizer, out["values"])
        if tokens is not None:
            out["tokens"] = tokens
    return out


def _tokens(tokenizer: Any, ids: Any) -> Any:
    if isinstance(ids, list) and ids and isinstance(ids[0], list):
        return [_tokens(tokenizer, row) for row in ids]
    if not isinstance(ids, list):
        ids = [ids]
    try:
        return [str(t) for t in tokenizer.convert_ids_to_tokens([int(i) for i in ids])]
    except Exception:  # ids outside the vocabulary (padding -100, a processor without tokens)
        return None


def tensors_of(value: Any, tokenizer: Any = None, prefix: str = "") -> dict[str, dict]:
    """name -> describe() of every tensor in value (a tensor, a dict such as a BatchEncoding or ModelOutput,
    a tuple of per-layer tensors...), at most MAX_TENSORS."""
    found: dict[str, dict] = {}

    def walk(item: Any, name: str, depth: int) -> None:
        if len(found) >= MAX_TENSORS or depth > 3:
            return
        if _is_tensor(item) and not isinstance(item, (int, float)):
            found[name or "output"] = describe(item, name, tokenizer)
        elif (numbers := _numbers(item)) is not None:  # a tokenizer's lists of ids (no return_tensors)
            found[name or "output"] = describe(numbers, name, tokenizer)
        elif hasattr(item, "items") and callable(item.items):
            for key, sub in list(item.items()):
                walk(sub, f"{name}.{key}" if name else str(key), depth + 1)
        elif isinstance(item, (list, tuple)) and item and any(_is_tensor(x) for x in item[:4]):
            for i, sub in enumerate(item[:4]):
                walk(sub, f"{name}[{i}]", depth + 1)

    walk(value, prefix, 0)
    return found


def _numbers(item: Any) -> Any:
    """A list of numbers (or of equal-length lists of numbers) as a numpy array, else None."""
    if isinstance(item, int) and not isinstance(item, bool):  # convert_tokens_to_ids of one token
        item = [item]
    if not isinstance(item, list) or not item:
        return None
    rows = item if isinstance(item[0], list) else [item]
    if not all(isinstance(r, list) and len(r) == len(rows[0]) and r for r in rows):
        return None
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for r in rows[:64] for x in r):
        return None
    import numpy as np

    return np.array(item)


def _leaves(value: Any) -> dict[str, Any]:
    """name -> tensor of value's top level (the raw tensors the explanations read)."""
    if _is_tensor(value):
        return {"output": value}
    if hasattr(value, "items") and callable(value.items):
        found = {}
        for k, v in value.items():
            v = v if _is_tensor(v) else _numbers(v)  # a tokenizer's lists of ids too
            if v is not None:
                found[str(k)] = v
        return found
    return {}


def output_preview(value: Any, items: int = 8, chars: int = 300) -> Any:
    """The JSON value of a result, cut to a few items per list and a few hundred characters per text."""
    value = jsonable(value)

    def cut(v: Any, depth: int) -> Any:
        if isinstance(v, str):
            return v if len(v) <= chars else v[:chars] + "…"
        if isinstance(v, list):
            kept = [cut(x, depth + 1) for x in v[:items]] if depth < 4 else ["…"]
            return kept + ([f"… {len(v) - items} more"] if len(v) > items else [])
        if isinstance(v, dict):
            return {str(k): cut(x, depth + 1) for k, x in list(v.items())[:24]}
        return _number(v)

    return cut(value, 0)


# ---- recording -----------------------------------------------------------------------------------------
class Recorder:
    """The stages of one traced run, in the order they first happened; each stage's first call is kept
    (raw tensors for the explanations, described tensors for people), later calls are counted."""

    def __init__(self, tokenizer: Any = None):
        self.tokenizer = tokenizer
        self.stages: list[dict] = []
        self.raw: dict[str, dict[str, Any]] = {}
        self._by_name: dict[str, dict] = {}
        self.inside = False
        self.quiet = 0  # > 0 inside a pipeline's _forward or generate: module calls are theirs

    def record(self, name: str, step: str, code: str, value: Any = None, *, info: dict | None = None,
               output: Any = None, tensors: bool = True) -> None:
        stage = self._by_name.get(name)
        if stage is not None:
            stage["calls"] += 1
            return
        inside, self.inside = self.inside, True  # the tokens shown are not the run's own calls
        try:
            shown = tensors_of(value, self.tokenizer) if tensors else {}
        finally:
            self.inside = inside
        stage = {"stage": name, "step": step, "code": code, "calls": 1, "tensors": shown}
        if info:
            stage["info"] = info
        if output is not None:
            stage["output"] = output_preview(output)
        self._by_name[name] = stage
        self.raw[name] = _leaves(value) if tensors else {}
        self.stages.append(stage)

    def stage(self, name: str) -> dict | None:
        return self._by_name.get(name)

    def tensor(self, name: str, *stages: str) -> Any:
        """The raw tensor `name` of the first of stages that recorded one (None when none did)."""
        for stage in stages:
            value = self.raw.get(stage, {}).get(name)
            if value is not None:
                return value
        return None


def tokenizer_of(loaded: Any) -> Any:
    """The tokenizer of a pipeline or a bundle (a processor's own tokenizer), or None."""
    for candidate in (getattr(loaded, "tokenizer", None), getattr(loaded, "processor", None)):
        if candidate is None:
            continue
        if hasattr(candidate, "convert_ids_to_tokens"):
            return candidate
        inner = getattr(candidate, "tokenizer", None)
        if inner is not None and hasattr(inner, "convert_ids_to_tokens"):
            return inner
    return None


def processor_info(processor: Any) -> dict:
    """What a processor does to images and audio: normalisation (mean/std), size, rescale, sampling rate."""
    info: dict[str, Any] = {}
    for part in (processor, getattr(processor, "image_processor", None), getattr(processor, "feature_extractor", None)):
        if part is None:
            continue
        for key in ("image_mean", "image_std", "size", "crop_size", "rescale_factor", "do_normalize",
                    "do_resize", "sampling_rate", "feature_size", "n_fft", "hop_length", "padding_value",
                    "chunk_length"):
            value = getattr(part, key, None)
            if value is not None and key not in info:
                if dataclasses.is_dataclass(value):  # SizeDict(height=..., width=..., ...): the sizes it sets
                    value = {k: v for k, v in dataclasses.asdict(value).items() if v is not None}
                value = jsonable(value)
                if isinstance(value, (int, float, str, bool, list, dict)):
                    info[key] = value
    return info


def _swap_class(obj: Any, methods: dict[str, Callable]) -> Callable[[], None]:
    """obj's class swapped for a subclass overriding `methods` (dunder calls look up the class, not the
    instance); returns the undo. The object keeps its type for isinstance checks."""
    original = obj.__class__
    traced = type(original.__name__, (original,), methods)  # its name too: runs may print type(x).__name__
    traced.__qualname__, traced.__module__ = original.__qualname__, original.__module__
    obj.__class__ = traced

    def undo() -> None:
        obj.__class__ = original

    return undo


def _set(obj: Any, name: str, value: Any) -> Callable[[], None]:
    """An instance attribute set over the class's method; returns the undo."""
    had = name in vars(obj)
    old = vars(obj).get(name)
    setattr(obj, name, value)

    def undo() -> None:
        if had:
            setattr(obj, name, old)
        else:
            delattr(obj, name)

    return undo


def _trace_generate(model: Any, rec: Recorder, code: str, step: str = "forward") -> Callable[[], None]:
    """model.generate recorded: its first forward's outputs, how many forward passes, its output ids."""
    generate = model.generate

    def traced(*args, **kwargs):
        passes = []

        def hook(module, hook_args, hook_kwargs, output):
            if not passes:
                rec.record("generate: first forward", step,
                           "outputs = model(**inputs)  # generate's first step: logits of the next token", output)
            passes.append(1)

        handle = model.register_forward_hook(hook, with_kwargs=True)
        rec.quiet += 1
        try:
            out = generate(*args, **kwargs)
        finally:
            rec.quiet -= 1
            handle.remove()
        ids = out.sequences if hasattr(out, "sequences") else out
        rec.record("generate", step, code, {"sequences": ids} if _is_tensor(ids) else out,
                   info={"forward passes": len(passes)})
        return out

    return _set(model, "generate", traced)


def _trace_pipeline(pipe: Any, rec: Recorder) -> list[Callable[[], None]]:
    name = type(pipe).__name__
    preprocess, forward, postprocess = pipe.preprocess, pipe._forward, pipe.postprocess
    processor = getattr(pipe, "image_processor", None) or getattr(pipe, "feature_extractor", None)
    info = processor_info(processor) if processor is not None else {}
    pre_code = f"model_inputs = pipe.preprocess(inputs, **preprocess_params)  # {name}.preprocess"

    def traced_pre(*args, **kwargs):
        out = preprocess(*args, **kwargs)
        if inspect.isgenerator(out):  # a ChunkPipeline yields windows or chunks
            def chunks():
                for item in out:
                    rec.record("preprocess", "preprocess", pre_code, item, info=info)
                    yield item
            return chunks()
        rec.record("preprocess", "preprocess", pre_code, out, info=info)
        return out

    def traced_forward(*args, **kwargs):
        rec.quiet += 1
        try:
            out = forward(*args, **kwargs)
        finally:
            rec.quiet -= 1
        rec.record("_forward", "forward", f"model_outputs = pipe._forward(model_inputs)  # {name}._forward: "
                                          f"{type(pipe.model).__name__}", out)
        return out

    def traced_post(*args, **kwargs):
        out = postprocess(*args, **kwargs)
        rec.record("postprocess", "postprocess", f"result = pipe.postprocess(model_outputs, **postprocess_params)"
                                                 f"  # {name}.postprocess", output=out, tensors=False)
        return out

    undo = [_set(pipe, "preprocess", traced_pre), _set(pipe, "_forward", traced_forward),
            _set(pipe, "postprocess", traced_post)]
    model = getattr(pipe, "model", None)
    if model is not None and hasattr(model, "generate"):
        undo.append(_trace_generate(model, rec, "ids = model.generate(**model_inputs)  # inside pipe._forward"))
    return undo


# a processor's methods recorded besides its call: (step, reads ids) by name; post_process_* are postprocess
METHODS = {"tokenize": ("preprocess", False), "encode": ("preprocess", False),
           "convert_tokens_to_ids": ("preprocess", False), "apply_chat_template": ("preprocess", False),
           "decode": ("postprocess", True), "batch_decode": ("postprocess", True),
           "convert_ids_to_tokens": ("postprocess", True)}


def _trace_processor(processor: Any, rec: Recorder) -> Callable[[], None]:
    cls = type(processor)
    info = processor_info(processor)

    def make(method: str, step: str, reads_ids: bool) -> Callable:
        code = (f"inputs = processor(...)  # {cls.__name__}.__call__" if method == "__call__"
                else f"{'result' if step == 'postprocess' else 'ids'} = processor.{method}(...)  # {cls.__name__}.{method}")

        def traced(self, *args, **kwargs):
            if rec.inside:  # batch_decode calls decode, a call calls tokenize: one stage
                return getattr(cls, method)(self, *args, **kwargs)
            rec.inside = True
            try:
                out = getattr(cls, method)(self, *args, **kwargs)
            finally:
                rec.inside = False
            name = "processor" if method == "__call__" else method
            if reads_ids:
                rec.record(name, step, code, {"ids": args[0]} if args else kwargs, output=out)
            else:
                shown = tensors_of(out) if not isinstance(out, str) else {}
                rec.record(name, step, code, out, info=info if step == "preprocess" else None,
                           output=None if shown else out)
            return out

        return traced

    methods: dict[str, Callable] = {"__call__": make("__call__", "preprocess", False)}
    for method in dir(cls):
        kind = METHODS.get(method) or (("postprocess", False) if method.startswith("post_process") else None)
        if kind is not None and callable(getattr(cls, method, None)):
            methods[method] = make(method, *kind)
    return _swap_class(processor, methods)


def _trace_modules(rec: Recorder) -> list[Callable[[], None]]:
    """Every outermost module call of this thread recorded as the "model" stage (the model, or one the run
    built from it, such as a backbone), except inside a pipeline's _forward or generate, which record their
    own. Global hooks, filtered by thread: other requests' models run on untouched."""
    from torch.nn.modules import module as nn_module

    thread = threading.get_ident()
    depth = [0]

    def before(module, args):
        if threading.get_ident() == thread:
            depth[0] += 1

    def after(module, args, kwargs, output):
        if threading.get_ident() != thread:
            return
        depth[0] -= 1
        if depth[0] or rec.quiet:
            return
        name = type(module).__name__
        if not any(s["step"] == "preprocess" for s in rec.stages):  # the run fed the model itself
            rec.record("model inputs", "preprocess", "inputs = {...}  # what the run gives the model",
                       {k: v for k, v in kwargs.items() if _is_tensor(v)} or (args[0] if args else {}))
        if "model" not in rec.raw:  # what the model read, for the explanations (shown by the preprocess stage)
            rec.raw["model read"] = {k: v for k, v in kwargs.items() if _is_tensor(v)}
        rec.record("model", "forward", f"outputs = model(**inputs)  # {name}.forward", output)

    handles = [nn_module.register_module_forward_pre_hook(before),
               nn_module.register_module_forward_hook(after, with_kwargs=True, always_call=True)]
    return [h.remove for h in handles]


@contextlib.contextmanager
def tracing(loaded: Any, rec: Recorder):
    """Within the block, what the loaded pipeline or bundle (or list of them) does is recorded in rec."""
    undo: list[Callable[[], None]] = []
    try:
        for obj in loaded if isinstance(loaded, list) else [loaded]:
            if isinstance(obj, Bundle):
                if obj.processor is not None:
                    undo.append(_trace_processor(obj.processor, rec))
                if obj.model is not None and hasattr(obj.model, "generate"):
                    undo.append(_trace_generate(obj.model, rec, "ids = model.generate(**inputs)"))
            elif hasattr(obj, "_forward") and hasattr(obj, "preprocess"):
                undo.extend(_trace_pipeline(obj, rec))
        if any(getattr(obj, "model", None) is not None for obj in (loaded if isinstance(loaded, list) else [loaded])):
            undo.extend(_trace_modules(rec))
        yield rec
    finally:
        for fn in reversed(undo):
            fn()


# ---- explanations ----------------------------------------------------------------------------------------
def explanation(name: str, code: str, text: str, args: dict | None = None, *, tensors: dict | None = None,
                table: tuple[list[str], list[list]] | None = None, rec: Recorder | None = None) -> dict:
    """A task-specific stage: how postprocessing made the result from the recorded tensors. text is English
    with {placeholders} from args (the page shows it translated); table is (headers, rows)."""
    stage: dict[str, Any] = {"stage": name, "step": "explain", "code": code, "calls": 1,
                             "text": text.format(**(args or {})), "template": text, "args": args or {},
                             "tensors": {k: describe(v, k, rec.tokenizer if rec else None)
                                         for k, v in (tensors or {}).items()}}
    if table is not None:
        headers, rows = table
        stage["table"] = {"headers": headers, "rows": [[_number(c) for c in r] for r in rows[:MAX_TABLE_ROWS]],
                          "total": len(rows)}
    return stage


def _text_classification(rec: Recorder, value, loaded, inputs, params) -> list[dict]:
    import torch

    logits = rec.tensor("logits", "_forward")
    if logits is None:
        return []
    config = loaded.model.config
    fn = params.get("function_to_apply", "default")
    if fn == "default":  # as TextClassificationPipeline.postprocess picks it
        if config.problem_type == "regression":
            fn = "none"
        elif config.problem_type == "multi_label_classification" or config.num_labels == 1:
            fn = "sigmoid"
        else:
            fn = "softmax"
    row = logits[0].float()
    scores = {"softmax": lambda x: torch.softmax(x, dim=-1), "sigmoid": torch.sigmoid}.get(fn, lambda x: x)(row)
    order = sorted(range(len(row)), key=lambda i: -float(scores[i]))
    rows = [[config.id2label[i], float(row[i]), float(scores[i])] for i in order]
    code = {"softmax": "scores = torch.softmax(logits[0], dim=-1)", "sigmoid": "scores = torch.sigmoid(logits[0])",
            "none": "scores = logits[0]"}[fn]
    text = {"softmax": "softmax turns the {n} logits into scores that add up to 1: exp(logit) / sum of exp(logits)",
            "sigmoid": "sigmoid turns each of the {n} logits into a score between 0 and 1: 1 / (1 + exp(-logit))",
            "none": "the scores are the {n} logits themselves"}[fn]
    kept = rec.stage("_forward")["calls"] if rec.stage("_forward") else 1
    stages = [explanation(fn, code, text, {"n": len(row)}, tensors={"scores": scores.unsqueeze(0)},
                          table=(["label", "logit", "score"], rows), rec=rec)]
    stages.append(explanation("top_k", f"result = sorted(scores, reverse=True)[:{params.get('top_k', 5)}]",
                              "the labels sorted by score, best first; the result keeps the top {k}"
                              + (" (shown for the first of {calls} texts)" if kept > 1 else ""),
                              {"k": params.get("top_k", 5), "calls": kept}, rec=rec))
    return stages


def _center_to_corners(boxes):
    import torch

    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1)


def detr_boxes(logits, pred_boxes, target_size, threshold: float) -> list[dict]:
    """Every query of a DETR-style detector: softmax over the classes plus "no object", the best real class,
    its box in pixels, and whether its score passes the threshold (as post_process_object_detection)."""
    import torch

    probs = torch.softmax(logits.float(), dim=-1)[..., :-1]
    scores, labels = probs.max(-1)
    height, width = (float(v) for v in target_size)
    corners = _center_to_corners(pred_boxes.float()) * torch.tensor([width, height, width, height])
    rows = []
    for i in range(len(scores)):
        xmin, ymin, xmax, ymax = corners[i].int().tolist()
        rows.append({"query": i, "label": int(labels[i]), "score": float(scores[i]), "kept": bool(scores[i] > threshold),
                     "box": {"xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax}})
    return rows


def _object_detection(rec: Recorder, value, loaded, inputs, params) -> list[dict]:
    logits, boxes = rec.tensor("logits", "_forward"), rec.tensor("pred_boxes", "_forward")
    target = rec.tensor("target_size", "_forward")
    config = loaded.model.config
    if logits is None or boxes is None or target is None or logits.shape[-1] != len(config.id2label) + 1:
        return []  # not a detector with a "no object" class (RT-DETR, D-FINE score with sigmoid and top-k)
    threshold = params["threshold"]
    queries = detr_boxes(logits[0], boxes[0], target[0].tolist(), threshold)
    queries.sort(key=lambda q: -q["score"])
    kept = [q for q in queries if q["kept"]]
    rows = [[q["query"], config.id2label[q["label"]], q["score"], "✓" if q["kept"] else "",
             *q["box"].values()] for q in queries]
    code = ("probs = logits.softmax(-1)[..., :-1]; scores, labels = probs.max(-1)\n"
            f"keep = scores > {threshold}  # boxes: (cx, cy, w, h) * (width, height) -> corners")
    return [explanation("threshold", code,
                        "each of the {queries} queries scores every class and \"no object\" (softmax); its best class "
                        "scores {best:.4f} at most; {kept} queries pass the threshold {threshold} and become the "
                        "result's boxes, in the image's pixels",
                        {"queries": len(queries), "kept": len(kept), "threshold": threshold,
                         "best": queries[0]["score"] if queries else 0.0},
                        table=(["query", "label", "score", "kept", "xmin", "ymin", "xmax", "ymax"], rows), rec=rec)]


def _speech_recognition(rec: Recorder, value, loaded, inputs, params) -> list[dict]:
    import torch

    tokenizer = tokenizer_of(loaded)
    ids = rec.tensor("tokens", "_forward")
    if ids is None:
        ids = rec.tensor("sequences", "generate")
    chunks = rec.stage("_forward")["calls"] if rec.stage("_forward") else 1
    suffix = " (the first of {chunks} chunks)" if chunks > 1 else ""
    if ids is not None and tokenizer is not None and rec.stage("generate") is None:  # CTC: argmax in _forward
        row = ids[0] if ids.dim() > 1 else ids
        return [explanation("CTC decode", "ids = logits.argmax(-1)  # in pipe._forward; text = tokenizer.decode(ids)",
                            "the CTC head picks each of the {frames} audio frames' best token (argmax of its logits); "
                            "decoding merges repeats and drops the blank token" + suffix,
                            {"frames": int(row.numel()), "chunks": chunks}, tensors={"ids": row.unsqueeze(0)},
                            table=(["text"], [[tokenizer.decode(row.tolist())]]), rec=rec)]
    if ids is not None and tokenizer is not None:
        row = ids[0] if ids.dim() > 1 else ids
        text = tokenizer.decode(row.tolist(), skip_special_tokens=True)
        return [explanation("decode", "text = tokenizer.decode(ids, skip_special_tokens=True)",
                            "generate ran the decoder once per new token and gave {n} ids; decoding them without the "
                            "special tokens gives the text" + suffix,
                            {"n": int(row.numel()), "chunks": chunks}, tensors={"ids": row.unsqueeze(0)},
                            table=(["text"], [[text]]), rec=rec)]
    logits = rec.tensor("logits", "_forward")
    if logits is None or tokenizer is None:
        return []
    best = torch.argmax(logits[0], dim=-1)
    text = tokenizer.decode(best.tolist())
    return [explanation("CTC decode", "ids = logits.argmax(-1); text = tokenizer.decode(ids)",
                        "each of the {frames} audio frames takes its best token (argmax); decoding merges repeats and "
                        "drops the blank token" + suffix,
                        {"frames": int(best.numel()), "chunks": chunks}, tensors={"ids": best.unsqueeze(0)},
                        table=(["text"], [[text]]), rec=rec)]


def _question_answering(rec: Recorder, value, loaded, inputs, params) -> list[dict]:
    import torch

    start, end = rec.tensor("start_logits", "model"), rec.tensor("end_logits", "model")
    ids = rec.tensor("input_ids", "model read", "model inputs")
    if start is None or end is None:
        return []
    tokenizer = tokenizer_of(loaded)
    best = value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else value
    rows = []
    for name, logits in (("start", start[0]), ("end", end[0])):
        top = torch.topk(logits.float(), k=min(3, logits.numel()))
        for score, index in zip(top.values.tolist(), top.indices.tolist()):
            token = ""
            if ids is not None and tokenizer is not None and index < ids.shape[-1]:
                token = tokenizer.convert_ids_to_tokens(int(ids[0][index]))
            rows.append([name, index, str(token), score])
    answer = best.get("answer", "") if isinstance(best, dict) else ""
    return [explanation("span search",
                        "score(i, j) = softmax(start_logits)[i] * softmax(end_logits)[j], i <= j < i + max_answer_len",
                        "every window scores each context token as the answer's start and as its end; the answer is the "
                        "span (start before end, at most {max_len} tokens, inside the context) with the best product "
                        "of the two: \"{answer}\"",
                        {"max_len": params.get("max_answer_len", 15), "answer": answer},
                        table=(["logits", "token index", "token", "logit"], rows), rec=rec)]


def _token_classification(rec: Recorder, value, loaded, inputs, params) -> list[dict]:
    import torch

    logits = rec.tensor("logits", "_forward")
    ids = rec.tensor("input_ids", "preprocess")
    if logits is None:
        return []
    probs = torch.softmax(logits[0].float(), dim=-1)
    scores, labels = probs.max(-1)
    config = loaded.model.config
    tokens = loaded.tokenizer.convert_ids_to_tokens(ids[0].tolist()) if ids is not None else [""] * len(labels)
    rows = [[t, config.id2label[int(lab)], float(s)] for t, lab, s in zip(tokens, labels, scores)]
    result = value[0] if isinstance(value, list) and value and isinstance(value[0], list) else value
    count = len(result) if isinstance(result, list) else 0
    return [explanation("aggregation", f"pipe.postprocess(..., aggregation_strategy={params.get('aggregation_strategy')!r})",
                        "softmax over the {labels} labels gives each of the {tokens} tokens its best label; aggregation "
                        "\"{strategy}\" drops the O tokens and merges the others into the result's {count} entities",
                        {"labels": len(config.id2label), "tokens": len(rows), "count": count,
                         "strategy": params.get("aggregation_strategy", "none")},
                        table=(["token", "label", "score"], rows), rec=rec)]


EXPLAIN: dict[str, Callable[..., list[dict]]] = {
    "text-classification": _text_classification,
    "object-detection": _object_detection,
    "automatic-speech-recognition": _speech_recognition,
    "question-answering": _question_answering,
    "token-classification": _token_classification,
}


def stages_of(task, rec: Recorder, value: Any, loaded: Any, inputs: dict, params: dict) -> list[dict]:
    """The recorded stages, the task's explanations of its postprocessing, and the result."""
    stages = list(rec.stages)
    if not any(s["step"] == "postprocess" for s in stages):
        stages.append({"stage": "result", "step": "postprocess", "calls": 1, "tensors": {},
                       "code": f"result = run(model, inputs, params)  # demos/…/{task.id.replace('-', '_')}.py",
                       "output": output_preview(value)})
    explain_fn = EXPLAIN.get(task.id)
    if explain_fn is not None:
        try:
            stages += explain_fn(rec, value, loaded[0] if isinstance(loaded, list) else loaded, inputs, params)
        except Exception as exc:  # an explanation that does not fit this model never fails the run
            stages.append({"stage": "explanation", "step": "explain", "calls": 1, "tensors": {}, "code": "",
                           "text": f"not shown for this model ({type(exc).__name__})"})
    return stages


# ---- the traced run ------------------------------------------------------------------------------------
def traced_run(manager, task, model, inputs: dict, params: dict):
    """ModelManager.run's result with its stages in facts["steps"]: the run goes around the batcher, under
    the model's lock, with the loaded objects traced (see tracing)."""
    from core.models import RunResult, unpack

    if task.multi_model == 1 and isinstance(model, list):
        model = model[0] if model else None
    with limits.active(manager.settings.limits):
        inputs, params = task.parse(inputs, params)
    refs, entries, cached = manager._entries(task, model)
    try:
        with manager._held(task, entries) as loaded, deadline.within(manager.settings.timeout), \
                limits.active(manager.settings.limits):
            rec = Recorder(tokenizer_of(loaded[0] if isinstance(loaded, list) else loaded))
            start = time.perf_counter()
            with tracing(loaded, rec):
                output = task.run(loaded, inputs, params)
            seconds = time.perf_counter() - start
            value, notes, facts = unpack(output)
            if task.postprocess is not None:
                value, more, facts2 = unpack(task.postprocess(value, inputs, params))
                notes, facts = notes + more, {**facts, **facts2}
            steps = stages_of(task, rec, value, loaded, inputs, params)
    except Exception as exc:
        raise explain(exc, model=refs[0].display, task=task.id) from exc
    details = manager._all_details(task, refs, entries, cached, seconds)
    return RunResult(value, manager.code(task, refs, inputs, params), details, inputs, params, notes,
                     {**facts, "steps": steps})


# ---- drawn for people ------------------------------------------------------------------------------------
STEP_TITLES = {"preprocess": "preprocess", "forward": "forward", "postprocess": "postprocess",
               "explain": "how the result is made"}


def _values_text(values: Any, limit: int = 600) -> str:
    text = json.dumps(values, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + " …"


def page(stages: list[dict] | None, lang: str = "en", empty: str = "Run the task to see what the pipeline does.") -> str:
    """The stages as one HTML fragment (the "Under the hood" panel): each stage's code line, its tensors
    (shape, dtype, values, tokens), its settings, its explanation and table, the result."""
    tr = lambda text: html.escape(translate(text, lang))  # noqa: E731
    if not stages:
        return f'<div class="steps-empty">{tr(empty)}</div>'
    parts = [STYLE, '<div class="steps">']
    for number, stage in enumerate(stages, 1):
        step = STEP_TITLES.get(stage.get("step", ""), stage.get("step", ""))
        step = f" <small>({tr(step)})</small>" if step != stage["stage"] or lang != "en" else ""
        calls = stage.get("calls", 1)
        times = f' <span class="steps-calls">{tr("calls")}: {calls}</span>' if calls > 1 else ""
        parts.append(f'<section class="steps-stage steps-{html.escape(stage.get("step", ""))}">'
                     f'<h4>{number}. {html.escape(stage["stage"])}{step}{times}</h4>')
        if stage.get("code"):
            parts.append(f'<pre class="steps-code"><code>{html.escape(stage["code"])}</code></pre>')
        if stage.get("text"):
            text = translate(stage.get("template", stage["text"]), lang)
            try:
                text = text.format(**stage.get("args", {}))
            except (KeyError, IndexError, ValueError):
                text = stage["text"]
            parts.append(f"<p>{html.escape(text)}</p>")
        if stage.get("info"):
            items = ", ".join(f"<b>{tr(str(k))}</b> {html.escape(_values_text(v, 120))}"
                              for k, v in stage["info"].items())
            parts.append(f'<p class="steps-info">{items}</p>')
        if stage.get("tensors"):
            head = "".join(f"<th>{tr(h)}</th>" for h in ("tensor", "shape", "dtype", "values"))
            rows = []
            for name, t in stage["tensors"].items():
                values = html.escape(_values_text(t["values"]))
                if t.get("summary"):
                    s = t["summary"]
                    values += (f'<br><i>{tr("first values only")}: min {s["min"]}, max {s["max"]}, '
                               f'{tr("mean")} {s["mean"]}</i>')
                if t.get("tokens"):
                    values += _token_chips(t["values"], t["tokens"])
                rows.append(f"<tr><td><code>{html.escape(name)}</code></td><td>{t['shape']}</td>"
                            f"<td>{html.escape(t['dtype'])}</td><td class=\"steps-values\">{values}</td></tr>")
            parts.append(f'<table class="steps-tensors"><tr>{head}</tr>{"".join(rows)}</table>')
        if stage.get("table"):
            table = stage["table"]
            head = "".join(f"<th>{tr(h)}</th>" for h in table["headers"])
            body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(c))}</td>" for c in row) + "</tr>"
                           for row in table["rows"])
            more = table["total"] - len(table["rows"])
            tail = f'<p class="steps-more">{tr("more rows")}: {more}</p>' if more > 0 else ""
            parts.append(f'<table class="steps-table"><tr>{head}</tr>{body}</table>{tail}')
        if "output" in stage:
            parts.append(f'<pre class="steps-output">{html.escape(_values_text(stage["output"], 1200))}</pre>')
        parts.append("</section>")
    parts.append("</div>")
    return "".join(parts)


STYLE = """<style>
.steps { font-size: 0.92em; }
.steps-stage { border-left: 3px solid var(--color-accent, #f97316); padding: 2px 12px; margin: 10px 0; }
.steps-stage.steps-explain { border-left-color: var(--color-green-500, #22c55e); }
.steps h4 { margin: 4px 0; } .steps h4 small { font-weight: normal; opacity: 0.7; }
.steps-calls { font-size: 0.8em; font-weight: normal; opacity: 0.8; margin-left: 8px; }
.steps pre { background: var(--code-background-fill, #f4f4f5); padding: 4px 8px; margin: 4px 0; white-space: pre-wrap;
  word-break: break-word; font-size: 0.85em; }
.steps table { border-collapse: collapse; margin: 4px 0; font-size: 0.85em; }
.steps td, .steps th { border: 1px solid var(--border-color-primary, #e4e4e7); padding: 2px 6px; text-align: left;
  vertical-align: top; }
.steps td.steps-values { font-family: var(--font-mono, monospace); max-width: 720px; word-break: break-all; }
.steps-tok { display: inline-block; border: 1px solid var(--border-color-primary, #d4d4d8); border-radius: 4px;
  padding: 0 4px; margin: 2px 2px 0 0; text-align: center; font-family: var(--font-mono, monospace); }
.steps-tok small { display: block; opacity: 0.65; }
.steps-info { font-size: 0.85em; } .steps-empty { opacity: 0.7; padding: 8px 0; }
</style>"""


def _token_chips(ids: Any, tokens: Any) -> str:
    """The first row of ids under their tokens, as chips."""
    while isinstance(ids, list) and ids and isinstance(ids[0], list):
        ids, tokens = ids[0], tokens[0] if tokens and isinstance(tokens[0], list) else tokens
    if not isinstance(ids, list) or not isinstance(tokens, list):
        return ""
    chips = "".join(f'<span class="steps-tok">{html.escape(str(tok))}<small>{i}</small></span>'
                    for tok, i in zip(tokens, ids))
    return f'<div class="steps-tokens">{chips}</div>'


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def for_cli(stages: list[dict]) -> list[dict]:
    """The stages as `--show steps` prints them: stage, step, code, calls, tensors and what else they hold."""
    return [{k: v for k, v in s.items() if k not in ("template", "args")} for s in stages]
