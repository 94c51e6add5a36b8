"""The Embeddings tab's widgets: one shared input (sentences, upload, images, model, pooling, layer,
normalisation) and the views in sub-tabs: Map (project), Similarity, Neighbours, Vectors (embed), Tokens &
attention. The main Run button computes the embedding once (cached) and fills the map, the heatmap and the
vectors; the neighbours and the token view have their own buttons."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from core.files import fresh_dir
from core.i18n import language_of, say, speaking
from core.ui import Context, Panels, examples, model_picker, result_panels, wire
from demos.embeddings import compute, plots
from demos.embeddings.inputs import IMAGES, PLACEHOLDER, SENTENCES, UPLOAD, read_rows
from demos.embeddings.labels import (
    ATTENTION_EXAMPLES,
    EXAMPLE_ENGLISH,
    EXAMPLE_KOREAN,
    EXAMPLE_NOTES,
    EXAMPLE_PARAPHRASES,
    INTRO,
    POOLING_INFO,
)
from demos.embeddings.tasks import ATTENTION, EMBED, NEIGHBORS, PROJECT, SIMILARITY

KEEP_SECONDS = 6 * 3600
PREVIEW_ROWS, PREVIEW_DIMS = 200, 6
PROJECTION_QUEUE = {"concurrency_id": "embeddings_projection", "concurrency_limit": 1}


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


def preview_panels(ctx: Context, task) -> PreviewPanels:
    made = result_panels(ctx, task)
    return PreviewPanels(made.notes, made.raw, made.code, made.details)


def full_output(task) -> gr.JSON:
    """The whole output for API clients (the raw panel may show a preview): hidden, so never drawn."""
    return gr.JSON(visible=False, label="Full output (for API clients)", elem_id=f"{task.api_name}_data")


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


# ---- renderers --------------------------------------------------------------------------------------------
# texts made when a result is shown, in the browser's language (core.i18n.say; Korean in KOREAN at the end)
EMBED_SUMMARY = ("**{rows} vectors × {dims} dimensions** · pooling `{pooling}` · layer `{layer}` · {unit}"
                 " · norms {low:.3f}–{high:.3f}")
UNIT = "unit length (L2-normalised)"
NOT_UNIT = "not normalised"
FIRST_ROWS = " · the table shows the first {n} rows; the downloads have all of them"
SIMILARITY_TITLE = "Cosine similarity of {n} rows"
UNDER = "under 0.01 s"
PROJECT_SUMMARY = "**{name}** of {n} points to {dims}D took **{took}**"
EXPLAINED = " · explained variance {parts} = **{total:.1f}%** of the spread"
MAP_TITLE = "{name} map of {n} rows ({dims}D)"
NEAREST = "Nearest to **{query}** by {score}"
ATTENTION_NOTE = "{tokens} tokens · {layers} layers × {heads} heads"
CUT_AT = " · cut at {n} tokens"
NORMS_TITLE = "Hidden-state norm of each token after each layer"
ALL_HEADS = "all heads"
MEAN_HEADS = "mean of heads"
HEAD_N = "head {head}"
ATTENTION_TITLE = "Attention weights, layer {layer} ({which})"


def render_embed(c: dict):
    def render(output, inputs, params):
        rows = read_rows(inputs)
        data = np.asarray(output, dtype=np.float32)
        norms = np.linalg.norm(data, axis=1)
        dims = data.shape[1]
        shown = min(PREVIEW_DIMS, dims)
        table = [[i, r.label, r.text, round(float(norms[i]), 4), *[round(float(v), 4) for v in data[i, :shown]]]
                 for i, r in enumerate(rows[:PREVIEW_ROWS])]
        unit = bool(np.allclose(norms, 1.0, atol=1e-3))
        summary = say(EMBED_SUMMARY, rows=len(rows), dims=dims, pooling=params.get("pooling", "auto"),
                      layer=params.get("layer", -1), unit=say(UNIT if unit else NOT_UNIT), low=norms.min(),
                      high=norms.max())
        if len(rows) > PREVIEW_ROWS:
            summary += say(FIRST_ROWS, n=PREVIEW_ROWS)
        headers = ["#", "label", "text", "norm", *[f"d{j}" for j in range(shown)]]
        return {c["summary"]: summary, c["table"]: gr.update(value=table, headers=headers),
                c["files"]: export("embeddings", output, rows, [f"d{j}" for j in range(dims)]), c["data"]: output}

    return render


def render_similarity(c: dict):
    def render(output, inputs, params):
        rows = read_rows(inputs)
        return {c["plot"]: plots.heatmap(output, rows, say(SIMILARITY_TITLE, n=len(rows))), c["data"]: output}

    return render


def project_summary(output: dict, n: int) -> str:
    name = compute.METHOD_NAMES[output["method"]]
    seconds = output["seconds"]
    took = f"{seconds:.2f} s" if seconds >= 0.01 else say(UNDER)
    text = say(PROJECT_SUMMARY, name=name, n=n, dims=output["dimensions"], took=took)
    ratios = output.get("explained_variance_ratio")
    if ratios:
        parts = " + ".join(f"{100 * r:.1f}%" for r in ratios)
        text += say(EXPLAINED, parts=parts, total=100 * sum(ratios))
    used = {k: v for k, v in output.get("parameters", {}).items() if k in ("perplexity", "n_neighbors", "min_dist", "metric")}
    if used:
        text += " · " + ", ".join(f"{k}={v}" for k, v in used.items())
    return text


def render_project(c: dict):
    def render(output, inputs, params):
        rows = read_rows(inputs)
        name = compute.METHOD_NAMES[output["method"]]
        title = say(MAP_TITLE, name=name, n=len(rows), dims=output["dimensions"])
        axes = plots.axis_names(output)
        return {c["summary"]: project_summary(output, len(rows)), c["plot"]: plots.scatter(output, rows, title),
                c["files"]: export("projection", output["points"], rows, axes), c["data"]: output}

    return render


def render_neighbors(c: dict):
    def render(output, inputs, params):
        score = "cosine" if output["metric"] == "cosine" else "distance"
        table = [[n["rank"], round(n["score"], 4), n["label"], n["text"], n["index"]] for n in output["neighbors"]]
        return {c["table"]: gr.update(value=table, headers=["rank", score, "label", "text", "#"]),
                c["note"]: say(NEAREST, query=output["query"], score=output["score"]), c["data"]: output}

    return render


def render_attention(c: dict):
    def render(output, inputs, params):
        layers, heads = output["layers"], output["heads"]
        note = say(ATTENTION_NOTE, tokens=len(output["tokens"]), layers=layers, heads=heads)
        if output.get("truncated"):
            note += say(CUT_AT, n=compute.MAX_TOKENS)
        return {
            c["norms"]: plots.norms(output, say(NORMS_TITLE)),
            c["plot"]: plots.attention(output, layers, "all", attention_title(layers, "all")),
            c["layer"]: gr.update(minimum=1, maximum=layers, value=layers, interactive=True),
            c["head"]: gr.update(choices=plots.head_choices(heads), value="all", interactive=True),
            c["state"]: output,
            c["note"]: note,
            c["data"]: output,
        }

    return render


ALL_HEADS_HINT = "rows = query token (attending), columns = key token (attended to); pick one head to read the tokens"


def attention_title(layer: int, head) -> str:
    which = say({"all": ALL_HEADS, "mean": MEAN_HEADS}.get(str(head), HEAD_N), head=head)
    title = say(ATTENTION_TITLE, layer=int(layer), which=which)
    return f"{title}<br><sup>{say(ALL_HEADS_HINT)}</sup>" if str(head) == "all" else title


def redraw_attention(output, layer, head, request: gr.Request = None):
    if not output:
        return gr.skip()
    with speaking(language_of(request), KOREAN):  # the title follows the browser, like the first drawing
        title = attention_title(layer, head)
    return plots.attention(output, int(layer), head, title)


# ---- wiring ------------------------------------------------------------------------------------------------
def embedding_controls(ctx: Context) -> dict:
    """pooling, layer, normalize, batch_size (labels are the parameter names)."""
    tr = ctx.tr
    pooling = gr.Dropdown(list(compute.POOLINGS), value="auto", label="pooling", info=tr(POOLING_INFO),
                          elem_id="embeddings_pooling")
    with gr.Row():
        layer = gr.Number(value=-1, precision=0, label="layer", elem_id="embeddings_layer",
                          info=tr("-1 = last (last_hidden_state), 0 = the embedding layer, k = after layer k"))
        batch = gr.Slider(1, 128, value=32, step=1, label="batch_size", info=tr("Rows per forward pass"))
    normalize = gr.Checkbox(value=False, label="normalize", elem_id="embeddings_normalize",
                            info=tr("L2 normalisation: every vector gets length 1 (cosine = dot product)"))
    return {"pooling": pooling, "layer": layer, "normalize": normalize, "batch_size": batch}


def build(ctx: Context) -> None:
    tr = ctx.tr
    gr.Markdown(tr(INTRO))
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(label=tr(SENTENCES), lines=10, max_lines=24, value=EXAMPLE_ENGLISH,
                              placeholder=tr(PLACEHOLDER), elem_id="embeddings_text",
                              info=tr("One per line; 'label | text' colours the points by label"))
            with gr.Row():
                file = gr.File(label=tr(UPLOAD), file_types=[".csv", ".tsv", ".txt"], type="filepath", height=160,
                               elem_id="embeddings_file")
                images = gr.File(label=tr(IMAGES), file_count="multiple", file_types=["image"], type="filepath",
                                 height=160, elem_id="embeddings_images")
            gr.Markdown(tr("CSV: a header row, a *text* column (or the first column) and an optional *label* "
                           "column; an upload replaces the typed lines. Images need an image model or CLIP "
                           "(CLIP puts texts and images in one space)."), elem_classes=["embeddings-help"])
        with gr.Column(scale=2):
            model = model_picker(ctx, EMBED)
            settings = embedding_controls(ctx)
            run = gr.Button(tr("Run"), variant="primary", elem_id="embeddings_run")
    examples(ctx, [[EXAMPLE_ENGLISH], [EXAMPLE_KOREAN], [EXAMPLE_NOTES], [EXAMPLE_PARAPHRASES]], [text])
    rows_fields = {"text": text, "file": file, "images": images, **settings}

    with gr.Tabs():
        with gr.Tab(tr("Map"), id="project", elem_id="task_project"):
            build_project(ctx, run, rows_fields, model)
        with gr.Tab(tr("Similarity"), id="similarity", elem_id="task_similarity"):
            build_similarity(ctx, run, rows_fields, model)
        with gr.Tab(tr("Neighbours"), id="neighbors", elem_id="task_neighbors"):
            build_neighbors(ctx, rows_fields, model)
        with gr.Tab(tr("Vectors"), id="embed", elem_id="task_embed"):
            build_embed(ctx, run, rows_fields, model)
        with gr.Tab(tr("Tokens & attention"), id="attention", elem_id="task_attention"):
            build_attention(ctx, model)


def build_project(ctx: Context, run, rows_fields: dict, model) -> None:
    tr = ctx.tr
    with gr.Row():
        method = gr.Radio([("PCA", "pca"), ("t-SNE", "tsne"), ("UMAP", "umap")], value="pca", label="method",
                          info=tr("PCA is instant and linear; t-SNE and UMAP keep neighbours together (slower)"),
                          elem_id="project_method")
        dims = gr.Radio([2, 3], value=2, label="dimensions", elem_id="project_dimensions")
        seed = gr.Number(value=0, precision=0, label="seed", info=tr("Same seed, same map"))
    with gr.Row():
        perplexity = gr.Slider(2, 100, value=30, step=1, label="perplexity", visible=False,
                               info=tr("t-SNE: about how many neighbours each point cares for (kept below the number of rows)"))
        n_neighbors = gr.Slider(2, 100, value=15, step=1, label="n_neighbors", visible=False,
                                info=tr("UMAP: larger = more global structure"))
        min_dist = gr.Slider(0.0, 1.0, value=0.1, step=0.05, label="min_dist", visible=False,
                             info=tr("UMAP: how tightly points may pack"))
        metric = gr.Radio(["cosine", "euclidean"], value="cosine", label="metric", visible=False,
                          info=tr("t-SNE and UMAP: distance between vectors"))
    update = gr.Button(tr("Update map"), elem_id="project_update")
    summary = gr.Markdown(elem_id="project_summary")
    plot = gr.Plot(label=tr("Map"), elem_id="project_plot")
    files = gr.File(label=tr("Download the projection (.npy, .csv)"), file_count="multiple", interactive=False,
                    elem_id="project_files")
    data = full_output(PROJECT)
    panels = preview_panels(ctx, PROJECT)

    def knobs(choice):
        return (gr.update(visible=choice == "tsne"), gr.update(visible=choice == "umap"),
                gr.update(visible=choice == "umap"), gr.update(visible=choice in ("tsne", "umap")))

    method.change(knobs, [method], [perplexity, n_neighbors, min_dist, metric], api_visibility="private",
                  queue=False)
    c = {"summary": summary, "plot": plot, "files": files, "data": data}
    fields = {**rows_fields, "method": method, "dimensions": dims, "seed": seed, "perplexity": perplexity,
              "n_neighbors": n_neighbors, "min_dist": min_dist, "metric": metric}
    wire(ctx, PROJECT, run.click, fields, model, render_project(c), panels, [summary, plot, files, data],
         triggers=[update.click], **PROJECTION_QUEUE)


def build_similarity(ctx: Context, run, rows_fields: dict, model) -> None:
    tr = ctx.tr
    gr.Markdown(tr("Cosine similarity of every pair of rows: 1 = same direction, 0 = unrelated. "
                   "Hover a cell to read both sentences."))
    plot = gr.Plot(label=tr("Similarity heatmap"), elem_id="similarity_plot")
    data = full_output(SIMILARITY)
    panels = preview_panels(ctx, SIMILARITY)
    wire(ctx, SIMILARITY, run.click, dict(rows_fields), model, render_similarity({"plot": plot, "data": data}), panels,
         [plot, data])


def build_neighbors(ctx: Context, rows_fields: dict, model) -> None:
    tr = ctx.tr
    with gr.Row():
        query = gr.Textbox(label=tr("Query"), value="A cat is sleeping.", scale=3, elem_id="neighbors_query",
                           info=tr("Its nearest rows (embedded the same way) are listed with their scores"))
        metric = gr.Radio(["cosine", "euclidean"], value="cosine", label="metric", scale=1)
        top_k = gr.Slider(1, 50, value=5, step=1, label="top_k", scale=1)
    find = gr.Button(tr("Find neighbours"), variant="primary", elem_id="neighbors_run")
    examples(ctx, [["A cat is sleeping."], ["Prices are going down."], ["고양이가 자고 있다."]], [query])
    note = gr.Markdown(elem_id="neighbors_note")
    table = gr.Dataframe(headers=["rank", "cosine", "label", "text", "#"], interactive=False, wrap=True,
                         label=tr("Nearest rows"), elem_id="neighbors_table",
                         column_widths=["8%", "12%", "14%", "58%", "8%"])
    data = full_output(NEIGHBORS)
    panels = preview_panels(ctx, NEIGHBORS)
    fields = {**rows_fields, "query": query, "metric": metric, "top_k": top_k}
    wire(ctx, NEIGHBORS, find.click, fields, model, render_neighbors({"table": table, "note": note, "data": data}),
         panels, [table, note, data], triggers=[query.submit])


def build_embed(ctx: Context, run, rows_fields: dict, model) -> None:
    tr = ctx.tr
    summary = gr.Markdown(elem_id="embed_summary")
    table = gr.Dataframe(headers=["#", "label", "text", "norm"], interactive=False, wrap=True,
                         label=tr("Vectors (first dimensions)"), elem_id="embed_table", max_height=420)
    files = gr.File(label=tr("Download the embeddings (.npy, .csv)"), file_count="multiple", interactive=False,
                    elem_id="embed_files")
    data = full_output(EMBED)
    panels = preview_panels(ctx, EMBED)
    c = {"summary": summary, "table": table, "files": files, "data": data}
    wire(ctx, EMBED, run.click, dict(rows_fields), model, render_embed(c), panels, [summary, table, files, data])


def build_attention(ctx: Context, model) -> None:
    tr = ctx.tr
    with gr.Row():
        sentence = gr.Textbox(label=tr("Sentence"), value="I am a boy.", scale=4, elem_id="attention_sentence",
                              info=tr("One sentence; uses the model picked above (a text or CLIP model)"))
        show = gr.Button(tr("Show tokens"), variant="primary", scale=1, elem_id="attention_run")
    examples(ctx, [[s] for s in ATTENTION_EXAMPLES], [sentence])
    note = gr.Markdown(elem_id="attention_note")
    norms = gr.Plot(label=tr("Hidden-state norms"), elem_id="attention_norms")
    with gr.Row():
        layer = gr.Slider(1, 12, value=12, step=1, label=tr("Layer"), interactive=False, elem_id="attention_layer")
        head = gr.Dropdown(plots.head_choices(12), value="all", label=tr("Head"), interactive=False,
                           elem_id="attention_head")
    plot = gr.Plot(label=tr("Attention weights"), elem_id="attention_plot")
    state = gr.State(None)
    data = full_output(ATTENTION)
    panels = preview_panels(ctx, ATTENTION)
    c = {"norms": norms, "plot": plot, "layer": layer, "head": head, "state": state, "note": note, "data": data}
    wire(ctx, ATTENTION, show.click, {"sentence": sentence}, model, render_attention(c), panels,
         [norms, plot, layer, head, state, note, data], triggers=[sentence.submit])
    for control in (layer, head):
        control.input(redraw_attention, [state, layer, head], [plot], api_visibility="private",
                      show_progress="minimal")


KOREAN = {
    EMBED_SUMMARY: "**벡터 {rows}개 × {dims}차원** · pooling `{pooling}` · layer `{layer}` · {unit}"
                   " · 노름 {low:.3f}–{high:.3f}",
    UNIT: "단위 길이 (L2 정규화됨)",
    NOT_UNIT: "정규화되지 않음",
    FIRST_ROWS: " · 표에는 처음 {n}행만 보입니다; 내려받은 파일에는 모두 있습니다",
    SIMILARITY_TITLE: "{n}행의 코사인 유사도",
    UNDER: "0.01초 미만",
    PROJECT_SUMMARY: "점 {n}개를 **{name}**(으)로 {dims}D에 투영하는 데 **{took}** 걸렸습니다",
    EXPLAINED: " · 설명된 분산 {parts} = 전체 퍼짐의 **{total:.1f}%**",
    MAP_TITLE: "{n}행의 {name} 지도 ({dims}D)",
    NEAREST: "**{query}**에 가장 가까운 것 ({score} 기준)",
    ATTENTION_NOTE: "토큰 {tokens}개 · 레이어 {layers}개 × 헤드 {heads}개",
    CUT_AT: " · {n} 토큰에서 자름",
    NORMS_TITLE: "레이어마다 각 토큰의 은닉 상태 노름",
    ALL_HEADS: "모든 헤드",
    MEAN_HEADS: "헤드 평균",
    HEAD_N: "헤드 {head}",
    ATTENTION_TITLE: "어텐션 가중치, 레이어 {layer} ({which})",
    ALL_HEADS_HINT: "행 = 쿼리 토큰 (주의를 주는 쪽), 열 = 키 토큰 (주의를 받는 쪽); 토큰을 읽으려면 헤드 하나를 고르세요",
}
