"""Embeddings tab: sentences (or images) become vectors you can see: where they land on a 2D/3D map (PCA,
t-SNE, UMAP), which are close (cosine similarity heatmap, nearest neighbours), and, for one sentence, what each
layer and attention head does. Any transformers model; CLIP puts texts and images in one space.

One file per task (embed, similarity, project, neighbors, attention), named by its id; shared pieces: rows (the
row fields: typed lines, uploads, images), compute (embeddings, pooling and the views' maths), common (the
loader, models, embedding parameters), snippets (the Code panels' embedding lines), plots (plotly figures),
examples, and _widgets (gradio, imported only when the tab is built; the leading _ keeps task_modules
from importing it).

The tab is built around one shared input (the rows, the model, the embedding parameters) over the sub-tabs, so
it has its own build: the shared input, then each task's build(ctx, shared) in a sub-tab.
"""

from __future__ import annotations

from core.registry import TabSpec, task_modules

# sub-tab order (a task file not named here comes last)
ORDER = ("project", "similarity", "neighbors", "embed", "attention")

TASKS = task_modules(__name__, ORDER)


def build(ctx) -> None:
    """The shared row input, then one sub-tab per task; picking a sub-tab shows its Run button (the Map's for
    the views without one of their own)."""
    import gradio as gr

    from demos.embeddings._widgets import rows_panel

    shared = rows_panel(ctx, list(TASKS))
    buttons = list(shared.runs.values())
    with gr.Tabs(overflow_behavior="wrap"):  # every sub-tab stays visible: no "more tabs" menu
        for task in TASKS:
            with gr.Tab(ctx.tr(task.title), id=task.id, elem_id=f"task_{task.api_name}") as tab:
                task.build(ctx, shared)
            tab.select(shared.run_visibility(task.id), None, buttons, api_visibility="private", queue=False)
    shared.finish()


SPEC = TabSpec(id="embeddings", title="Embeddings", order=60, tasks=TASKS, build=build)
