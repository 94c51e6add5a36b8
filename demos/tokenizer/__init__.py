"""Tokenizer tab: everything the study notes do by hand with tokenizer(...), encode/decode and
convert_tokens_to_ids / convert_ids_to_tokens, made visible for any tokenizer, side by side, readable for
Korean. Only tokenizers load (Loader.auto(None, "AutoTokenizer")): any folder with tokenizer files fits.

One file per task, named by its id (tokenize, tokenizer_compare, decode, token_lookup, add_tokens,
chat_template); shared pieces: anatomy (facts, readable byte-level tokens, the tab's input fields), common
(loader, shared fields, one encoded sequence), view (HTML of tokens and encodings). None imports gradio.
"""

from __future__ import annotations

from dataclasses import replace

from core.registry import subtabs, task_modules

# sub-tab order (a task file not named here comes last)
ORDER = ("tokenize", "tokenizer-compare", "decode", "token-lookup", "add-tokens", "chat-template")
INTRO = ("How text becomes the numbers a model reads. Works with any tokenizer: a Hub id or a local folder with "
         "tokenizer files (only the tokenizer is loaded, never the model).")

_SUBTABS = subtabs(id="tokenizer", title="Tokenizer", order=50, tasks=task_modules(__name__, ORDER))


def build(ctx) -> None:
    """The tab's one-line introduction above its sub-tabs."""
    import gradio as gr

    gr.Markdown(ctx.tr(INTRO))
    _SUBTABS.build(ctx)


SPEC = replace(_SUBTABS, build=build)
