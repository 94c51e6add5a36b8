"""neighbors: the rows nearest to a query text, embedded the same way as the rows (cosine similarity, higher is
nearer, or euclidean distance, lower is nearer)."""

from __future__ import annotations

from core.codegen import py
from core.errors import UserError
from core.i18n import say
from core.params import Int, Text
from demos.embeddings import compute, snippets
from demos.embeddings.common import EMBED_PARAMS, METRIC, embed_rows, spec
from demos.embeddings.rows import ROW_INPUTS, Row, rows_of

NEAREST = "Nearest to **{query}** by {score}"
QUERIES = [["A cat is sleeping."], ["Prices are going down."], ["고양이가 자고 있다."]]


def batch(bundle, inputs_list: list[dict], params: dict) -> list[dict]:
    """run's result per request: every request's rows and query embedded together (the query last)."""
    model = bundle.model
    plan = compute.plan_of_model(model, compute.options_of(params))
    row_lists = [rows_of(inputs) for inputs in inputs_list]
    for rows in row_lists:
        compute.check_rows(plan, rows, model)
    if plan.space == "image":
        raise UserError("bad_param", name="query", detail=f"{type(model).__name__} reads images only: "
                                                          "a text query needs a text or CLIP model")
    queries = [inputs["query"].strip() for inputs in inputs_list]
    vector_lists, _ = embed_rows(bundle, [[*rows, Row(q)] for rows, q in zip(row_lists, queries)], params)
    metric = params["metric"]
    results = []
    for vectors, rows, query in zip(vector_lists, row_lists, queries):
        hits = compute.nearest(vectors[:-1], vectors[-1], metric, params["top_k"])
        results.append({
            "query": query,
            "metric": metric,
            "score": "cosine similarity (higher is nearer)" if metric == "cosine"
            else "euclidean distance (lower is nearer)",
            "neighbors": [{"rank": rank, "index": i, "text": rows[i].text, "label": rows[i].label,
                           "kind": rows[i].kind, "score": round(score, 6)} for rank, (i, score) in enumerate(hits, 1)],
        })
    return results


def run(bundle, inputs: dict, params: dict) -> dict:
    """{"query", "metric", "score", "neighbors": [{"rank", "index", "text", "label", "kind", "score"}]}."""
    return batch(bundle, [inputs], params)[0]


def code(ref, inputs: dict, params: dict, place) -> str:
    metric, k = params["metric"], params["top_k"]
    lines, plan, rows = snippets.preamble(ref, inputs, params, place)
    embed_call = "embed_texts" if plan.space == "joint" else "embed"
    lines += [snippets.names_line(rows), "", f"query = {py(inputs['query'].strip())}",
              f"query_vector = {embed_call}([query])"]
    if plan.normalize:
        lines.append("query_vector = torch.nn.functional.normalize(query_vector, p=2, dim=-1)")
    if metric == "cosine":
        lines += ["scores = torch.nn.functional.cosine_similarity(embeddings, query_vector)  # higher is nearer",
                  f"nearest = scores.argsort(descending=True, stable=True)[:{k}]"]
    else:
        lines += ["scores = (embeddings - query_vector).norm(dim=-1)  # euclidean distance: lower is nearer",
                  f"nearest = scores.argsort(stable=True)[:{k}]"]
    lines += ["for rank, i in enumerate(nearest.tolist(), 1):",
              "    print(rank, i, round(float(scores[i]), 6), names[i])"]
    return "\n".join(lines) + "\n"


def build(ctx, shared=None) -> None:
    """The Neighbours view: the query, metric and top_k, its own button, the nearest rows."""
    import gradio as gr

    from core.ui import examples, widget, wire
    from demos.embeddings._widgets import full_output, own_rows, preview_panels, row_fields

    shared, own = own_rows(ctx, TASK, shared)
    with gr.Row():
        fields = {"query": widget(ctx, TASK, "query", scale=3), "metric": widget(ctx, TASK, "metric", scale=1),
                  "top_k": widget(ctx, TASK, "top_k", scale=1)}
    find = gr.Button(ctx.tr("Find neighbours"), variant="primary", elem_id="neighbors_run")
    examples(ctx, QUERIES, [fields["query"]])
    note = gr.Markdown(elem_id="neighbors_note")
    table = gr.Dataframe(headers=["rank", "cosine", "label", "text", "#"], interactive=False, wrap=True,
                         label=ctx.tr("Nearest rows"), elem_id="neighbors_table",
                         column_widths=["8%", "12%", "14%", "58%", "8%"])
    data = full_output(TASK)
    panels = preview_panels(ctx, TASK)

    def render(result) -> dict:
        output = result.output
        score = "cosine" if output["metric"] == "cosine" else "distance"
        values = [[n["rank"], round(n["score"], 4), n["label"], n["text"], n["index"]] for n in output["neighbors"]]
        return {table: {"headers": ["rank", score, "label", "text", "#"], "data": values},  # (wire translates them)
                note: say(NEAREST, query=output["query"], score=say(output["score"])), data: output}

    wire(ctx, TASK, find.click, {**row_fields(shared), **fields}, shared.model, render, panels, [table, note, data],
         triggers=[fields["query"].submit])
    if own:
        shared.finish()


TASK = spec(
    "neighbors", "Neighbours", run, code, build, "The rows nearest to a query (cosine or euclidean).",
    inputs=(*ROW_INPUTS, Text("query", "A cat is sleeping.", label="Query", max_chars=10_000, required=True,
                              help="Its nearest rows (embedded the same way) are listed with their scores")),
    params=(*EMBED_PARAMS, METRIC, Int("top_k", 5, 1, 50, help="How many rows to list, nearest first")),
    batch=batch,
)
