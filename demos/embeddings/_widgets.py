"""The Embeddings tab's gradio pieces, imported only from build functions: the shared row input (sentences,
upload, images, the model and the embedding parameters, one Run button per row task: the one of the view in
sight shows), the raw panel's preview of big outputs, the hidden full output for API clients, and the
downloads.

The tab's build (demos/embeddings/__init__) makes the shared input, then each task's sub-tab (its build(ctx,
shared)); a task that also fills other views (the Map's Run fills the heatmap and the vectors from the same
embedding) wires itself once every view exists (shared.later).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from core.files import fresh_dir
from core.registry import TaskSpec
from core.ui import Context, Panels, examples, model_picker, result_panels, widget
from demos.embeddings.examples import EXAMPLE_ENGLISH, EXAMPLE_KOREAN, EXAMPLE_NOTES, EXAMPLE_PARAPHRASES, INTRO

KEEP_SECONDS = 6 * 3600
ROW_TASKS = ("project", "similarity", "embed")  # the views the shared Run button runs (the Map's by default)
# the Code panel of a view that the Map's Run also draws (its own code shows once its own Run runs)
SHARED_VIEW_HINT = "The Map's Run draws this view too: press Run in this view for its own code."
ROW_FIELDS = ("text", "file", "images", "pooling", "layer", "normalize", "batch_size")


# ---- the raw JSON panel: a preview ------------------------------------------------------------------------
PREVIEW_LEAVES = 20_000  # the JSON viewer draws every number as a node: thousands of vectors freeze the page
PREVIEW_STEPS = (64, 32, 16, 8, 4, 2)


def _leaves(value: Any) -> int:
    if isinstance(value, list):
        return sum(_leaves(v) for v in value)
    if isinstance(value, dict):
        return sum(_leaves(v) for v in value.values())
    return 1


def _trim(value: Any, keep: int) -> Any:
    if isinstance(value, list):
        items = [_trim(v, keep) for v in value[:keep]]
        if len(value) > keep:
            items.append(f"… {len(value) - keep} more")
        return items
    if isinstance(value, dict):
        return {k: _trim(v, keep) for k, v in value.items()}
    return value


def preview(value: Any, budget: int = PREVIEW_LEAVES) -> Any:
    """value unchanged when small; else every list cut to its first items (as many as the budget allows)."""
    if _leaves(value) <= budget:
        return value
    for keep in PREVIEW_STEPS:
        trimmed = _trim(value, keep)
        if _leaves(trimmed) <= budget:
            return trimmed
    return _trim(value, 1)


@dataclass(frozen=True)
class PreviewPanels(Panels):
    """result_panels whose raw JSON shows a preview of outputs too big to draw (thousands of vectors)."""

    def values(self, result, lang: str = "en") -> dict:
        values = super().values(result, lang)
        values[self.raw] = preview(values[self.raw])
        return values


def preview_panels(ctx: Context, task, code_hint: str = "") -> PreviewPanels:
    made = result_panels(ctx, task, code_hint)
    return PreviewPanels(made.notes, made.raw, made.code, made.details)


def full_output(task) -> gr.JSON:
    """The whole output for API clients (the raw panel may show a preview): hidden, so never drawn."""
    return gr.JSON(visible=False, label="Full output (for API clients)", elem_id=f"{task.api_name}_data")


def once(fn: Callable, *args) -> Callable[[], Any]:
    """A function of no arguments giving fn(*args), computed on its first call only."""
    made: list = []

    def value() -> Any:
        if not made:
            made.append(fn(*args))
        return made[0]

    return value


# ---- exports --------------------------------------------------------------------------------------------
def export_dir() -> Path:
    """A fresh folder for the exports (gradio serves the temp dir); old ones are pruned."""
    return fresh_dir("playground-embeddings", KEEP_SECONDS)


def export(name: str, array: list, rows, columns: list[str]) -> list[str]:
    """name.npy (float32) and name.csv (text, label, kind, then the columns; UTF-8 with BOM for Excel)."""
    folder = export_dir()
    data = np.asarray(array, dtype=np.float32)
    np.save(folder / f"{name}.npy", data)
    with open(folder / f"{name}.csv", "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label", "kind", *columns])
        for row, values in zip(rows, data.tolist()):
            writer.writerow([row.text, row.label, row.kind, *(f"{v:.6g}" for v in values)])
    return [str(folder / f"{name}.npy"), str(folder / f"{name}.csv")]


# ---- the shared row input ------------------------------------------------------------------------------------
@dataclass
class Shared:
    """What the sub-tabs share: the row fields (name -> component), the model picker, the Run button of each
    row task, each view's drawing (task id -> (outputs, draw(facts, params) -> {component: value})), and the
    wiring left for when every view exists."""

    fields: dict
    model: gr.Dropdown
    runs: dict
    views: dict = field(default_factory=dict)
    later: list[Callable[[], None]] = field(default_factory=list)

    def finish(self) -> None:
        for wire_now in self.later:
            wire_now()
        self.later.clear()

    def run_visibility(self, task_id: str) -> Callable[[], list]:
        """The handler of a sub-tab's select: the Run button of that view (the Map's for the other views)."""
        shown = task_id if task_id in self.runs else next(iter(self.runs))

        def show() -> list:
            return [gr.update(visible=name == shown) for name in self.runs]

        return show


def rows_panel(ctx: Context, tasks: list[TaskSpec]) -> Shared:
    """The input every row task reads, built from the first task's fields; a Run button for each of tasks
    that takes the rows (only the first shows until another view is picked)."""
    tr = ctx.tr
    first = tasks[0]
    gr.Markdown(tr(INTRO))
    with gr.Row():
        with gr.Column(scale=3):
            fields = {"text": widget(ctx, first, "text", elem_id="embeddings_text")}
            with gr.Row():
                fields["file"] = widget(ctx, first, "file", elem_id="embeddings_file")
                fields["images"] = widget(ctx, first, "images", elem_id="embeddings_images")
            gr.Markdown(tr("CSV: a header row, a *text* column (or the first column) and an optional *label* "
                           "column; an upload replaces the typed lines. Images need an image model or CLIP "
                           "(CLIP puts texts and images in one space)."), elem_classes=["embeddings-help"])
        with gr.Column(scale=2):
            model = model_picker(ctx, next((t for t in tasks if t.id == "embed"), first))
            fields["pooling"] = widget(ctx, first, "pooling", elem_id="embeddings_pooling")
            with gr.Row():
                fields["layer"] = widget(ctx, first, "layer", elem_id="embeddings_layer")
                fields["batch_size"] = widget(ctx, first, "batch_size", elem_id="embeddings_batch_size")
            fields["normalize"] = widget(ctx, first, "normalize", elem_id="embeddings_normalize")
            runs = {}
            for task in tasks:
                if task.id in ROW_TASKS:
                    runs[task.id] = gr.Button(tr("Run"), variant="primary", visible=not runs,
                                              elem_id="embeddings_run" if not runs else f"{task.api_name}_run")
    examples(ctx, [[EXAMPLE_ENGLISH], [EXAMPLE_KOREAN], [EXAMPLE_NOTES], [EXAMPLE_PARAPHRASES]], [fields["text"]])
    return Shared(fields, model, runs)


def own_rows(ctx: Context, task: TaskSpec, shared: Shared | None) -> tuple[Shared, bool]:
    """(shared, whether it is this task's own): a task built on its own makes the row input itself."""
    if shared is not None:
        return shared, False
    return rows_panel(ctx, [task]), True


def row_fields(shared: Shared) -> dict:
    return {name: shared.fields[name] for name in ROW_FIELDS}
