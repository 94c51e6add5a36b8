"""Embeddings tab: sentences (or images) become vectors you can see: where they land on a 2D/3D map (PCA,
t-SNE, UMAP), which are close (cosine similarity heatmap, nearest neighbours), and, for one sentence, what each
layer and attention head does. Any transformers model; CLIP puts texts and images in one space.

inputs: the rows (typed 'label | text' lines, CSV/TXT uploads, images) · compute: embeddings, pooling, the
shared cache and every view's maths · tasks: the TaskSpecs · snippets: the code panels · plots: plotly
figures · labels: Korean text · ui: the gradio widgets (imported only when the tab is built).
"""

from __future__ import annotations

from core.registry import TabSpec
from demos.embeddings.labels import KOREAN
from demos.embeddings.tasks import TASKS


def build(ctx) -> None:
    from demos.embeddings.ui import KOREAN as RESULT_KOREAN
    from demos.embeddings.ui import build as build_tab

    ctx.tr.add_korean(RESULT_KOREAN)  # the texts results show (core.i18n.say), read when a result is drawn
    build_tab(ctx)


SPEC = TabSpec(id="embeddings", title="Embeddings", order=60, tasks=TASKS, build=build, korean=KOREAN)
