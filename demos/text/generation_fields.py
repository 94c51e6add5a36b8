"""The generation parameters (summarization, translation, text2text-generation, text-generation), declared
once: `generation_fields(names..., **defaults)` gives the fields a task takes, with its own defaults;
`generation_kwargs(params)` turns the parsed values into generate() keyword arguments; `generation_widgets`
lays out their widgets (gradio is imported there only, so importing this module never imports it).

The names are transformers' own (also the API's and the CLI's `--param` names). 0 for a length or num_beams
means "the model's default" (its generation_config), so the code only passes what the user changed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from core.errors import UserError
from core.params import Bool, Field, Float, Int

SAMPLING = ("temperature", "top_k", "top_p")
LENGTHS = ("max_new_tokens", "max_length", "min_length", "num_beams")

FIELDS: dict[str, Field] = {f.name: f for f in (
    Int("max_new_tokens", 64, 1, 1024, limit="new_tokens", help="Tokens to generate at most"),
    Int("max_length", 0, 0, 1024, limit="new_tokens", help="Output tokens at most; 0 = the model's default"),
    Int("min_length", 0, 0, 512, help="Output tokens at least; 0 = the model's default"),
    Int("num_beams", 0, 0, 8, help="Beam search width; 0 = the model's default, 1 = greedy"),
    Int("num_return_sequences", 1, 1, 5, help="Texts per prompt (needs do_sample or num_beams)"),
    Float("repetition_penalty", 1.0, 1.0, 2.0, step=0.05, help="Above 1 discourages repeating tokens"),
    Int("batch_size", 1, 1, 32, help="Lines per generate call (several lines run as batches)"),
    Bool("do_sample", False, help="Off: greedy (always the likeliest token); on: random choice among likely "
                                  "tokens, repeatable with the seed"),
    Float("temperature", 0.7, 0.05, 2.0, step=0.05, help="Sampling only: lower = safer, higher = more varied"),
    Int("top_k", 50, 0, 200, help="Sampling only: keep the k likeliest tokens; 0 = off"),
    Float("top_p", 0.95, 0.05, 1.0, step=0.05, help="Sampling only: keep the smallest set with this probability"),
    Int("seed", 42, 0, 9_999_999, help="Seed for sampling (set_seed)", widget=(("component", "number"),)),
)}


def generation_fields(*names: str, **defaults: Any) -> tuple[Field, ...]:
    """The fields `names` (in that order), each with the default given for it in `defaults` (else its own)."""
    unknown = set(defaults) - set(names)
    if unknown:
        raise ValueError(f"defaults for fields not asked for: {sorted(unknown)}")
    return tuple(replace(FIELDS[n], default=defaults[n]) if n in defaults else FIELDS[n] for n in names)


def generation_kwargs(params: dict) -> dict:
    """generate() keyword arguments for the (parsed) generation parameters in params, leaving out what keeps
    the model's own default: 0 lengths / num_beams, num_return_sequences 1, repetition_penalty 1.0, and the
    sampling knobs unless do_sample is on (greedy decoding ignores them, and generate warns about them).
    Raises UserError("bad_param") for combinations generate would reject."""
    kwargs: dict = {name: params[name] for name in LENGTHS if params.get(name)}
    if kwargs.get("min_length") and kwargs.get("max_length") and kwargs["min_length"] > kwargs["max_length"]:
        raise UserError("bad_param", name="min_length", detail="must not exceed max_length")
    if "do_sample" in params:
        kwargs["do_sample"] = params["do_sample"]
    sequences = params.get("num_return_sequences", 1)
    if sequences > 1:
        if not kwargs.get("do_sample") and kwargs.get("num_beams", 1) < sequences:
            raise UserError("bad_param", name="num_return_sequences",
                            detail="greedy decoding gives one text: turn on do_sample (or use num_beams >= it)")
        kwargs["num_return_sequences"] = sequences
    if kwargs.get("do_sample"):
        kwargs.update({name: params[name] for name in SAMPLING if name in params})
    if params.get("repetition_penalty", 1.0) != 1.0:
        kwargs["repetition_penalty"] = params["repetition_penalty"]
    return kwargs


def generation_widgets(ctx, task, names: list[str] | tuple[str, ...] | None = None, per_row: int = 4) -> dict:
    """Widgets (from the task's fields) for the generation parameters among `names` (default: every
    parameter of the task this module declares), `per_row` to a row in their declared order; then do_sample
    with seed, then the sampling knobs (temperature, top_k, top_p), each group in its own row.
    Returns name -> component, ready to merge into wire()'s fields."""
    import gradio as gr

    from core.ui import widget

    names = [n for n in (names or task.params) if n in FIELDS and n in task.params]
    sampling = ("do_sample", *SAMPLING, "seed")
    plain = [n for n in names if n not in sampling]
    rows = [plain[i:i + per_row] for i in range(0, len(plain), per_row)]
    rows.append([n for n in names if n in ("do_sample", "seed")])
    rows.append([n for n in names if n in SAMPLING])
    components: dict = {}
    for row in filter(None, rows):
        with gr.Row():
            for name in row:
                components[name] = widget(ctx, task, name)
    return components


# ---- why a generation came out empty ---------------------------------------------------------------------
EMPTY_EOS = ("∅ The model generated no text: its first new token was the end-of-text token {eos}, so generation "
             "stopped at once. Try another prompt, do_sample, or a larger (or instruct) model.")
EMPTY_SPECIAL = ("∅ The model generated no text: its {n} new token(s) ({tokens}) are all special tokens, which "
                 "decoding skips (skip_special_tokens=True).")
EMPTY_BLANK = "∅ The model generated only spaces or line breaks ({n} token(s): {tokens})."
EMPTY_SEQ2SEQ = ("∅ {which} gave no text: the model generated its end-of-text token at once (or only special tokens, "
                 "which decoding skips). Random or untrained models often do; try another model, or min_length.")
EMPTY_NONE = ("∅ The model generated no tokens: the length limit (max_new_tokens / max_length) left no room after "
              "the prompt.")


def empty_generation_note(tokenizer, new_ids: list[int], eos_ids=()):
    """A note saying why a generation's text is empty (or blank), from the ids it generated after the prompt:
    none at all, end-of-text at once (eos_ids: the generation config's, besides the tokenizer's), only special
    tokens, or only whitespace."""
    from core.i18n import note

    new_ids = [int(i) for i in new_ids]
    if not new_ids:
        return note(EMPTY_NONE)
    tokens = tokenizer.convert_ids_to_tokens(new_ids[:8])
    shown = ", ".join(map(repr, tokens)) + (" …" if len(new_ids) > 8 else "")
    eos = {int(i) for i in eos_ids} | ({tokenizer.eos_token_id} if tokenizer.eos_token_id is not None else set())
    if new_ids[0] in eos:
        return note(EMPTY_EOS, eos=repr(tokens[0]))
    if set(new_ids) <= set(tokenizer.all_special_ids):
        return note(EMPTY_SPECIAL, n=len(new_ids), tokens=shown)
    blanks = ", ".join(repr(tokenizer.decode([i])) for i in new_ids[:8]) + (" …" if len(new_ids) > 8 else "")
    return note(EMPTY_BLANK, n=len(new_ids), tokens=blanks)
