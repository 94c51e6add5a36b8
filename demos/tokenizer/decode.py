"""decode: token ids back to text (tokenizer.decode), with and without special tokens, and the round trip of
a text (encode, then decode, then compare)."""

from __future__ import annotations

from typing import Any

from core.codegen import call_args, py
from core.errors import UserError
from core.i18n import say
from core.params import Choice, Text
from core.registry import TaskSpec
from demos.tokenizer.anatomy import Ids, added_ids_of, check_ids, is_byte_level, needs_readable, readable_pieces
from demos.tokenizer.common import CURATED, DEFAULT, LOADER, flag, load_lines, text_literal, tokenizer_of

MAX_IDS = 8192


def _first_difference(a: str, b: str) -> int | None:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return None if len(a) == len(b) else min(len(a), len(b))


def decode_kwargs(params: dict) -> dict:
    cleanup = params["clean_up_tokenization_spaces"]
    return {} if cleanup == "default" else {"clean_up_tokenization_spaces": flag(cleanup)}


def run(loaded, inputs: dict, params: dict) -> dict:
    """decode(ids) with and without special tokens; with a text, its round trip (encode then decode)."""
    tokenizer = tokenizer_of(loaded)
    text, ids = inputs["text"], inputs["ids"]
    if not ids and text.strip():
        ids = tokenizer(text)["input_ids"]
    elif not ids:
        raise UserError("empty_input", what="Token ids")
    check_ids(ids, len(tokenizer), "ids")
    kwargs = decode_kwargs(params)
    tokens = tokenizer.convert_ids_to_tokens(ids)
    out: dict[str, Any] = {
        "ids": ids,
        "tokens": tokens,
        "decoded": tokenizer.decode(ids, **kwargs),
        "decoded_skip_special_tokens": tokenizer.decode(ids, skip_special_tokens=True, **kwargs),
        "special_tokens_mask": tokenizer.get_special_tokens_mask(ids, already_has_special_tokens=True),
    }
    if needs_readable(tokenizer, tokens):
        out["readable"] = readable_pieces(tokens, ids, added_ids_of(tokenizer), is_byte_level(tokenizer))
    if text.strip():
        back = out["decoded_skip_special_tokens"]
        out["round_trip"] = {"text": text, "equal": back == text, "first_difference": _first_difference(back, text),
                             "equal_ignoring_case_and_spaces": " ".join(back.lower().split()) == " ".join(text.lower().split())}
    return out


def code(ref, inputs: dict, params: dict, place=None) -> str:
    text, ids = inputs["text"], inputs["ids"]
    extra = call_args(**decode_kwargs(params))
    extra = f", {extra}" if extra else ""
    lines = load_lines(ref)
    if not ids and text.strip():
        lines += [f"text = {text_literal(text)}", "ids = tokenizer(text)['input_ids']"]
    else:
        lines.append(f"ids = {py(ids)}")
        if text.strip():
            lines.append(f"text = {text_literal(text)}")
    lines += ["print(tokenizer.convert_ids_to_tokens(ids))",
              f"print(tokenizer.decode(ids{extra}))",
              f"print(tokenizer.decode(ids, skip_special_tokens=True{extra}))"]
    if text.strip():
        lines.append(f"print(tokenizer.decode(ids, skip_special_tokens=True{extra}) == text)  # the round trip")
    return "\n".join(lines) + "\n"


# ---- the sub-tab -------------------------------------------------------------------------------
# texts made when a result is shown, in the browser's language (core.i18n.say; Korean in locales/ko/tokenizer.toml)
ROUND_TRIP_OK = "✅ `decode(ids, skip_special_tokens=True) == text`: the round trip gives the text back exactly."
ROUND_TRIP_BAD = "❌ The round trip does not give the text back."
DIFFER_FROM = " They differ from character {where}: {back} instead of {text}."
CASE_AND_SPACES = " Only case and spacing differ (the tokenizer lowercases or normalises spaces)."
TEXT_CHANGED = " Some text was lost or changed (unknown tokens, normalisation, or characters the vocabulary lacks)."
N_IDS = "<b>{n}</b> ids: <code>{ids}</code>"


def round_trip_markdown(output: dict) -> str:
    trip = output.get("round_trip")
    if not trip:
        return ""
    if trip["equal"]:
        return say(ROUND_TRIP_OK)
    where = trip["first_difference"]
    back = output["decoded_skip_special_tokens"]
    detail = say(DIFFER_FROM, where=where, back=repr(back[where:where + 12]), text=repr(trip["text"][where:where + 12]))
    why = say(CASE_AND_SPACES if trip["equal_ignoring_case_and_spaces"] else TEXT_CHANGED)
    return say(ROUND_TRIP_BAD) + detail + why


def build(ctx) -> None:
    """Ids, text, the picker and the clean-up choice on the left; both decodings and the round trip on the
    right; the tokens of the ids below."""
    import gradio as gr

    from core.ui import examples, follow_model, model_picker, new_rows, result_panels, widgets, wire
    from demos.tokenizer import examples as samples
    from demos.tokenizer import view

    with gr.Row():
        with gr.Column(scale=3):
            fields = widgets(ctx, TASK, "ids", "text")
            model = model_picker(ctx, TASK)
            fields |= widgets(ctx, TASK, "clean_up_tokenization_spaces")
            run_button = gr.Button(ctx.tr("Run"), variant="primary")
            # the first example's ids are "I am a boy." in the chosen tokenizer, made again when the model changes
            rows = examples(ctx, samples.decode_rows(samples.at_build(model.value, DEFAULT)), [fields["ids"], fields["text"]])
        with gr.Column(scale=2):
            decoded = gr.Textbox(label="tokenizer.decode(ids)", lines=2, interactive=False, elem_id="decode_decoded",
                                 buttons=["copy"])
            skipped = gr.Textbox(label="tokenizer.decode(ids, skip_special_tokens=True)", lines=2, interactive=False,
                                 elem_id="decode_skip_special", buttons=["copy"])
            trip = gr.Markdown(elem_id="decode_round_trip")
    tokens = view.html_output(ctx, "Tokens of these ids", "decode_tokens")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        output = result.output
        ids_text = ", ".join(map(str, output["ids"][:64])) + (" …" if len(output["ids"]) > 64 else "")
        html = view.pieces_html(output["tokens"], output["ids"], output["special_tokens_mask"], output.get("readable"),
                                head=say(N_IDS, n=len(output["ids"]), ids=view.esc(ids_text)))
        return {tokens: html, decoded: output["decoded"], skipped: output["decoded_skip_special_tokens"],
                trip: round_trip_markdown(output)}

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [tokens, decoded, skipped, trip])

    def follow(model_id: str):
        found = samples.for_model(ctx.models, TASK, model_id)
        return gr.skip() if found is None else new_rows(samples.decode_rows(found))

    follow_model(model, follow, [rows.dataset])


TASK = TaskSpec(
    id="decode",
    title="Decode",
    loader=LOADER,
    default_model=DEFAULT,
    models=CURATED,
    run=run,
    code=code,
    inputs=(
        Ids("ids", label="Token ids", lines=2, max_items=MAX_IDS, max_chars=100_000,
            help="e.g. 101, 1045, 2572 or a pasted [101, 1045, 2572]; leave empty to encode the text"),
        Text("text", label="Text (round trip)", lines=2, max_chars=50_000,
             help="Encoded (when no ids are given), decoded again and compared"),
    ),
    params=(
        Choice("clean_up_tokenization_spaces", "default", ("default", "True", "False"),
               help="Remove spaces before punctuation when decoding"),
    ),
    architectures=(),
    description="Token ids back to text, with and without special tokens, and the round trip of a text.",
    build=build,
)
