"""Tokenizer tab: everything the study notes do by hand with tokenizer(...), encode/decode and
convert_tokens_to_ids / convert_ids_to_tokens, made visible for any tokenizer, side by side, readable for
Korean. Only tokenizers load (Loader.auto(None, "AutoTokenizer")): any folder with tokenizer files fits.

anatomy: facts, readable byte-level tokens, input parsing · tasks: the TaskSpecs (run + code) ·
view: HTML of tokens and encodings · labels: Korean text · ui: the gradio widgets (imported only when the tab is built).
"""

from __future__ import annotations

from core.registry import TabSpec
from demos.tokenizer.labels import KOREAN
from demos.tokenizer.tasks import TASKS


def build(ctx) -> None:
    from demos.tokenizer.ui import KOREAN as RESULT_KOREAN
    from demos.tokenizer.ui import build as build_tab

    ctx.tr.add_korean(RESULT_KOREAN)  # the texts results show (core.i18n.say), read when a result is drawn
    build_tab(ctx)


SPEC = TabSpec(id="tokenizer", title="Tokenizer", order=50, tasks=TASKS, build=build, korean=KOREAN)
