"""embed (alias feature-extraction): one vector per row (texts first, then images) with the chosen pooling, layer
and L2 normalisation; the Vectors view shows the first dimensions, every norm, and .npy/.csv downloads. The CLI
prints one vector per line."""

from __future__ import annotations

import numpy as np

from core.i18n import say
from core.registry import Output
from demos.embeddings import compute, snippets
from demos.embeddings.common import embed_rows, spec, vector_facts
from demos.embeddings.rows import rows_of

PREVIEW_ROWS, PREVIEW_DIMS = 200, 6
SUMMARY = ("**{rows} vectors × {dims} dimensions** · pooling `{pooling}` · layer `{layer}` · {unit}"
           " · norms {low:.3f}–{high:.3f}")
UNIT = "unit length (L2-normalised)"
NOT_UNIT = "not normalised"
FIRST_ROWS = " · the table shows the first {n} rows; the downloads have all of them"


def batch(bundle, inputs_list: list[dict], params: dict) -> list[Output]:
    """Per request, one vector per row, rounded to 6 decimals: [rows][dimensions] (facts: the rows, vectors and
    norms); every request's rows embedded together."""
    row_lists = [rows_of(inputs) for inputs in inputs_list]
    vector_lists, _ = embed_rows(bundle, row_lists, params)
    return [Output(compute.rounded(vectors), facts=vector_facts(vectors, rows))
            for vectors, rows in zip(vector_lists, row_lists)]


def run(bundle, inputs: dict, params: dict) -> Output:
    """One vector per row, rounded to 6 decimals: [rows][dimensions] (facts: the rows, vectors and norms)."""
    return batch(bundle, [inputs], params)[0]


def code(ref, inputs: dict, params: dict, place) -> str:
    lines, _, _ = snippets.preamble(ref, inputs, params, place)
    lines += ["print(embeddings.shape)  # [rows, dimensions]", f"print({snippets.rounded_line('embeddings')})"]
    return "\n".join(lines) + "\n"


def summary(facts: dict, params: dict) -> str:
    """The line over the table, in the browser's language."""
    rows, norms = facts["rows"], facts["norms"]
    unit = bool(np.allclose(norms, 1.0, atol=1e-3))
    text = say(SUMMARY, rows=len(rows), dims=facts["vectors"].shape[1], pooling=params["pooling"],
               layer=params["layer"], unit=say(UNIT if unit else NOT_UNIT), low=norms.min(), high=norms.max())
    if len(rows) > PREVIEW_ROWS:
        text += say(FIRST_ROWS, n=PREVIEW_ROWS)
    return text


def build(ctx, shared=None) -> None:
    """The Vectors view: a summary, the first dimensions of each row, the downloads."""
    import gradio as gr

    from core.ui import wire
    from demos.embeddings._widgets import SHARED_VIEW_HINT, export, full_output, own_rows, preview_panels, row_fields

    shared, own = own_rows(ctx, TASK, shared)
    tr = ctx.tr
    text = gr.Markdown(elem_id="embed_summary")
    table = gr.Dataframe(headers=["#", "label", "text", "norm"], interactive=False, wrap=True,
                         label=tr("Vectors (first dimensions)"), elem_id="embed_table", max_height=420)
    files = gr.File(label=tr("Download the embeddings (.npy, .csv)"), file_count="multiple", interactive=False,
                    elem_id="embed_files")
    data = full_output(TASK)
    panels = preview_panels(ctx, TASK, SHARED_VIEW_HINT)

    def draw(facts: dict, params: dict) -> dict:
        """The summary, the table and (made on the page's follow-up, see core.ui.wire) the downloads."""
        rows, vectors, norms = facts["rows"], facts["vectors"], facts["norms"]
        dims = vectors.shape[1]
        shown = min(PREVIEW_DIMS, dims)
        values = [[i, r.label, r.text, round(float(norms[i]), 4), *[round(float(v), 4) for v in vectors[i, :shown]]]
                  for i, r in enumerate(rows[:PREVIEW_ROWS])]
        headers = ["#", "label", "text", "norm", *[f"d{j}" for j in range(shown)]]
        return {text: summary(facts, params), table: {"headers": headers, "data": values},
                files: lambda: export("embeddings", vectors, rows, [f"d{j}" for j in range(dims)])}

    def render(result) -> dict:
        return {**draw(result.facts, result.params), data: result.output}

    shared.views[TASK.id] = ([text, table, files], draw)
    wire(ctx, TASK, shared.runs[TASK.id].click, row_fields(shared), shared.model, render, panels,
         [text, table, files, data], later=[files])
    if own:
        shared.finish()


TASK = spec("embed", "Vectors", run, code, build,
            "One vector per sentence (or image): pooling, layer, L2 normalisation.",
            aliases=("feature-extraction",), cli_lines=True, batch=batch)
