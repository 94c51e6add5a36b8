"""text-classification (alias sentiment-analysis): labels with scores for a text, for each line of a batch,
or for a sentence pair (NLI, rerankers), through the transformers 5 pipeline."""

from __future__ import annotations

from typing import Any

from core.codegen import pipeline_code
from core.params import Choice, Int, Lines, Text
from core.registry import Loader, TaskSpec
from demos.text.common import one_or_many, reads_plain_text


def call_of(inputs: dict, params: dict) -> tuple[Any, dict]:
    """The pipeline's positional input and keyword arguments for this run (parsed values)."""
    texts, pair = inputs["text"], inputs["text_pair"].strip()
    items: Any = [{"text": t, "text_pair": pair} for t in texts] if pair else texts
    kwargs: dict[str, Any] = {"top_k": params["top_k"], "truncation": True}
    if params["function_to_apply"] != "default":
        kwargs["function_to_apply"] = params["function_to_apply"]
    if len(texts) > 1:
        kwargs["batch_size"] = params["batch_size"]
    return one_or_many(items), kwargs


def run(pipe, inputs: dict, params: dict) -> list:
    """Labels with scores, best first: a list for one text, a list of lists for several lines."""
    items, kwargs = call_of(inputs, params)
    return pipe(items, **kwargs)


def code(ref, inputs: dict, params: dict, place) -> str:
    items, kwargs = call_of(inputs, params)
    return pipeline_code("text-classification", ref, place, [items], kwargs)


def _as_rows(output: Any) -> list[list[dict]]:
    """One result (list of dicts) or a batch (list of lists) as a list of results."""
    return [output] if output and isinstance(output[0], dict) else list(output)


EXAMPLES = [
    ["Hugging Face is the best thing since sliced bread!", ""],
    ["We are very happy to show you the 🤗 Transformers library.\nWe hope you don't hate it.", ""],
    ["이 영화 정말 재미있어요! 강력 추천합니다.", ""],
    ["A man is eating pasta.", "A man is eating food."],
]


def build(ctx) -> None:
    """Text boxes, the model picker and parameters on the left; label bars and a per-line table on the right."""
    import gradio as gr

    from core.ui import examples, label_scores, model_picker, result_panels, widgets, wire

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            fields = widgets(ctx, TASK, "text", "text_pair")
            model = model_picker(ctx, TASK)
            with gr.Row():
                fields |= widgets(ctx, TASK, "top_k", "function_to_apply", "batch_size")
            run_button = gr.Button(tr("Run"), variant="primary")
            examples(ctx, EXAMPLES, [fields["text"], fields["text_pair"]])
        with gr.Column(scale=2):
            label = gr.Label(label=tr("Labels"), elem_id="text_classification_label")
            table = gr.Dataframe(headers=["text", "label", "score"], label=tr("Per line"), visible=False,
                                 interactive=False, wrap=True, column_widths=["58%", "26%", "16%"],
                                 elem_id="text_classification_table")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        rows = _as_rows(result.output)
        table_rows = [[t, r[0]["label"], round(float(r[0]["score"]), 4)] for t, r in zip(result.inputs["text"], rows)]
        return {label: label_scores(rows[0]),
                table: gr.update(value=table_rows, visible=len(rows) > 1)}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [label, table], triggers=[fields["text"].submit])


TASK = TaskSpec(
    id="text-classification",
    title="Text classification",
    aliases=("sentiment-analysis",),
    loader=Loader.pipeline("text-classification"),
    default_model="distilbert/distilbert-base-uncased-finetuned-sst-2-english",
    models=(
        "nlptown/bert-base-multilingual-uncased-sentiment",
        "FacebookAI/roberta-large-mnli",
        "BAAI/bge-reranker-v2-m3",
    ),
    run=run,
    code=code,
    inputs=(
        Lines("text", label="Input text", help="One text per line runs them as one batch", required=True,
              max_items=256, max_chars=50_000),
        Text("text_pair", label="Second text (for sentence-pair models)", max_chars=10_000),
    ),
    params=(
        Int("top_k", 5, 1, 20, label="top_k", help="How many labels to show, best first"),
        Choice("function_to_apply", "default", ("default", "softmax", "sigmoid", "none"),
               help="How logits become scores; default: softmax for several labels, sigmoid for one"),
        Int("batch_size", 1, 1, 32, help="Lines per forward pass (several lines run as batches)"),
    ),
    architectures=("ForSequenceClassification",),
    fits=reads_plain_text,
    description="Sentiment and other labels for a text, or a score for a text pair (rerankers, NLI).",
    build=build,
)
