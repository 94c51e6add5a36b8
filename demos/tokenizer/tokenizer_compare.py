"""tokenizer-compare: 2 to 4 tokenizers on the same text, side by side (a multi-model task: the UI's pickers,
the API's model, model_2, ... and the CLI's repeated --model all run through the model manager at once):
each one's tokens, counts and facts."""

from __future__ import annotations

import re
from typing import Any

from core.codegen import call_args, py
from core.errors import UserError
from core.i18n import note
from core.params import Text
from core.registry import Output, TaskSpec
from demos.tokenizer.anatomy import tokenizer_facts
from demos.tokenizer.common import (
    ADD_SPECIAL_TOKENS,
    CURATED,
    DEFAULT,
    LOADER,
    VIEW,
    sequence_view,
    text_literal,
    tokenizer_of,
)

MAX_MODELS = 4
PREFERRED = ("google-bert/bert-base-uncased", "beomi/kcbert-base")  # the UI's first two pickers, when offered
_SNAPSHOT = re.compile(r"(?:^|[\\/])models--(?P<repo>[^\\/]+)[\\/]snapshots[\\/]")


def model_name(tokenizer) -> str:
    """The name the tokenizer was loaded by: the local folder, or the Hub id (also when it was read from the
    Hugging Face cache, whose snapshot folder is models--owner--name/snapshots/<commit>)."""
    path = str(getattr(tokenizer, "name_or_path", "") or "")
    match = _SNAPSHOT.search(path)
    return match.group("repo").replace("--", "/", 1) if match else path


def run(loaded: list, inputs: dict, params: dict) -> Output:
    """One column per tokenizer, in the order given: its tokens, ids, readable pieces, counts and facts."""
    distinct = [b for i, b in enumerate(loaded) if all(b is not other for other in loaded[:i])]
    if not 2 <= len(distinct) <= MAX_MODELS:
        raise UserError("bad_param", name="model", detail=f"pick 2 to {MAX_MODELS} tokenizers to compare (got {len(distinct)})")
    text = inputs["text"]
    kwargs: dict[str, Any] = {} if params["add_special_tokens"] else {"add_special_tokens": False}
    results, notes = [], []
    for bundle in distinct:
        tokenizer = tokenizer_of(bundle)
        view = dict(kwargs, return_special_tokens_mask=True)
        if tokenizer.is_fast:
            view["return_offsets_mapping"] = True
        enc = tokenizer(text, **view)
        row = {name: enc[name] for name in enc.keys()}
        seq, seq_notes = sequence_view(tokenizer, enc, 0, row, text, None, params["view_limit"])
        name = model_name(tokenizer)
        results.append({"model": name, **seq, "tokenizer": tokenizer_facts(tokenizer)})
        notes += [note("{model}: {note}", model=name, note=n) for n in seq_notes]
    return Output({"text": text, "results": results}, notes=tuple(notes))


def code(refs: list, inputs: dict, params: dict, place=None) -> str:
    extra = call_args(**({} if params["add_special_tokens"] else {"add_special_tokens": False}))
    names = list(dict.fromkeys(ref.source for ref in refs))
    lines = ["from transformers import AutoTokenizer", "", f"text = {text_literal(inputs['text'])}",
             f"for name in {py(names)}:",
             "    tokenizer = AutoTokenizer.from_pretrained(name)",
             f"    encoding = tokenizer(text{', ' + extra if extra else ''})",
             "    print(name, type(tokenizer).__name__, tokenizer.vocab_size, len(encoding['input_ids']), 'tokens')",
             "    print(encoding.tokens())"]
    return "\n".join(lines) + "\n"


# ---- the sub-tab -------------------------------------------------------------------------------
SAMPLE = "Hugging Face는 인공지능(AI)과 자연어 처리(NLP) 분야의 AI 스타트업이다."
EXAMPLES = [[SAMPLE], ["Do not meddle in the affairs of wizards, for they are subtle and quick to anger."],
            ["안녕하세요! 토크나이저는 문장을 토큰으로 나눕니다. 🤗"]]
HEADERS = ["model", "class", "algorithm", "vocab_size", "tokens", "unknown", "tokens/word", "special tokens"]


def build(ctx) -> None:
    """The text on the left, 2-4 tokenizer pickers on the right; a table and one column of tokens per
    tokenizer below."""
    import gradio as gr

    from core.ui import examples, model_picker, result_panels, widget, widgets, wire
    from demos.tokenizer import view

    tr = ctx.tr
    choices, _ = ctx.models.choices(TASK)
    offered = [v for _, v in choices]
    preferred = [m for m in PREFERRED if m in offered]
    first_two = preferred if len(preferred) == 2 else offered[:2]
    with gr.Row():
        with gr.Column(scale=3):
            fields = {"text": widget(ctx, TASK, "text")}
        with gr.Column(scale=2, elem_id="tokenizer_compare_models"):
            gr.Markdown(tr("Pick or type 2 to 4 Hub ids or local folders"))
            pickers = []
            for pair in ((0, 1), (2, 3)):
                with gr.Row():
                    for slot in pair:
                        picker = model_picker(ctx, TASK, f"Tokenizer {slot + 1}", slot=slot)
                        # the first two preselected; the others empty, "" so the API's model_3, model_4 are optional
                        picker.value = first_two[slot] if slot < len(first_two) else ""
                        pickers.append(picker)
            with gr.Row():
                fields |= widgets(ctx, TASK, "add_special_tokens", "view_limit")
    run_button = gr.Button(tr("Run"), variant="primary")
    examples(ctx, EXAMPLES, [fields["text"]])
    table = gr.Dataframe(headers=HEADERS, label=tr("Side by side"), interactive=False, wrap=True,
                         elem_id="tokenizer_compare_table",
                         column_widths=["22%", "14%", "12%", "9%", "7%", "8%", "9%", "19%"])
    grid = view.html_output(ctx, "Tokens of each tokenizer", "tokenizer_compare_tokens")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        results = result.output["results"]
        return {grid: view.compare_html(result.inputs["text"], results),
                table: {"headers": HEADERS, "data": view.compare_rows(results)}}

    wire(ctx, TASK, run_button.click, fields, pickers, render, panels, [grid, table])


TASK = TaskSpec(
    id="tokenizer-compare",
    title="Compare tokenizers",
    loader=LOADER,
    default_model=DEFAULT,
    models=CURATED,
    run=run,
    code=code,
    inputs=(Text("text", SAMPLE, label="Text", lines=3, max_chars=50_000, required=True),),
    params=(ADD_SPECIAL_TOKENS, VIEW),
    multi_model=MAX_MODELS,
    architectures=(),
    description="2-4 tokenizers on the same text, side by side (the CLI takes one --model per tokenizer).",
    build=build,
)
