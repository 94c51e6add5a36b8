"""token-lookup: tokens to ids (convert_tokens_to_ids) and ids to tokens (convert_ids_to_tokens), with whether
each token is in the vocabulary (and how the tokenizer would split it instead) and the bytes each id
stands for."""

from __future__ import annotations

from typing import Any

from core.codegen import py
from core.errors import UserError
from core.registry import TaskSpec
from demos.tokenizer.anatomy import Ids, Tokens, added_ids_of, check_ids, is_byte_level, token_bytes
from demos.tokenizer.common import CURATED, DEFAULT, LOADER, load_lines, tokenizer_of

MAX_ITEMS = 1000


def run(loaded, inputs: dict, params: dict) -> dict:
    """convert_tokens_to_ids and convert_ids_to_tokens, with whether each token is in the vocabulary and,
    for those that are not, how the tokenizer would split that text instead."""
    tokenizer = tokenizer_of(loaded)
    tokens, ids = inputs["tokens"], inputs["ids"]
    if not tokens and not ids:
        raise UserError("empty_input", what="Tokens")
    out: dict[str, Any] = {"unk_token": tokenizer.unk_token, "unk_token_id": tokenizer.unk_token_id}
    if tokens:
        found = tokenizer.convert_tokens_to_ids(tokens)
        details = []
        for token, token_id in zip(tokens, found):
            known = token_id is not None and (token_id != tokenizer.unk_token_id or token == tokenizer.unk_token)
            row: dict[str, Any] = {"token": token, "id": token_id, "in_vocabulary": known}
            if not known:
                pieces = tokenizer.tokenize(token)
                row["tokenized_as"] = pieces
                row["tokenized_ids"] = tokenizer.convert_tokens_to_ids(pieces)
            details.append(row)
        out["tokens_to_ids"] = {"tokens": tokens, "ids": found, "details": details}
    if ids:
        check_ids(ids, len(tokenizer), "ids")
        added, byte_level, special_ids = added_ids_of(tokenizer), is_byte_level(tokenizer), set(tokenizer.all_special_ids)
        names = tokenizer.convert_ids_to_tokens(ids)
        details = []
        for token, token_id in zip(names, ids):
            raw = token_bytes(token, byte_level=byte_level, added=token_id in added)
            details.append({"id": token_id, "token": token, "readable": raw.decode("utf-8", errors="replace"),
                            "bytes": raw.hex(" "), "special": token_id in special_ids})
        out["ids_to_tokens"] = {"ids": ids, "tokens": names, "details": details}
    return out


def code(ref, inputs: dict, params: dict, place=None) -> str:
    lines = load_lines(ref)
    if inputs["tokens"]:
        lines.append(f"print(tokenizer.convert_tokens_to_ids({py(inputs['tokens'])}))")
    if inputs["ids"]:
        lines.append(f"print(tokenizer.convert_ids_to_tokens({py(inputs['ids'])}))")
    lines.append("print(tokenizer.unk_token, tokenizer.unk_token_id)  # what unknown tokens become")
    return "\n".join(lines) + "\n"


# ---- the sub-tab -------------------------------------------------------------------------------


def build(ctx) -> None:
    """Tokens, ids and the picker on the left; both look-up tables on the right."""
    import gradio as gr

    from core.i18n import say
    from core.ui import examples, follow_model, model_picker, new_rows, result_panels, widgets, wire
    from demos.tokenizer import examples as samples
    from demos.tokenizer import view

    with gr.Row():
        with gr.Column(scale=3):
            fields = widgets(ctx, TASK, "tokens", "ids")
            model = model_picker(ctx, TASK)
            run_button = gr.Button(ctx.tr("Run"), variant="primary")
            # tokens and ids of the chosen tokenizer, made again when the model changes
            rows = examples(ctx, samples.lookup_rows(samples.at_build(model.value, DEFAULT)),
                            [fields["tokens"], fields["ids"]])
        with gr.Column(scale=2):
            to_ids = gr.Dataframe(headers=["token", "id", "in vocabulary", "tokenize() instead"], interactive=False,
                                  label="convert_tokens_to_ids", elem_id="token_lookup_to_ids", wrap=True)
            to_tokens = gr.Dataframe(headers=["id", "token", "readable", "bytes", "special"], interactive=False,
                                     label="convert_ids_to_tokens", elem_id="token_lookup_to_tokens", wrap=True)
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        output = result.output
        forward = output.get("tokens_to_ids", {}).get("details", [])
        backward = output.get("ids_to_tokens", {}).get("details", [])
        return {
            to_ids: [[r["token"], r["id"], say(view.YES) if r["in_vocabulary"] else f"{say(view.NO)} → {output['unk_token']}",
                      " ".join(r.get("tokenized_as", [])) + (f"  {r['tokenized_ids']}" if r.get("tokenized_ids") else "")]
                     for r in forward],
            to_tokens: [[r["id"], r["token"], r["readable"], r["bytes"], say(view.YES) if r["special"] else ""]
                        for r in backward],
        }

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [to_ids, to_tokens],
         triggers=[fields["tokens"].submit, fields["ids"].submit])

    def follow(model_id: str):
        found = samples.for_model(ctx.models, TASK, model_id)
        return gr.skip() if found is None else new_rows(samples.lookup_rows(found))

    follow_model(model, follow, [rows.dataset])


TASK = TaskSpec(
    id="token-lookup",
    title="Look up tokens",
    loader=LOADER,
    default_model=DEFAULT,
    models=CURATED,
    run=run,
    code=code,
    inputs=(
        Tokens("tokens", label="Tokens", max_items=MAX_ITEMS, max_chars=20_000,
               help="Separated by spaces, spelled as in the vocabulary (##ing, Ġhello, ▁안녕)"),
        Ids("ids", label="Token ids", max_items=MAX_ITEMS, max_chars=20_000, help="e.g. 2572, 1037"),
    ),
    architectures=(),
    description="Tokens to ids (convert_tokens_to_ids) and ids to tokens (convert_ids_to_tokens).",
    build=build,
)
