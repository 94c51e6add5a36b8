"""Text classification / sentiment analysis (also sentence pairs: NLI, rerankers)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from core.codegen import pipeline_code
from core.registry import Loader, TaskSpec
from core.ui import Context, examples, model_picker, result_panels, wire
from demos.text.common import lines_of, one_or_many, reads_plain_text


# ---- text-classification -----------------------------------------------------------------------
def classification_call(inputs: dict, params: dict) -> tuple[Any, dict]:
    """The pipeline's positional input and keyword arguments for this run."""
    texts = lines_of(inputs.get("text"))
    pair = (inputs.get("text_pair") or "").strip()
    if pair:
        items: Any = [{"text": t, "text_pair": pair} for t in texts]
    else:
        items = texts
    kwargs: dict[str, Any] = {"top_k": int(params.get("top_k") or 1), "truncation": True}
    if params.get("function_to_apply", "default") not in ("default", "", None):
        kwargs["function_to_apply"] = params["function_to_apply"]
    if len(texts) > 1:
        kwargs["batch_size"] = int(params.get("batch_size") or 1)
    return one_or_many(items), kwargs


def run_text_classification(pipe, inputs: dict, params: dict) -> list:
    """Labels with scores, best first: a list for one text, a list of lists for several lines."""
    items, kwargs = classification_call(inputs, params)
    return pipe(items, **kwargs)


def code_text_classification(ref, inputs: dict, params: dict, place) -> str:
    items, kwargs = classification_call(inputs, params)
    return pipeline_code("text-classification", ref, place, [items], kwargs)


TEXT_CLASSIFICATION = TaskSpec(
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
    run=run_text_classification,
    code=code_text_classification,
    inputs=("text", "text_pair"),
    params={"top_k": 5, "function_to_apply": "default", "batch_size": 1},
    architectures=("ForSequenceClassification",),
    fits=reads_plain_text,
    description="Sentiment and other labels for a text, or a score for a text pair (rerankers, NLI).",
)


def _as_rows(output: Any) -> list[list[dict]]:
    """Normalise one result (list of dicts) or a batch (list of lists) to a list of results."""
    if output and isinstance(output[0], dict):
        return [output]
    return list(output)


def render_text_classification(components: dict):
    def render(output, inputs, params):
        results = _as_rows(output)
        texts = lines_of(inputs.get("text"))
        first = {d["label"]: float(d["score"]) for d in results[0]}
        table = [[t, r[0]["label"], round(float(r[0]["score"]), 4)] for t, r in zip(texts, results)]
        return {
            components["label"]: first,
            components["table"]: gr.update(value=table, visible=len(results) > 1),
        }

    return render


def build_text_classification(ctx: Context) -> None:
    task = TEXT_CLASSIFICATION
    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(label=tr("Input text"), lines=4, elem_id="text_classification_text",
                              info=tr("One text per line runs them as one batch"))
            pair = gr.Textbox(label=tr("Second text (for sentence-pair models)"), lines=1,
                              elem_id="text_classification_pair")
            model = model_picker(ctx, task)
            with gr.Row():
                top_k = gr.Slider(1, 20, value=5, step=1, label=tr("top_k"))
                function = gr.Dropdown(["default", "softmax", "sigmoid", "none"], value="default",
                                       label=tr("function_to_apply"))
                batch = gr.Slider(1, 32, value=1, step=1, label=tr("batch_size"))
            run = gr.Button(tr("Run"), variant="primary")
            examples(
                ctx,
                [
                    ["Hugging Face is the best thing since sliced bread!", ""],
                    ["We are very happy to show you the 🤗 Transformers library.\n"
                     "We hope you don't hate it.", ""],
                    ["이 영화 정말 재미있어요! 강력 추천합니다.", ""],
                    ["A man is eating pasta.", "A man is eating food."],
                ],
                [text, pair],
            )
        with gr.Column(scale=2):
            label = gr.Label(label=tr("Labels"), elem_id="text_classification_label")
            table = gr.Dataframe(headers=["text", "label", "score"], label=tr("Per line"), visible=False,
                                 interactive=False, wrap=True, column_widths=["58%", "26%", "16%"],
                                 elem_id="text_classification_table")
    panels = result_panels(ctx, task)
    components = {"label": label, "table": table}
    wire(ctx, task, run.click, {"text": text, "text_pair": pair, "top_k": top_k,
                                "function_to_apply": function, "batch_size": batch},
         model, render_text_classification(components), panels, [label, table],
         triggers=[text.submit])


TASKS = ((TEXT_CLASSIFICATION, build_text_classification),)

KOREAN = {
    "Text classification": "텍스트 분류",
    "Input text": "입력 텍스트",
    "One text per line runs them as one batch": "한 줄에 한 문장씩 쓰면 한 번에 배치로 실행합니다",
    "Second text (for sentence-pair models)": "두 번째 텍스트 (문장 쌍 모델용)",
    "Labels": "레이블",
    "Per line": "줄별 결과",
}
