"""zero-shot-classification: scores for labels you make up, from an NLI model (each label becomes a hypothesis
through the template), for a text or each line of a batch, through the transformers 5 pipeline."""

from __future__ import annotations

from typing import Any

from core.codegen import pipeline_code
from core.errors import UserError
from core.i18n import note
from core.params import Bool, Int, Labels, Lines, Text
from core.registry import Loader, Output, TaskSpec
from demos.text.common import has_entailment, one_or_many, token_limit
from demos.text.reading import long_lines, token_counts, which_note

# every (text, label) pair is one forward pass of the NLI model
MAX_PAIRS = 512


def call_of(inputs: dict, params: dict) -> tuple[Any, dict]:
    """The pipeline's input (a text, or a list for several lines) and keyword arguments (parsed values)."""
    texts, template = inputs["text"], params["hypothesis_template"]
    if "{}" not in template:
        raise UserError("bad_param", name="hypothesis_template", detail="it must contain {} where the label goes")
    kwargs: dict[str, Any] = {"candidate_labels": inputs["candidate_labels"], "hypothesis_template": template,
                              "multi_label": params["multi_label"]}
    if len(texts) > 1:
        kwargs["batch_size"] = params["batch_size"]
    return one_or_many(texts), kwargs


ZERO_SHOT_TRUNCATED = ("⚠️ {which} with its hypothesis is longer than the {limit} tokens the model reads: "
                       "the text was truncated (the hypothesis is kept whole), so only its beginning was classified.")


def run(pipe, inputs: dict, params: dict) -> Output:
    """{"sequence", "labels", "scores"} (labels best first) for one text, a list of them for several; a note
    when a text with its hypothesis is longer than the model reads."""
    items, kwargs = call_of(inputs, params)
    texts, labels = inputs["text"], kwargs["candidate_labels"]
    if len(texts) * len(labels) > MAX_PAIRS:
        raise UserError("too_large", what="Candidate labels",
                        detail=f"{len(texts)} texts × {len(labels)} labels = {len(texts) * len(labels):,} pairs "
                               f"to score; at most {MAX_PAIRS}")
    output = pipe(items, **kwargs)
    limit = token_limit(pipe.tokenizer, pipe.model.config)
    hypothesis = max((kwargs["hypothesis_template"].format(label) for label in labels), key=len)
    long = long_lines(token_counts(pipe.tokenizer, texts, [hypothesis] * len(texts)), limit)
    notes = (note(ZERO_SHOT_TRUNCATED, which=which_note(long, len(texts)), limit=limit),) if long else ()
    return Output(output, notes=notes)


def code(ref, inputs: dict, params: dict, place) -> str:
    items, kwargs = call_of(inputs, params)
    return pipeline_code("zero-shot-classification", ref, place, [items], kwargs)


EXAMPLES = [
    ["Hugging Face is the best thing since sliced bread!", "technology, food, politics, sports", "This example is {}."],
    ["The team scored in the last minute to win the cup.\nThe parliament passed the new budget today.",
     "sports, politics, economics", "This example is about {}."],
    ["손흥민이 결승골을 넣어 팀이 우승했다.", "스포츠, 정치, 경제", "이 글은 {}에 관한 것이다."],
]


def build(ctx) -> None:
    """Text and labels, the model picker and parameters on the left; label bars and a per-line table on the right."""
    import gradio as gr

    from core.ui import examples, model_picker, result_panels, widget, widgets, wire

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            fields = widgets(ctx, TASK, "text")
            fields["candidate_labels"] = widget(ctx, TASK, "candidate_labels",
                                                elem_id="zero_shot_classification_labels")
            model = model_picker(ctx, TASK)
            with gr.Row():
                fields |= widgets(ctx, TASK, "hypothesis_template", "multi_label", "batch_size")
            run_button = gr.Button(tr("Run"), variant="primary", elem_id="zero_shot_classification_run")
            examples(ctx, EXAMPLES, [fields["text"], fields["candidate_labels"], fields["hypothesis_template"]])
        with gr.Column(scale=2):
            label = gr.Label(label=tr("Labels"), elem_id="zero_shot_classification_label")
            table = gr.Dataframe(headers=["text", "label", "score"], label=tr("Per line"), visible=False,
                                 interactive=False, wrap=True, column_widths=["58%", "26%", "16%"],
                                 elem_id="zero_shot_classification_table")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        results = [result.output] if isinstance(result.output, dict) else list(result.output)
        first = {lb: float(score) for lb, score in zip(results[0]["labels"], results[0]["scores"])}
        rows = [[r["sequence"], r["labels"][0], round(float(r["scores"][0]), 4)] for r in results]
        return {label: first, table: gr.update(value=rows, visible=len(results) > 1)}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [label, table])


TASK = TaskSpec(
    id="zero-shot-classification",
    title="Zero-shot classification",
    loader=Loader.pipeline("zero-shot-classification"),
    batched=True,
    default_model="facebook/bart-large-mnli",
    models=(
        "MoritzLaurer/mDeBERTa-v3-base-mnli-xnli",
        "MoritzLaurer/DeBERTa-v3-base-mnli-fever-anli",
        "typeform/distilbert-base-uncased-mnli",
    ),
    run=run,
    code=code,
    inputs=(
        Lines("text", label="Input text", help="One text per line runs them as one batch", required=True,
              max_items=64, max_chars=20_000, aliases=("sequences",)),
        Labels("candidate_labels", label="Candidate labels", required=True, max_items=50, max_chars=100,
               help="Comma separated; each becomes a hypothesis through the template"),
    ),
    params=(
        Text("hypothesis_template", "This example is {}.", max_chars=300, help="{} is replaced by each label"),
        Bool("multi_label", False, help="Score each label on its own (several can be true)", aliases=("multi_class",)),
        Int("batch_size", 1, 1, 32, help="Lines per forward pass (several lines run as batches)"),
    ),
    architectures=("ForSequenceClassification",),
    fits=has_entailment,
    description="Scores for labels you make up, from an NLI model (each label becomes a hypothesis).",
    build=build,
)
