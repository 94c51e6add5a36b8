"""similarity (alias sentence-similarity): the cosine similarity of every pair of rows, drawn as a heatmap (hover
a cell to read both texts). The CLI prints one matrix row per line."""

from __future__ import annotations

from core.errors import UserError
from core.i18n import say
from core.registry import Output
from demos.embeddings import compute, snippets
from demos.embeddings.common import MAX_SIMILARITY, embed_rows, spec
from demos.embeddings.rows import rows_of

TITLE = "Cosine similarity of {n} rows"


def checked_rows(inputs: dict) -> list:
    rows = rows_of(inputs)
    if len(rows) > MAX_SIMILARITY:
        raise UserError("too_large", what="Similarity heatmap",
                        detail=f"{len(rows)} rows; it shows at most {MAX_SIMILARITY} (the map and the neighbours "
                               "take every row)")
    return rows


def batch(bundle, inputs_list: list[dict], params: dict) -> list[Output]:
    """Per request, the cosine similarity matrix of its rows (every request's rows embedded together)."""
    row_lists = [checked_rows(inputs) for inputs in inputs_list]
    vector_lists, _ = embed_rows(bundle, row_lists, params)
    results = []
    for vectors, rows in zip(vector_lists, row_lists):
        matrix = compute.rounded(compute.cosine_matrix(vectors))
        results.append(Output(matrix, facts={"rows": rows, "similarity": matrix}))
    return results


def run(bundle, inputs: dict, params: dict) -> Output:
    """The cosine similarity matrix of the rows: [rows][rows], 1 on the diagonal (facts: the rows, the matrix)."""
    return batch(bundle, [inputs], params)[0]


def code(ref, inputs: dict, params: dict, place) -> str:
    lines, _, _ = snippets.preamble(ref, inputs, params, place)
    lines += ["unit = torch.nn.functional.normalize(embeddings, p=2, dim=-1)",
              "similarity = (unit @ unit.T).clamp(-1, 1)  # cosine similarity of every pair",
              f"print({snippets.rounded_line('similarity')})"]
    return "\n".join(lines) + "\n"


def build(ctx, shared=None) -> None:
    """The Similarity view: the heatmap (the Map's Run fills it too, from the same embedding)."""
    import gradio as gr

    from core.ui import wire
    from demos.embeddings import plots
    from demos.embeddings._widgets import SHARED_VIEW_HINT, full_output, own_rows, preview_panels, row_fields

    shared, own = own_rows(ctx, TASK, shared)
    gr.Markdown(ctx.tr("Cosine similarity of every pair of rows: 1 = same direction, 0 = unrelated. "
                       "Hover a cell to read both sentences."))
    plot = gr.Plot(label=ctx.tr("Similarity heatmap"), elem_id="similarity_plot")
    data = full_output(TASK)
    panels = preview_panels(ctx, TASK, SHARED_VIEW_HINT)

    def draw(facts: dict, params: dict) -> dict:
        matrix, rows = facts["similarity"], facts["rows"]
        if matrix is None:  # too many rows for a heatmap (the run's notes say so)
            return {plot: None}
        return {plot: plots.heatmap(matrix, rows, say(TITLE, n=len(rows)))}

    def render(result) -> dict:
        return {**draw(result.facts, result.params), data: result.output}

    shared.views[TASK.id] = ([plot], draw)
    wire(ctx, TASK, shared.runs[TASK.id].click, row_fields(shared), shared.model, render, panels, [plot, data])
    if own:
        shared.finish()


TASK = spec("similarity", "Similarity", run, code, build, "Cosine similarity of every pair of rows.",
            aliases=("sentence-similarity",), cli_lines=True, batch=batch)
