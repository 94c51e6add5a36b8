"""text-classification (alias sentiment-analysis): labels with scores for a text, for each line of a batch,
or for a sentence pair (NLI, rerankers), through the transformers 5 pipeline."""

from __future__ import annotations

from typing import Any

from core.codegen import pipeline_code
from core.params import Choice, Int, Lines, Text
from core.registry import Loader, TaskSpec
from demos.text.common import config_labels, one_or_many, reads_plain_text


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


# examples by the kind of model: an NLI model answers entailment/neutral/contradiction for a sentence pair (a
# sentiment sentence alone gets a meaningless "contradiction"), a reranker (one label) scores query/passage
# pairs, anything else (sentiment, topics...) labels single texts
SINGLE_EXAMPLES = [
    ["Hugging Face is the best thing since sliced bread!", ""],
    ["We are very happy to show you the 🤗 Transformers library.\nWe hope you don't hate it.", ""],
    ["이 영화 정말 재미있어요! 강력 추천합니다.", ""],
]
NLI_EXAMPLES = [
    ["A man is eating pasta.", "A man is eating food."],
    ["A soccer game with multiple males playing.", "Some men are playing a sport."],
    ["A black race car starts up in front of a crowd of people.", "A man is driving down a lonely road."],
    ["한 남자가 파스타를 먹고 있다.", "한 남자가 음식을 먹고 있다."],
]
RERANK_EXAMPLES = [
    ["What is the capital of France?", "Paris is the capital and largest city of France."],
    ["What is the capital of France?", "The stock market crashed today."],
    ["판다는 무엇을 먹나요?", "자이언트 판다는 주로 대나무를 먹는다."],
]
KNOWN_LABELS = {  # curated Hub models, for when their config is not at hand
    "FacebookAI/roberta-large-mnli": ("CONTRADICTION", "NEUTRAL", "ENTAILMENT"),
    "BAAI/bge-reranker-v2-m3": ("LABEL_0",),
}


def example_rows(labels: tuple[str, ...]) -> list[list[str]]:
    """The examples that fit a model with these labels (config.id2label; empty when unknown)."""
    lowered = {str(label).lower() for label in labels}
    if {"entailment", "contradiction"} & lowered:
        return NLI_EXAMPLES
    if len(labels) == 1:
        return RERANK_EXAMPLES
    return SINGLE_EXAMPLES


def labels_of(models, model_id: str) -> tuple[str, ...]:
    """A model's labels without loading it (see demos.text.common.config_labels), the curated list's as a
    fallback."""
    return config_labels(models, model_id, KNOWN_LABELS)


def build(ctx) -> None:
    """Text boxes, the model picker and parameters on the left; label bars and a per-line table on the right."""
    import gradio as gr

    from core.ui import (
        examples,
        follow_model,
        label_scores,
        model_picker,
        new_rows,
        result_panels,
        when_shown,
        widgets,
        wire,
    )

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            fields = widgets(ctx, TASK, "text", "text_pair")
            model = model_picker(ctx, TASK)
            with gr.Row():
                fields |= widgets(ctx, TASK, "top_k", "function_to_apply", "batch_size")
            run_button = gr.Button(tr("Run"), variant="primary")
            rows = examples(ctx, example_rows(labels_of(ctx.models, model.value)), [fields["text"], fields["text_pair"]])
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
    follow_model(model, lambda model_id: new_rows(example_rows(labels_of(ctx.models, model_id))), [rows.dataset])
    # models trained in the Train tab since the page was built (ctx.models rescans when a training run ends)
    when_shown(ctx, lambda: gr.update(choices=ctx.models.choices(TASK)[0]), None, [model])


TASK = TaskSpec(
    id="text-classification",
    title="Text classification",
    aliases=("sentiment-analysis",),
    loader=Loader.pipeline("text-classification"),
    batched=True,
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
