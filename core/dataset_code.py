"""The Code panel of a dataset run: the transformers 5 code that reproduces it, the study notes' way (load the
data with `datasets`, `pipe(KeyDataset(ds, column), batch_size=N)`, write one JSON line per row).

It is made from the task's own single-run snippet (its `code`), so the task's parameters appear exactly as the
single run shows them: for a pipeline task the keyword arguments of its `pipe(...)` call are kept and the input
becomes the dataset's column; for an AutoClass task (transformers 5 removed its pipeline) the list of inputs its
snippet batches over becomes the column, so the task's own batched loop runs over the dataset. No gradio here.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from typing import Any

from core.codegen import call_args, place_kwargs, py, source_kwargs
from core.params import File, Lines

MARK = "__dataset_item_{}__"  # placeholder inputs: found again in the task's snippet
SAMPLES = {"image": ("gradio", "media_assets/images/cheetah.jpg"), "audio": ("demos", "audio/clips")}


@dataclass(frozen=True)
class Where:
    """Where the rows come from, as the user has them. kind: "file" (CSV/TSV/JSON Lines/Parquet/TXT: path is
    its name), "folder" (images/audio/documents in a folder or an unpacked ZIP: path is the folder), "hub"
    (a Hub id with config/split, streamed when `streaming`), "disk" (a save_to_disk folder)."""

    kind: str
    path: str
    config: str | None = None
    split: str | None = None
    streaming: bool = False
    media: str = ""  # "image" / "audio" for a folder


@dataclass(frozen=True)
class Plan:
    """What the snippet runs: the task's main input read from `column` (pair: text_pair read from a second
    column), batch_size, at most `limit` rows, JSON Lines written to `output`, `keep` columns copied beside."""

    column: str
    batch_size: int = 8
    limit: int | None = None
    output: str = "results.jsonl"
    pair_column: str | None = None
    keep: tuple[str, ...] = field(default_factory=tuple)


LOADERS = {".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet", ".txt": "text",
           ".arrow": "arrow"}


def load_lines(where: Where, limit: int | None) -> list[str]:
    """The lines that load the rows into `ds` (and cut them to limit)."""
    lines = ["from datasets import load_dataset" if where.kind != "disk" else "from datasets import load_from_disk"]
    if where.kind == "file":
        ext = os.path.splitext(where.path)[1].lower()
        extra = {"delimiter": "\t"} if ext == ".tsv" else {}
        lines.append(f"ds = load_dataset({call_args(LOADERS.get(ext, 'csv'), data_files=where.path, split='train', **extra)})")
    elif where.kind == "folder":
        builder = "audiofolder" if where.media == "audio" else "imagefolder"
        lines.append(f"ds = load_dataset({call_args(builder, data_dir=where.path, split='train')})")
    elif where.kind == "disk":
        lines.append(f"ds = load_from_disk({py(where.path)})")
        lines.append("ds = ds[next(iter(ds))] if hasattr(ds, 'keys') else ds  # a DatasetDict: its first split")
    else:
        kwargs = {"name": where.config or ..., "split": where.split or "train"}
        if where.streaming:
            kwargs["streaming"] = True
        lines.append(f"ds = load_dataset({call_args(where.path, **kwargs)})")
    if limit:
        lines.append(f"ds = ds.take({limit})" if where.streaming else f"ds = ds.select(range(min({limit}, len(ds))))")
    return lines


def markers(batch_size: int) -> list[str]:
    """More placeholder lines than a batch holds, so the task's snippet takes its batched-loop shape."""
    return [MARK.format(i) for i in range(max(2, batch_size + 1))]


def placeholder_inputs(task, batch_size: int = 1) -> dict[str, Any]:
    """Inputs for the task's snippet with the main input as markers (lines for a Lines field), other inputs
    left to their defaults."""
    name = task.inputs.first
    f = task.inputs[name]
    if isinstance(f, Lines):
        return {name: "\n".join(markers(min(batch_size, f.max_items - 1)))}
    if isinstance(f, File):
        return {name: sample_file(f.media)}
    return {name: MARK.format(0)}


def sample_file(media: str) -> str:
    """A real file of that kind (a task's snippet may read it), never shown: the column replaces it."""
    import importlib.util

    package, rel = SAMPLES.get(media, SAMPLES["image"])
    base = os.path.dirname(importlib.util.find_spec(package).origin)
    path = os.path.join(base, rel)
    if os.path.isdir(path):
        path = os.path.join(path, sorted(os.listdir(path))[0])
    return path


def _calls_to(tree: ast.AST, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name]


def _literal(node: ast.AST) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        return ...


def writer_lines(plan: Plan, results: str, indent: str = "") -> list[str]:
    """Write one JSON line per row: the input column(s) kept, then the task's output."""
    kept = (plan.column, *([plan.pair_column] if plan.pair_column else []), *plan.keep)
    row = ", ".join(f"{c!r}: row[{c!r}]" for c in dict.fromkeys(kept))
    body = [
        f"with open({plan.output!r}, 'w', encoding='utf-8') as f:",
        f"    for row, output in zip(ds, {results}):",
        f"        f.write(json.dumps({{{row}, 'output': output}}, ensure_ascii=False, default=str) + '\\n')",
    ]
    return [indent + line for line in body]


def pipeline_snippet(task, ref, place, snippet: str, where: Where, plan: Plan) -> str | None:
    """pipe(KeyDataset(ds, column), batch_size=N, <the single run's keyword arguments>); None when the single
    snippet's pipe(...) call has arguments that are not plain values."""
    calls = _calls_to(ast.parse(snippet), "pipe")
    if len(calls) != 1:
        return None
    kwargs = {k.arg: _literal(k.value) for k in calls[0].keywords}
    if any(k is None or v is ... for k, v in kwargs.items()):
        return None
    kwargs.pop("batch_size", None)
    load = call_args(task.loader.pipeline_task, model=ref.source, **source_kwargs(ref), **place_kwargs(place))
    lines = ["import json", "", *load_lines(where, plan.limit), "from transformers import pipeline"]
    if where.streaming:  # an IterableDataset has no len() or ds[i]: feed the pipeline a generator (notes' way 1)
        pair = f"{{'text': row[{plan.column!r}], 'text_pair': row[{plan.pair_column!r}]}}" if plan.pair_column else \
            f"row[{plan.column!r}]"
        lines += ["", "", "def items():", "    for row in ds:", f"        yield {pair}", "",
                  "", f"pipe = pipeline({load})", f"outputs = pipe({call_args(**{'batch_size': plan.batch_size}, **kwargs)})"]
        lines[-1] = lines[-1].replace("pipe(", "pipe(items(), ", 1)
    else:
        keyed = "KeyPairDataset" if plan.pair_column else "KeyDataset"
        dataset = f"{keyed}(ds, {plan.column!r}" + (f", {plan.pair_column!r})" if plan.pair_column else ")")
        lines += [f"from transformers.pipelines.pt_utils import {keyed}", "",
                  f"pipe = pipeline({load})",
                  f"outputs = pipe({dataset}, {call_args(batch_size=plan.batch_size, **kwargs)})"]
    lines += ["# one output per row, in order, as they come (nothing is kept in memory)", *writer_lines(plan, "outputs")]
    return "\n".join(lines) + "\n"


def autoclass_snippet(task, snippet: str, where: Where, plan: Plan) -> str | None:
    """The task's own batched AutoClass loop over the column: its list of inputs becomes the column's values
    and its final print writes the rows. None when the snippet has no such list."""
    tree = ast.parse(snippet)
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Assign) and isinstance(_literal(n.value), list)
             and _literal(n.value)[:2] == markers(1)]
    printed = [n for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
               and isinstance(n.value.func, ast.Name) and n.value.func.id == "print"]
    if len(found) != 1 or not printed:
        return None
    target, shown = found[0], printed[-1]
    results = ast.unparse(shown.value.args[0]) if shown.value.args else "result"
    if isinstance(shown.value.args[0], ast.Subscript):  # print(result[0]): the list itself
        results = ast.unparse(shown.value.args[0].value)
    lines = snippet.splitlines()
    indent = " " * shown.col_offset
    lines[shown.lineno - 1:shown.end_lineno] = writer_lines(plan, results, indent)
    value = f"[row[{plan.column!r}] for row in ds]"
    first = lines[target.lineno - 1]
    lines[target.lineno - 1:target.end_lineno] = [first[:target.value.col_offset] + value]
    head = ["import json", "", *load_lines(where, plan.limit), ""]
    return "\n".join(head + lines) + "\n"


def dataset_code(task, ref, place, where: Where, plan: Plan, params: dict) -> str:
    """The snippet that reproduces a dataset run of task (params: parsed, as the run used them)."""
    if "batch_size" in task.params:  # the task's own batching (an AutoClass loop) takes the run's batch size
        params = {**params, "batch_size": plan.batch_size}
    inputs, parsed = task.parse(placeholder_inputs(task, plan.batch_size), params)
    snippet = task.code(ref, inputs, parsed, place)
    made = None
    if task.loader.kind == "pipeline":
        made = pipeline_snippet(task, ref, place, snippet, where, plan)
    if made is None:
        made = autoclass_snippet(task, snippet, where, plan)
    if made is None:  # not a shape the two above know: the single run's code in a loop over the rows
        body = "\n".join("    " + line if line else "" for line in snippet.splitlines())
        made = "\n".join([
            "# The single-run code of this task, run once per row (set the input from the row first).",
            "import json", "", *load_lines(where, plan.limit), "",
            "for row in ds:", f"    # input: row[{plan.column!r}]", body]) + "\n"
    return made
