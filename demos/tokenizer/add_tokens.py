"""add-tokens: tokenizer.add_tokens on a copy of the tokenizer (the cached one stays as it is): the new ids,
the vocabulary size before and after, a text's tokens before and after, and the resize_token_embeddings the
model then needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.codegen import from_pretrained, py
from core.params import Bool, Text
from core.registry import TaskSpec
from demos.tokenizer.anatomy import (
    NewTokens,
    added_ids_of,
    detached_copy,
    is_byte_level,
    needs_readable,
    readable_pieces,
)
from demos.tokenizer.common import CURATED, DEFAULT, LOADER, text_literal, tokenizer_of

MAX_NEW_TOKENS = 200


def _tokens_of(tokenizer, text: str) -> dict:
    ids = tokenizer(text)["input_ids"]
    out = {"tokens": tokenizer.convert_ids_to_tokens(ids), "input_ids": ids}
    if needs_readable(tokenizer, out["tokens"]):
        out["readable"] = readable_pieces(out["tokens"], ids, added_ids_of(tokenizer), is_byte_level(tokenizer))
    return out


def run(loaded, inputs: dict, params: dict) -> dict:
    """Add tokens to a copy of the tokenizer (the loaded one stays as it is): the new ids, the vocabulary
    size before and after, and the text's tokens before and after."""
    original = tokenizer_of(loaded)
    new, text, special = inputs["new_tokens"], inputs["text"], params["special_tokens"]
    tokenizer = detached_copy(original)
    before_ids = tokenizer.convert_tokens_to_ids(new)
    added = tokenizer.add_tokens(new, special_tokens=special)
    rows = []
    for token, old_id in zip(new, before_ids):
        known = old_id is not None and (old_id != original.unk_token_id or token == original.unk_token)
        rows.append({"token": token, "id": tokenizer.convert_tokens_to_ids(token), "was_in_vocabulary": known})
    out: dict[str, Any] = {
        "added": added,
        "new_tokens": rows,
        "special_tokens": special,
        "len_before": len(original),
        "len_after": len(tokenizer),
        "resize_token_embeddings": len(tokenizer),
    }
    if text.strip():
        out["before"] = _tokens_of(original, text)
        out["after"] = _tokens_of(tokenizer, text)
    return out


def _has_model(ref) -> bool:
    """False for a local folder without model weights (a tokenizer-only folder)."""
    if not getattr(ref, "local", False):
        return True
    folder = Path(ref.source)
    return (folder / "config.json").is_file() and (any(folder.glob("*.safetensors")) or any(folder.glob("*.bin")))


def code(ref, inputs: dict, params: dict, place=None) -> str:
    new, text, special = inputs["new_tokens"], inputs["text"], params["special_tokens"]
    lines = ["from transformers import AutoModel, AutoTokenizer", "",
             from_pretrained("AutoTokenizer", ref, var="tokenizer")]
    if text.strip():
        lines += [f"text = {text_literal(text)}", "print(tokenizer.convert_ids_to_tokens(tokenizer(text)['input_ids']))"]
    lines += [f"new_tokens = {py(new)}",
              f"added = tokenizer.add_tokens(new_tokens{', special_tokens=True' if special else ''})",
              "print(added, 'added:', tokenizer.convert_tokens_to_ids(new_tokens), 'len(tokenizer) =', len(tokenizer))"]
    if text.strip():
        lines.append("print(tokenizer.convert_ids_to_tokens(tokenizer(text)['input_ids']))")
    model = [from_pretrained("AutoModel", ref),
             "# The embedding matrix needs one row per token id: grow it to the new vocabulary size",
             "# (new rows start untrained; fine-tune the model so they learn a meaning).",
             "model.resize_token_embeddings(len(tokenizer))",
             "print(model.get_input_embeddings().weight.shape)"]
    if not _has_model(ref):
        model = ["# This folder holds only a tokenizer; with its model, resize the embeddings the same way:"] + \
            ["# " + line.lstrip("# ") for line in model]
    lines += ["", *model]
    return "\n".join(lines) + "\n"


# ---- the sub-tab -------------------------------------------------------------------------------
# texts made when a result is shown, in the browser's language (core.i18n.say; Korean in locales/ko/tokenizer.toml)
BEFORE = "Before: {n} tokens"
AFTER = "After: {n} tokens"
READABLE = "Readable"
ADDED = "`add_tokens` returned **{added}**: `len(tokenizer)` {before:,} → **{after:,}**."
KNOWN = " {n} of the tokens were already in the vocabulary: they keep their id."
KNOWN_SPECIAL = " {n} of the tokens were already in the vocabulary: they keep their id and are now special tokens."
RESIZE = ("The model's embedding matrix must grow to match: `model.resize_token_embeddings({size})` (see the code "
          "below); the new rows start untrained.")
EXAMPLES = [["허깅페이스 트랜스포머", "허깅페이스의 트랜스포머 라이브러리로 모델을 불러온다.", False],
            ["covid19 mRNA", "The covid19 mRNA vaccine", False],
            ["[NEW_TOKEN]", "[NEW_TOKEN] marks a new kind of input", True]]


def build(ctx) -> None:
    """New tokens, text, special_tokens and the picker on the left; the summary and the added tokens on the
    right; the tokens before and after below."""
    import gradio as gr

    from core.i18n import say
    from core.ui import examples, model_picker, result_panels, widget, widgets, wire
    from demos.tokenizer import view

    with gr.Row():
        with gr.Column(scale=3):
            fields = {"new_tokens": widget(ctx, TASK, "new_tokens", elem_id="add_tokens_new")}
            fields |= widgets(ctx, TASK, "text", "special_tokens")
            model = model_picker(ctx, TASK)
            run_button = gr.Button(ctx.tr("Run"), variant="primary")
            examples(ctx, EXAMPLES, [fields["new_tokens"], fields["text"], fields["special_tokens"]])
        with gr.Column(scale=2):
            summary = gr.Markdown(elem_id="add_tokens_summary")
            table = gr.Dataframe(headers=["token", "new id", "was in vocabulary"], interactive=False,
                                 label=ctx.tr("Added tokens"), elem_id="add_tokens_table")
    tokens = view.html_output(ctx, "Tokens before and after", "add_tokens_tokens")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        output = result.output
        new_ids = {r["id"] for r in output["new_tokens"] if not r["was_in_vocabulary"]}
        html = ""
        if "before" in output:
            html = "".join(
                view.pieces_html(output[when]["tokens"], output[when]["input_ids"], None, output[when].get("readable"),
                                 new_ids=new_ids if when == "after" else frozenset(),
                                 label_raw=say(BEFORE if when == "before" else AFTER, n=len(output[when]["input_ids"])),
                                 label_readable=say(READABLE))
                for when in ("before", "after"))
        known = sum(r["was_in_vocabulary"] for r in output["new_tokens"])
        md = say(ADDED, added=output["added"], before=output["len_before"], after=output["len_after"])
        if known:
            md += say(KNOWN_SPECIAL if output["special_tokens"] else KNOWN, n=known)
        if output["len_after"] != output["len_before"]:
            md += "\n\n" + say(RESIZE, size=output["resize_token_embeddings"])
        rows = [[r["token"], r["id"], say(view.YES if r["was_in_vocabulary"] else view.NO)] for r in output["new_tokens"]]
        return {summary: md, table: rows, tokens: html}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [summary, table, tokens])


TASK = TaskSpec(
    id="add-tokens",
    title="Add tokens",
    loader=LOADER,
    default_model=DEFAULT,
    models=CURATED,
    run=run,
    code=code,
    inputs=(
        NewTokens("new_tokens", label="New tokens", help="Separated by spaces or commas", required=True,
                  max_items=MAX_NEW_TOKENS, max_chars=10_000),
        Text("text", label="Text", lines=2, max_chars=20_000, help="Tokenized before and after adding"),
    ),
    params=(
        Bool("special_tokens", False,
             help="Add as special tokens (never split, skipped by decode(skip_special_tokens=True))"),
    ),
    architectures=(),
    description="add_tokens on a copy of the tokenizer: new ids, new tokenization, and resize_token_embeddings.",
    build=build,
)
