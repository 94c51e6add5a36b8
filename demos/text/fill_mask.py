"""fill-mask: the likeliest words for the model's mask token (<mask>, [MASK]...) in a sentence, for a text or
each line of a batch, through the transformers 5 pipeline.

Every line must hold the model's own mask token (several masks are filled each on its own, as the pipeline does); the "Insert mask token" button puts it at the cursor.
The mask token shown beside it is read from the model's tokenizer files (no model is loaded for it); a text
without it gets an error naming the token of the tokenizer the run loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.codegen import pipeline_code
from core.errors import UserError
from core.i18n import note
from core.params import Int, Labels, Lines
from core.registry import Loader, Output, TaskSpec
from demos.text.common import one_or_many, reads_plain_text, token_limit
from demos.text.reading import as_batches, long_lines, token_counts, which_note

MASK_SPELLINGS = ("<mask>", "[MASK]", "[mask]", "<MASK>")


def call_of(inputs: dict, params: dict) -> tuple[Any, dict]:
    """The pipeline's input (a text, or a list for several lines) and keyword arguments (parsed values)."""
    texts = inputs["text"]
    kwargs: dict[str, Any] = {"top_k": params["top_k"]}
    if params["targets"]:
        kwargs["targets"] = params["targets"]
    kwargs["tokenizer_kwargs"] = {"truncation": True}  # a long text is cut to the model's limit, not a crash
    if len(texts) > 1:
        kwargs["batch_size"] = params["batch_size"]
    return one_or_many(texts), kwargs


MAX_MASKS = 8  # the pipeline fills several masks of a text at once (each gets its own top_k candidates)


def check_masks(tokenizer, texts: list[str], limit: int) -> None:
    """Every line must hold the model's mask token (1 to MAX_MASKS times), within the tokens the model reads."""
    mask = tokenizer.mask_token
    for line, text in enumerate(texts, start=1):
        where = f"line {line}" if len(texts) > 1 else "the text"
        count = text.count(mask)
        if not 1 <= count <= MAX_MASKS:
            other = next((m for m in MASK_SPELLINGS if m != mask and m in text), None)
            hint = f" ({other} is another model's)" if other and count == 0 else ""
            raise UserError("bad_param", name="text",
                            detail=f"{where} must contain the model's mask token {mask} (1 to {MAX_MASKS} times){hint}; "
                                   f"found {count}. The \"Insert mask token\" button puts it at the cursor.")
        before = len(tokenizer(text[:text.rindex(mask)], add_special_tokens=False)["input_ids"])
        if before + 2 >= limit:
            raise UserError("too_large", what=f"The text before the mask ({where})",
                            detail=f"{before} tokens, but the model reads {limit}: move {mask} nearer the start")


def per_mask(candidates: list) -> list[list[dict]]:
    """One text's candidates as a list per mask (the pipeline nests them only when the text has several)."""
    return candidates if candidates and isinstance(candidates[0], list) else [candidates]


FILL_TRUNCATED = ("⚠️ {which} is longer than the {limit} tokens the model reads and was truncated: "
                  "the words after the cut did not help to fill the mask.")


def run(pipe, inputs: dict, params: dict) -> Output:
    """Candidates {"score", "token", "token_str", "sequence"} best first: a list for one text, a list of lists
    for several; a note when a text was cut to the model's limit."""
    items, kwargs = call_of(inputs, params)
    texts = inputs["text"]
    limit = token_limit(pipe.tokenizer, pipe.model.config)
    check_masks(pipe.tokenizer, texts, limit)
    output = pipe(items, **kwargs)
    long = long_lines(token_counts(pipe.tokenizer, texts), limit)
    notes = (note(FILL_TRUNCATED, which=which_note(long, len(texts)), limit=limit),) if long else ()
    return Output(output, notes=notes)


def code(ref, inputs: dict, params: dict, place) -> str:
    items, kwargs = call_of(inputs, params)
    return pipeline_code("fill-mask", ref, place, [items], kwargs)


def mask_token_from_files(folder: str | Path) -> str:
    """The mask token a tokenizer folder declares (tokenizer_config.json, then special_tokens_map.json), or ""."""
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        try:
            token = json.loads((Path(folder) / name).read_text(encoding="utf-8")).get("mask_token")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(token, dict):
            token = token.get("content")
        if token:
            return str(token)
    return ""


def mask_token_of(model_id: str | None) -> str:
    """A model's mask token without loading anything: read from its local folder or the Hugging Face cache
    (owner/name, optionally @revision); "" when only downloading would tell (a run's error names it then)."""
    model_id = (model_id or "").strip()
    if not model_id:
        return ""
    if Path(model_id).expanduser().is_dir():
        return mask_token_from_files(Path(model_id).expanduser())
    repo, _, revision = model_id.partition("@")
    try:
        from huggingface_hub import try_to_load_from_cache

        for name in ("tokenizer_config.json", "special_tokens_map.json"):
            cached = try_to_load_from_cache(repo, name, revision=revision or None)
            if isinstance(cached, str):
                token = mask_token_from_files(Path(cached).parent)
                if token:
                    return token
    except Exception:  # not a Hub id, no cache: the run tells
        pass
    return ""


# Inserts the mask token at the text box's cursor (or at the end), with spaces around it where needed.
INSERT_MASK_JS = """
(text, mask) => {
  text = text || "";
  if (!mask) return text;
  const box = document.querySelector("#fill_mask_text textarea");
  let at = box && box.selectionStart != null ? box.selectionStart : text.length;
  if (box && document.activeElement !== box && box.selectionStart === 0 && text.length) at = text.length;
  const before = text.slice(0, at), after = text.slice(at);
  const left = before && !/\\s$/.test(before) ? " " : "";
  const right = after && !/^[\\s.,!?;:]/.test(after) ? " " : "";
  return before + left + mask + right + after;
}
"""

EXAMPLES = [
    ["Hugging Face is a community-based open-source <mask> for machine learning."],
    ["The goal of life is <mask>.\nParis is the <mask> of France."],
    ["대한민국의 수도는 <mask>입니다."],
]


def candidate_bars(candidates: list[dict]) -> dict[str, float]:
    """token -> score for the Label; blank or look-alike tokens get their repr / id so no bar hides another."""
    bars: dict[str, float] = {}
    for c in candidates:
        name = c["token_str"].strip() or repr(c["token_str"])
        bars[f"{name} (#{c['token']})" if name in bars else name] = float(c["score"])
    return bars


def build(ctx) -> None:
    """The text with the mask token helper, the model picker and parameters on the left; candidate bars and the
    filled sentences on the right."""
    import gradio as gr

    from core.ui import examples, model_picker, result_panels, widgets, wire

    tr = ctx.tr
    default = ctx.models.choices(TASK)[1]
    with gr.Row():
        with gr.Column(scale=3):
            fields = widgets(ctx, TASK, "text")
            model = model_picker(ctx, TASK)
            with gr.Row():
                mask = gr.Textbox(value=mask_token_of(default), label=tr("This model's mask token"),
                                  interactive=False, elem_id="fill_mask_token", scale=2,
                                  placeholder=tr("looked up when you pick a model or press Insert"))
                insert = gr.Button(tr("Insert mask token"), elem_id="fill_mask_insert", scale=1)
            with gr.Row():
                fields |= widgets(ctx, TASK, "top_k", "targets", "batch_size")
            run_button = gr.Button(tr("Run"), variant="primary", elem_id="fill_mask_run")
            examples(ctx, EXAMPLES, [fields["text"]])
        with gr.Column(scale=2):
            label = gr.Label(label=tr("Candidates"), elem_id="fill_mask_label")
            table = gr.Dataframe(headers=["token", "score", "filled sentence"], label=tr("Filled sentences"),
                                 interactive=False, wrap=True, column_widths=["20%", "15%", "65%"],
                                 elem_id="fill_mask_table")
    model.change(mask_token_of, inputs=[model], outputs=[mask], api_visibility="private", show_progress="hidden")
    insert.click(mask_token_of, inputs=[model], outputs=[mask], api_visibility="private",
                 show_progress="hidden").then(None, inputs=[fields["text"], mask], outputs=[fields["text"]],
                                              js=INSERT_MASK_JS)
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        results = [per_mask(c) for c in as_batches(result.output, len(result.inputs["text"]))]
        several = any(len(masks) > 1 for masks in results)
        rows = [[f"{line}.{k}" if several else line, c["token_str"], round(float(c["score"]), 4), c["sequence"]]
                for line, masks in enumerate(results, start=1) for k, candidates in enumerate(masks, start=1)
                for c in candidates]
        headers, widths = ["line", "token", "score", "filled sentence"], ["10%", "18%", "14%", "58%"]
        if len(results) == 1 and not several:
            headers, widths, rows = headers[1:], ["20%", "15%", "65%"], [row[1:] for row in rows]
        elif len(results) == 1:
            headers = ["mask", *headers[1:]]
            rows = [[row[0].split(".")[1], *row[1:]] for row in rows]
        return {
            label: candidate_bars(results[0][0]),
            table: gr.update(value={"headers": headers, "data": rows}, column_widths=widths),
        }

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [label, table])


TASK = TaskSpec(
    id="fill-mask",
    title="Fill mask",
    loader=Loader.pipeline("fill-mask"),
    batched=True,
    default_model="distilbert/distilroberta-base",
    models=("google-bert/bert-base-uncased", "FacebookAI/xlm-roberta-base", "klue/roberta-base"),
    run=run,
    code=code,
    inputs=(
        Lines("text", label="Input text", required=True, max_items=256, max_chars=50_000, aliases=("inputs",),
              help="Write the model's mask token where a word is missing; one text per line"),
    ),
    params=(
        Int("top_k", 5, 1, 20, help="Candidates to show per mask, best first"),
        Labels("targets", (), max_items=50, max_chars=50,
               help="Only score these words, comma separated (empty = the whole vocabulary)"),
        Int("batch_size", 1, 1, 32, help="Lines per forward pass (several lines run as batches)"),
    ),
    architectures=("ForMaskedLM",),
    fits=reads_plain_text,
    description="The likeliest words for the model's mask token (<mask>, [MASK]...) in a sentence.",
    build=build,
)
