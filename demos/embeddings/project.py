"""project: the rows projected to 2D or 3D with PCA, t-SNE or UMAP, drawn as a map coloured by label (hover a
point to read its text). The model embeds the rows under its lock; the projection (seconds for thousands of
rows) runs after the lock is released (TaskSpec.postprocess), in a queue of its own.

The tab's Run button runs this task: one embedding fills the map, the similarity heatmap and the vectors.
"""

from __future__ import annotations

from dataclasses import replace

from core.codegen import call_args
from core.errors import UserError
from core.i18n import say
from core.params import Choice, Float, Int
from core.registry import Output
from demos.embeddings import compute, snippets
from demos.embeddings.common import EMBED_PARAMS, METRIC, embed_rows, similarity_facts, spec, vector_facts
from demos.embeddings.rows import rows_of

PROJECTION_QUEUE = {"concurrency_id": "embeddings_projection", "concurrency_limit": 1}
UNDER = "under 0.01 s"
SUMMARY = "**{name}** of {n} points to {dims}D took **{took}**"
EXPLAINED = " · explained variance {parts} = **{total:.1f}%** of the spread"
MAP_TITLE = "{name} map of {n} rows ({dims}D)"


def checked_rows(inputs: dict, params: dict) -> list:
    dims = int(params["dimensions"])
    rows = rows_of(inputs)
    if len(rows) < dims + 1:  # before the model runs
        raise UserError("bad_param", name="dimensions",
                        detail=f"a {dims}D map needs at least {dims + 1} rows ({len(rows)} given)")
    return rows


def run(bundle, inputs: dict, params: dict) -> Output:
    """The model's part: the rows' vectors [rows][dimensions] (numpy), under the model's lock; finish() then
    projects them without holding the model. Facts: the rows, vectors and norms (for the Vectors view).

    No `batch`: the map's runs wait in a queue of one (PROJECTION_QUEUE: a t-SNE or UMAP of thousands of rows
    at a time), so there are never concurrent requests to merge, and a batchable event's queue would be
    widened to --max-batch."""
    rows = checked_rows(inputs, params)
    [vectors], _ = embed_rows(bundle, [rows], params)
    return Output(vectors, facts=vector_facts(vectors, rows))


def finish(vectors, inputs: dict, params: dict) -> Output:
    """The rows projected: {"method", "dimensions", "points" [rows][dims], "explained_variance_ratio" (PCA),
    "parameters", "seconds"}; facts: the similarity matrix for the heatmap (from the same vectors)."""
    facts, notes = similarity_facts(vectors)
    return Output(compute.project(vectors, compute.projection_of(params)), notes=notes, facts=facts)


def code(ref, inputs: dict, params: dict, place) -> str:
    p = compute.projection_of(params)
    lines, _, rows = snippets.preamble(ref, inputs, params, place)
    fit = compute.fitted(p, len(rows))
    kwargs = compute.estimator_kwargs(fit, len(rows))
    notes = []
    if fit.perplexity != p.perplexity:
        notes.append(f"# perplexity {p.perplexity:g} lowered to {fit.perplexity:g}: it must stay well below the "
                     f"number of points ({len(rows)})")
    if fit.n_neighbors != p.n_neighbors:
        notes.append(f"# n_neighbors {p.n_neighbors} lowered to {fit.n_neighbors}: there are {len(rows)} points")
    X = "embeddings.numpy()"
    if p.method == "pca":
        lines += ["", "from sklearn.decomposition import PCA", "", f"pca = PCA({call_args(**kwargs)})",
                  f"points = pca.fit_transform({X})",
                  "print(\"explained variance ratio:\", [round(v, 6) for v in pca.explained_variance_ratio_.tolist()])"]
    elif p.method == "tsne":
        lines += ["", "from sklearn.manifold import TSNE", "", *notes,
                  f"points = TSNE({call_args(**kwargs)}).fit_transform({X})"]
    else:
        lines += ["", "import umap  # pip install umap-learn", "", *notes,
                  f"points = umap.UMAP({call_args(**kwargs)}).fit_transform({X})"]
    lines.append(f"print({snippets.rounded_line('points')})  # one row per point: x, y{', z' if p.dimensions == 3 else ''}")
    return "\n".join(lines) + "\n"


def summary(output: dict, n: int) -> str:
    """How long the projection took, its explained variance (PCA) and the knobs as used."""
    name = compute.METHOD_NAMES[output["method"]]
    seconds = output["seconds"]
    took = f"{seconds:.2f} s" if seconds >= 0.01 else say(UNDER)
    text = say(SUMMARY, name=name, n=n, dims=output["dimensions"], took=took)
    ratios = output.get("explained_variance_ratio")
    if ratios:
        text += say(EXPLAINED, parts=" + ".join(f"{100 * r:.1f}%" for r in ratios), total=100 * sum(ratios))
    used = {k: v for k, v in output.get("parameters", {}).items() if k in ("perplexity", "n_neighbors", "min_dist", "metric")}
    if used:
        text += " · " + ", ".join(f"{k}={v}" for k, v in used.items())
    return text


def build(ctx, shared=None) -> None:
    """The Map view: method and knobs, the map, the downloads. Its Run (the tab's) also fills the other views
    that share the rows, so it is wired once they exist."""
    import gradio as gr

    from core.ui import widget, widgets, wire
    from demos.embeddings import plots
    from demos.embeddings._widgets import export, full_output, once, own_rows, preview_panels, row_fields

    shared, own = own_rows(ctx, TASK, shared)
    with gr.Row():
        fields = widgets(ctx, TASK, "method", "dimensions", "seed")
    with gr.Row():
        fields |= {name: widget(ctx, TASK, name, visible=False)
                   for name in ("perplexity", "n_neighbors", "min_dist", "metric")}
    update = gr.Button(ctx.tr("Update map"), elem_id="project_update")
    text = gr.Markdown(elem_id="project_summary")
    plot = gr.Plot(label=ctx.tr("Map"), elem_id="project_plot")
    files = gr.File(label=ctx.tr("Download the projection (.npy, .csv)"), file_count="multiple", interactive=False,
                    elem_id="project_files")
    data = full_output(TASK)
    panels = preview_panels(ctx, TASK)

    def knobs(method):
        tsne, umap = method == "t-SNE", method == "UMAP"
        return (gr.update(visible=tsne), gr.update(visible=umap), gr.update(visible=umap),
                gr.update(visible=tsne or umap))

    fields["method"].change(knobs, [fields["method"]], [fields[n] for n in ("perplexity", "n_neighbors", "min_dist",
                                                                            "metric")],
                            api_visibility="private", queue=False)

    def wire_map() -> None:
        others = {task_id: view for task_id, view in shared.views.items() if task_id != TASK.id}

        def render(result) -> dict:
            output, facts = result.output, result.facts
            rows = facts["rows"]
            name = compute.METHOD_NAMES[output["method"]]
            title = say(MAP_TITLE, name=name, n=len(rows), dims=output["dimensions"])
            drawn = {text: summary(output, len(rows)), plot: plots.scatter(output, rows, title),
                     files: lambda: export("projection", output["points"], rows, plots.axis_names(output)),
                     data: output}
            for components, draw in others.values():  # the same embedding in the heatmap and the vectors, drawn
                view = once(draw, facts, result.params)  # on the page's follow-up (views not in sight)
                drawn |= {c: (lambda c=c, view=view: view()[c]) for c in components}
            return drawn

        elsewhere = [c for components, _ in others.values() for c in components]
        wire(ctx, TASK, shared.runs[TASK.id].click, {**row_fields(shared), **fields}, shared.model, render, panels,
             [text, plot, files, data, *elsewhere], triggers=[update.click], later=[files, *elsewhere],
             **PROJECTION_QUEUE)

    shared.later.append(wire_map)
    if own:
        shared.finish()


TASK = spec(
    "project", "Map", run, code, build, "The rows projected to 2D or 3D with PCA, t-SNE or UMAP.",
    params=(
        *EMBED_PARAMS,
        Choice("method", "PCA", tuple(compute.METHOD_NAMES.values()),
               synonyms=(("tsne", "t-SNE"), ("t_sne", "t-SNE")), widget=(("component", "radio"),),
               help="PCA is instant and linear; t-SNE and UMAP keep neighbours together (slower)"),
        Choice("dimensions", "2", ("2", "3"), widget=(("component", "radio"),)),
        Int("seed", 0, 0, 2**31 - 1, help="Same seed, same map", widget=(("component", "number"),)),
        Float("perplexity", 30.0, 2.0, 100.0, step=1.0,
              help="t-SNE: about how many neighbours each point cares for (kept below the number of rows)"),
        Int("n_neighbors", 15, 2, 100, help="UMAP: larger = more global structure"),
        Float("min_dist", 0.1, 0.0, 1.0, step=0.05, help="UMAP: how tightly points may pack"),
        replace(METRIC, help="t-SNE and UMAP: distance between vectors"),
    ),
    postprocess=finish,
)
