"""Compare models: one task's inputs and parameters run on 2-3 models, each through the model manager's own
single run (so each model's output is what it gives alone), and what differs between them as data.

`compare()` gives one `Compared` per model, in the order given; `differences()` reads the raw outputs by
their shape (labels and scores, entities, answers, boxes, texts) and says where the models agree;
`as_json()` is the CLI's and the API's list: one {"model", "output", "details"} object per model.
No gradio here (core.compare_ui draws it).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from core import limits
from core.errors import UserError
from core.jsonable import jsonable
from core.models import ModelManager, RunResult
from core.registry import TaskSpec

TEXT_KEYS = ("generated_text", "summary_text", "translation_text", "text")


@dataclass(frozen=True)
class Compared:
    """One model's part of a comparison: the name it was asked by and its single run's result."""

    model: str
    result: RunResult


def compare(manager: ModelManager, task: TaskSpec, models: list[str], inputs: dict, params: dict, *,
            report=None, traced: bool = False) -> list[Compared]:
    """task run on each of models (the same inputs and params), one model after another through the manager
    (which may evict the previous one to keep within the cache budget). Every id is checked before anything
    loads, so a bad third id fails at once. UserError for a multi-model task, too many models, a bad id.
    traced: each run is core.steps' traced run (its stages in facts["steps"])."""
    if task.multi_model != 1:
        raise UserError("bad_param", name="model", detail=f"{task.id} compares its models itself")
    models = [m.strip() for m in models if m and m.strip()]
    if not models:
        raise UserError("no_model")
    with limits.active(manager.settings.limits):
        limits.check("models", len(models), "models in one comparison")
    for model in models:
        manager.resolve(model)
    if traced:
        from core.steps import traced_run

        return [Compared(model, traced_run(manager, task, model, inputs, params)) for model in models]
    return [Compared(model, manager.run(task, model, inputs, params, report=report)) for model in models]


def as_json(compared: list[Compared]) -> list[dict]:
    """[{"model", "output", "details"}, ...] in the models' order: the CLI's contract, JSON-ready."""
    return [{"model": c.model, "output": jsonable(c.result.output), "details": jsonable(c.result.details)}
            for c in compared]


def summary(compared: list[Compared]) -> list[dict]:
    """Per model: its name, parameter count, load ("cached" or seconds) and inference seconds."""
    return [{"model": c.model, "parameters": c.result.details.get("parameters"),
             "load": c.result.details.get("load"), "inference_seconds": c.result.details.get("inference_seconds")}
            for c in compared]


# ---- what the outputs are ---------------------------------------------------------------------------------
def _rows(output: Any) -> list:
    """One output as a list of per-input results (a batch of lines gives a list of lists)."""
    if isinstance(output, list) and output and all(isinstance(o, list) for o in output):
        return output
    return [output]


def kind_of(output: Any) -> str:
    """"labels", "entities", "answers", "boxes", "text" or "other", read off the output's shape."""
    item = _rows(jsonable(output))[0]
    if isinstance(item, str):
        return "text"
    if isinstance(item, dict):
        if "answer" in item:
            return "answers"
        if "labels" in item and "scores" in item:
            return "labels"
        if any(isinstance(item.get(k), (str, list)) for k in TEXT_KEYS):
            return "text"
        return "other"
    if isinstance(item, list) and item and isinstance(item[0], dict):
        first = item[0]
        if "box" in first:
            return "boxes"
        if "entity_group" in first or "entity" in first:
            return "entities"
        if "answer" in first:
            return "answers"
        if "score" in first and ("label" in first or "token_str" in first):
            return "labels"
        if any(k in first for k in TEXT_KEYS):
            return "text"
    return "other"


def text_of(item: Any) -> str:
    """The text of a transcript, a generation (a chat's last message) or a list of them (one per line)."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        for key in TEXT_KEYS:
            if key in item:
                value = item[key]
                if isinstance(value, list):  # a chat: the last message is the model's
                    value = value[-1].get("content", "") if value and isinstance(value[-1], dict) else ""
                return str(value)
        return ""
    if isinstance(item, list):
        return "\n\n".join(text_of(i) for i in item)
    return ""


def word_diff(a: str, b: str) -> list[dict]:
    """b against a, word by word (difflib's opcodes over whitespace-split words): [{"op", "a", "b"}], op one
    of equal, delete, insert, replace; "a" and "b" the words of each side joined by spaces."""
    aw, bw = a.split(), b.split()
    matcher = difflib.SequenceMatcher(None, aw, bw, autojunk=False)
    return [{"op": op, "a": " ".join(aw[i1:i2]), "b": " ".join(bw[j1:j2])}
            for op, i1, i2, j1, j2 in matcher.get_opcodes()]


def _scores(item: Any) -> dict[str, float]:
    if isinstance(item, dict):  # zero-shot classification: {"sequence", "labels", "scores"}
        return {str(label): float(s) for label, s in zip(item["labels"], item["scores"])}
    return {str(d.get("label", d.get("token_str"))): float(d["score"]) for d in item}


def _labels(items: list) -> dict:
    scores = [_scores(i) for i in items]
    order = list(dict.fromkeys(label for s in scores for label in sorted(s, key=s.get, reverse=True)))
    top = [max(s, key=s.get) if s else None for s in scores]
    return {"labels": order, "scores": [[s.get(label) for s in scores] for label in order], "top": top,
            "agree": len(set(top)) == 1}


def _entity_key(e: dict) -> tuple:
    label = e.get("entity_group", e.get("entity"))
    return (e.get("start"), e.get("end"), label) if e.get("start") is not None else (e.get("word"), label)


def _entities(items: list) -> dict:
    found: dict[tuple, dict] = {}
    for i, item in enumerate(items):
        for e in item:
            row = found.setdefault(_entity_key(e), {"word": e.get("word"), "label": e.get("entity_group", e.get("entity")),
                                                    "start": e.get("start"), "end": e.get("end"),
                                                    "found_by": [False] * len(items), "scores": [None] * len(items)})
            row["found_by"][i] = True
            row["scores"][i] = float(e["score"]) if e.get("score") is not None else None
    rows = sorted(found.values(), key=lambda r: (r["start"] if r["start"] is not None else 0, str(r["word"])))
    return {"entities": rows, "agree": all(all(r["found_by"]) for r in rows)}


def _answers(items: list) -> dict:
    answers = [[{"answer": a.get("answer"), "score": a.get("score")} for a in (i if isinstance(i, list) else [i])]
               for i in items]
    top = [a[0]["answer"] if a else None for a in answers]
    return {"answers": answers, "top": top, "agree": len({str(t).strip() for t in top}) == 1}


def iou(a: dict, b: dict) -> float:
    """Intersection over union of two {"xmin", "ymin", "xmax", "ymax"} boxes."""
    w = min(a["xmax"], b["xmax"]) - max(a["xmin"], b["xmin"])
    h = min(a["ymax"], b["ymax"]) - max(a["ymin"], b["ymin"])
    inter = max(0.0, w) * max(0.0, h)
    union = ((a["xmax"] - a["xmin"]) * (a["ymax"] - a["ymin"]) + (b["xmax"] - b["xmin"]) * (b["ymax"] - b["ymin"])
             - inter)
    return inter / union if union > 0 else 0.0


def _boxes(items: list, threshold: float = 0.5) -> dict:
    """Each model's boxes matched to the first model's (same label, IoU >= threshold, best first, each once)."""
    first = items[0]
    matched = []
    for item in items:
        used: set[int] = set()
        pairs = []
        for j, box in enumerate(item):
            best, best_iou = None, threshold
            for k, ref in enumerate(first):
                if k not in used and ref.get("label") == box.get("label") and (v := iou(ref["box"], box["box"])) >= best_iou:
                    best, best_iou = k, v
            if best is not None:
                used.add(best)
                pairs.append([j, best, round(best_iou, 4)])
        matched.append(pairs)
    return {"counts": [len(i) for i in items], "matched_with_first": matched,
            "agree": all(len(p) == len(first) == len(i) for p, i in zip(matched, items))}


def _texts(items: list) -> dict:
    texts = [text_of(i) for i in items]
    return {"texts": texts, "diffs": [word_diff(texts[0], t) for t in texts], "agree": len(set(texts)) == 1}


def _empty(output: Any) -> bool:
    """No boxes, entities... found: [] (or a batch of [])."""
    return isinstance(output, list) and all(item == [] for item in output)


_BY_KIND = {"labels": _labels, "entities": _entities, "answers": _answers, "boxes": _boxes, "text": _texts}


def differences(outputs: list) -> dict:
    """What differs between the models' raw outputs (one per model, same inputs): {"kind", "rows"}, a row per
    input line (a batch has several), each with "agree" and the kind's data (see the _labels... helpers).
    Kind "other" (vectors, images, tables...): no rows; the outputs are shown side by side as they are."""
    outputs = [jsonable(o) for o in outputs]
    kinds = {kind_of(o) for o in outputs if not _empty(o)}  # a model that found nothing fits any list kind
    if len(kinds) != 1 or "other" in kinds:
        return {"kind": "other", "rows": []}
    kind = kinds.pop()
    per_model = [_rows(o) for o in outputs]
    n = min(len(r) for r in per_model)
    try:
        rows = [_BY_KIND[kind]([r[i] for r in per_model]) for i in range(n)]
    except (KeyError, TypeError, ValueError, AttributeError):  # a shape the kind did not foresee
        return {"kind": "other", "rows": []}
    return {"kind": kind, "rows": rows}


def cli_compare(manager: ModelManager, task: TaskSpec, models: list[str], inputs: dict, params: dict,
                show: str | None = None) -> int:
    """`python app.py run TASK INPUT --model A --model B [--model C]`: prints the JSON list of as_json() on
    stdout, each model's notes on stderr ("note: [model] ..."), and with show="code" each model's snippet, with
    show="steps" one JSON list of {"model", "steps"} (each model's stages, as a single run's --show steps).
    A UserError (bad id, too many models) propagates: the CLI prints its one line and exits 2."""
    import json
    import sys

    compared = compare(manager, task, models, inputs, params, traced=show == "steps")
    print(json.dumps(as_json(compared), indent=2, ensure_ascii=False))
    for c in compared:
        for note in c.result.notes:
            print(f"note: [{c.model}] {note.text()}", file=sys.stderr)
        if show == "code":
            print(f"# {c.model}\n{c.result.code}", file=sys.stderr)
    if show == "steps":
        from core.steps import for_cli

        print(json.dumps([{"model": c.model, "steps": for_cli(c.result.facts["steps"])} for c in compared],
                         indent=2, ensure_ascii=False), file=sys.stderr)
    return 0
