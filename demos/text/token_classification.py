"""token-classification (alias ner): named entities, or a tag for every token, for a text or each line of a
batch, through the transformers 5 pipeline.

A text longer than the model reads at once is read whole in overlapping windows (`stride`) when tokens are
grouped into entities; otherwise it is cut at the model's limit. A note under the result says which.
"""

from __future__ import annotations

from typing import Any

from core.codegen import pipeline_code
from core.errors import UserError
from core.i18n import note
from core.params import Choice, Int, Labels, Lines
from core.registry import Loader, Output, TaskSpec
from demos.text.common import config_labels, one_or_many, reads_plain_text, token_limit
from demos.text.reading import as_batches, highlight_value, long_lines, token_counts, which_note

AGGREGATIONS = ("none", "simple", "first", "average", "max")


class LabelsOrNone(Labels):
    """Labels whose empty text means no labels at all (ignore_labels="" keeps every token), where a plain
    Labels field would fall back to its default; a missing value still gives the default."""

    def parse(self, value: Any) -> list[str]:
        if isinstance(value, str) and not value.strip():
            return []
        return super().parse(value)


def call_of(inputs: dict, params: dict) -> tuple[Any, dict]:
    """The pipeline's input (a text, or a list for several lines) and keyword arguments (parsed values)."""
    texts, strategy = inputs["text"], params["aggregation_strategy"]
    kwargs: dict[str, Any] = {"aggregation_strategy": strategy, "ignore_labels": params["ignore_labels"]}
    if params["stride"] and strategy != "none":  # the pipeline reads long texts whole only when it groups tokens
        kwargs["stride"] = params["stride"]
    if len(texts) > 1:
        kwargs["batch_size"] = params["batch_size"]
    return one_or_many(texts), kwargs


TOKEN_WINDOWED = ("ℹ️ {which} is longer than the {limit} tokens the model reads at once: the pipeline read it "
                  "whole in overlapping windows (stride={stride}).")
TOKEN_TRUNCATED = ("⚠️ {which} is longer than the {limit} tokens the model reads at once and was truncated: only "
                   "the beginning was tagged ({why}; choose simple/first/average/max with a stride to read it all).")
NO_WINDOWS_NONE = "aggregation_strategy \"none\" cannot use windows"
NO_WINDOWS_STRIDE = "stride is 0"


def run(pipe, inputs: dict, params: dict) -> Output:
    """Entities (or tagged tokens with aggregation "none"): a list for one text, a list of lists for several;
    a note when a text is longer than the model reads at once."""
    items, kwargs = call_of(inputs, params)
    texts = inputs["text"]
    limit = token_limit(pipe.tokenizer, pipe.model.config)
    if kwargs.get("stride", 0) >= limit - 2:
        raise UserError("bad_param", name="stride", detail=f"must be below {limit - 2}, the model reads {limit} tokens")
    output = pipe(items, **kwargs)
    notes = []
    long = long_lines(token_counts(pipe.tokenizer, texts), limit)
    if long:
        which = which_note(long, len(texts))
        if "stride" in kwargs:
            notes.append(note(TOKEN_WINDOWED, which=which, limit=limit, stride=kwargs["stride"]))
        else:
            why = note(NO_WINDOWS_NONE if kwargs["aggregation_strategy"] == "none" else NO_WINDOWS_STRIDE)
            notes.append(note(TOKEN_TRUNCATED, which=which, limit=limit, why=why))
    return Output(output, notes=tuple(notes))


def code(ref, inputs: dict, params: dict, place) -> str:
    items, kwargs = call_of(inputs, params)
    comment = ""
    if "stride" in kwargs:
        comment = "stride: a text longer than the model's limit is read whole, in windows overlapping by this many tokens"
    return pipeline_code("token-classification", ref, place, [items], kwargs, note=comment)


ENTITY_COLORS = {"PER": "#fca5a5", "ORG": "#93c5fd", "LOC": "#86efac", "MISC": "#fcd34d"}
PALETTE = ("#d8b4fe", "#f9a8d4", "#5eead4", "#fdba74", "#bef264", "#a5b4fc", "#cbd5e1", "#fde68a", "#67e8f9",
           "#fecaca", "#c4b5fd", "#99f6e4", "#fed7aa", "#d9f99d", "#bfdbfe", "#fbcfe8")


def entity_type(label: str) -> str:
    """'B-LOC' / 'I-LOC' / 'LOC' -> 'LOC'."""
    return label[2:] if len(label) > 2 and label[1] == "-" and label[0] in "BIES" else label


def color_map(labels) -> dict[str, str]:
    """A colour for each label: CoNLL's four types keep theirs, the other types get distinct palette colours in
    sorted order (two types share one only past the palette's 16), B-/I- tags of a type share its colour."""
    kinds = sorted({entity_type(label).upper() for label in labels} - set(ENTITY_COLORS))
    colors = dict(ENTITY_COLORS) | {kind: PALETTE[i % len(PALETTE)] for i, kind in enumerate(kinds)}
    return {label: colors[entity_type(label).upper()] for label in labels}


def entity_rows(results: list[list[dict]]) -> list[list]:
    """[line, label, score, word, start, end] for every entity of every line."""
    rows = []
    for line, entities in enumerate(results, start=1):
        for ent in entities:
            label = ent.get("entity_group") or ent.get("entity")
            rows.append([line, label, round(float(ent["score"]), 4), ent.get("word"), ent.get("start"), ent.get("end")])
    return rows


EXAMPLES = [
    ["Hugging Face is a French company based in New York City."],
    ["My name is Wolfgang and I live in Berlin.\nSarah works for the United Nations in Geneva."],
    ["허깅페이스는 뉴욕에 본사를 둔 프랑스 회사이고, 클레망 들랑그가 CEO입니다."],
]
PII_EXAMPLES = [  # for models that tag personal data (names, addresses, e-mails) rather than CoNLL types
    ["John Smith lives at 221 Elm Street in Boston, Massachusetts."],
    ["Contact Ann Lee at ann.lee@mail.com or (617) 555-0134.\nMaria Garcia moved to 12 Oak Avenue, Austin, Texas."],
]
PII_TYPES = {"GIVEN_NAME", "SURNAME", "FIRSTNAME", "LASTNAME", "EMAIL", "PHONE", "PHONE_NUMBER", "TELEPHONENUM",
             "STREET_NAME", "STREET", "BUILDING_NUMBER", "BUILDINGNUM", "SSN", "CREDIT_CARD", "ZIPCODE"}


def example_rows(labels: tuple[str, ...]) -> list[list[str]]:
    """The examples that fit a model with these labels (config.id2label; empty when unknown)."""
    return PII_EXAMPLES if {entity_type(label).upper() for label in labels} & PII_TYPES else EXAMPLES


def build(ctx) -> None:
    """The text, the model picker and parameters on the left; highlighted entities and their table on the right."""
    import gradio as gr

    from core.ui import examples, follow_model, model_picker, new_rows, result_panels, widgets, wire

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            fields = widgets(ctx, TASK, "text")
            model = model_picker(ctx, TASK)
            with gr.Row():
                fields |= widgets(ctx, TASK, "aggregation_strategy", "ignore_labels")
            with gr.Row():
                fields |= widgets(ctx, TASK, "stride", "batch_size")
            run_button = gr.Button(tr("Run"), variant="primary", elem_id="token_classification_run")
            rows = examples(ctx, example_rows(config_labels(ctx.models, model.value)), [fields["text"]])
        with gr.Column(scale=2):
            highlight = gr.HighlightedText(label=tr("Entities"), show_legend=True, combine_adjacent=False,
                                           elem_id="token_classification_highlight")
            table = gr.Dataframe(headers=["entity", "score", "word", "start", "end"], label=tr("Entity table"),
                                 interactive=False, wrap=True, column_widths=["22%", "16%", "34%", "14%", "14%"],
                                 elem_id="token_classification_table")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        texts = result.inputs["text"]
        results = as_batches(result.output, len(texts))
        spans = [[(e["start"], e["end"], e.get("entity_group") or e.get("entity")) for e in entities
                  if e.get("start") is not None] for entities in results]
        labels = sorted({label for line in spans for _, _, label in line})
        rows = entity_rows(results)
        headers, widths = ["line", "entity", "score", "word", "start", "end"], ["10%", "20%", "14%", "28%", "14%", "14%"]
        if len(texts) == 1:
            headers, widths, rows = headers[1:], ["22%", "16%", "34%", "14%", "14%"], [row[1:] for row in rows]
        return {
            highlight: gr.update(value=highlight_value(texts, spans), color_map=color_map(labels)),
            table: gr.update(value={"headers": headers, "data": rows}, column_widths=widths),
        }

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [highlight, table])
    follow_model(model, lambda model_id: new_rows(example_rows(config_labels(ctx.models, model_id))), [rows.dataset])


TASK = TaskSpec(
    id="token-classification",
    title="Token classification (NER)",
    aliases=("ner",),
    loader=Loader.pipeline("token-classification"),
    batched=True,
    default_model="dbmdz/bert-large-cased-finetuned-conll03-english",
    models=(
        "dslim/bert-base-NER",
        "FacebookAI/xlm-roberta-large-finetuned-conll03-english",
    ),
    run=run,
    code=code,
    inputs=(
        Lines("text", label="Input text", help="One text per line runs them as one batch", required=True,
              max_items=256, max_chars=50_000, aliases=("inputs",)),
    ),
    params=(
        Choice("aggregation_strategy", "simple", AGGREGATIONS,
               help="How sub-word tokens become entities; none = one tag per token"),
        LabelsOrNone("ignore_labels", ("O",), max_items=50, max_chars=50,
                     help="Labels to leave out, comma separated (empty = keep every token)"),
        Int("stride", 32, 0, 256, help="Long texts: tokens shared by neighbouring windows; 0 = cut at the limit"),
        Int("batch_size", 1, 1, 32, help="Lines per forward pass (several lines run as batches)"),
    ),
    architectures=("ForTokenClassification",),
    fits=reads_plain_text,
    description="Named entities (people, organisations, places...) or a tag for every token.",
    build=build,
)
