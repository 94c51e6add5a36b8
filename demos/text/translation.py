"""translation: translate each line. transformers 5 removed pipeline("translation"), so it runs
AutoModelForSeq2SeqLM + generate (see seq2seq_common) with the prefix the model wants for src_lang -> tgt_lang:
T5's "translate English to French: " from config.task_specific_params, a ">>lang<<" token for multi-target
opus-mt models, nothing for single-pair models (opus-mt-ko-en)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.codegen import py
from core.errors import UserError
from core.params import Choice
from core.registry import TaskSpec
from demos.text.generation_fields import generation_fields, generation_kwargs
from demos.text.seq2seq_common import (
    ARCHITECTURES,
    LOADER,
    MODEL_TYPES,
    build_seq2seq,
    max_length_notes,
    max_new_tokens_field,
    num_beams_field,
    pipeline_kwargs,
    seq2seq_code,
    seq2seq_requests,
    task_params_of,
    text_input,
    with_notes,
)

LANGUAGES = ("en", "fr", "de", "ro", "ko")  # offered in the dropdowns; any other code may be typed
OPEN = (("allow_custom_value", True),)  # the dropdown takes typed codes too
CODE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")


@dataclass(frozen=True)
class LanguageCode(Choice):
    """A language code: one of the offered choices, or any other code a model uses (opus-mt's "kor",
    NLLB's "kor_Hang", mBART's "ko_KR"): a letter, then at most 31 letters, digits, "_" or "-"."""

    kind = "language"

    def parse(self, value: Any) -> str:
        text = "" if value is None else str(value).strip()
        if text.lower() in self.choices or not text:
            return text.lower() or self.default
        if not CODE.fullmatch(text):
            raise self.bad(f"expected a language code such as {', '.join(self.choices)}; got {text[:40]!r}")
        return text


def translation_prefix(tokenizer, config, src_lang: str, tgt_lang: str) -> tuple[str, dict]:
    """(prefix, generation defaults) for translating src_lang -> tgt_lang with this model.

    T5 names its pairs in config.task_specific_params ("translation_en_to_fr" -> "translate English to
    French: "); multi-target opus-mt models want a ">>lang<<" token first; single-pair models (opus-mt-ko-en)
    need neither and ignore the languages. A pair the model does not offer is a UserError.
    """
    key = f"translation_{src_lang}_to_{tgt_lang}"
    pairs = [k for k in (getattr(config, "task_specific_params", None) or {}) if k.startswith("translation_")]
    if pairs and key not in pairs:
        offered = ", ".join(sorted(k.removeprefix("translation_").replace("_to_", "→") for k in pairs))
        raise UserError("bad_param", name="src_lang/tgt_lang",
                        detail=f"this model translates {offered}; for {src_lang}→{tgt_lang} pick a model made for it "
                               "(e.g. Helsinki-NLP/opus-mt-ko-en for ko→en)")
    prefix, defaults = task_params_of(config, key)
    vocab = tokenizer.get_vocab()
    codes = sorted(t[2:-2] for t in vocab if t.startswith(">>") and t.endswith("<<"))
    if f">>{tgt_lang}<<" in vocab:
        prefix = f">>{tgt_lang}<< "
    elif len(codes) > 1:
        raise UserError("bad_param", name="tgt_lang",
                        detail=f"this model translates into several languages; choose one of: {', '.join(codes[:40])}")
    return prefix, defaults


def batch(bundle, inputs_list: list[dict], params: dict) -> list:
    """run's result per request, every request's lines generated together (seq2seq_requests)."""
    src, tgt = params["src_lang"], params["tgt_lang"]
    prefix, _ = translation_prefix(bundle.processor, bundle.config, src, tgt)
    user = generation_kwargs(params)
    _, kwargs = pipeline_kwargs(bundle, f"translation_{src}_to_{tgt}", user)
    notes = max_length_notes(bundle, user)
    return [with_notes(results, notes) for results in seq2seq_requests(
        bundle, [inputs["text"] for inputs in inputs_list], output_key="translation_text", prefix=prefix,
        kwargs=kwargs, batch_size=params["batch_size"])]


def run(bundle, inputs: dict, params: dict):
    """[{"translation_text": str, "truncated": bool}] per input line, with a note on the lines that were cut."""
    return batch(bundle, [inputs], params)[0]


def code(ref, inputs: dict, params: dict, place) -> str:
    src, tgt = params["src_lang"], params["tgt_lang"]
    prefix = ("# multi-target opus-mt models want a >>lang<< token first (single-pair models ignore the languages)",
              f"if {py(f'>>{tgt}<<')} in tokenizer.get_vocab():",
              f"    prefix = {py(f'>>{tgt}<< ')}")
    return seq2seq_code("translation", f"translation_{src}_to_{tgt}", ref, place, inputs["text"],
                        output_key="translation_text", user=generation_kwargs(params), batch_size=params["batch_size"],
                        prefix_lines=prefix)


EXAMPLES = [
    ["translate English to French: Hugging Face is a community-based open-source platform for machine learning.",
     "en", "fr"],
    ["The house is wonderful.\nI like to read books in the evening.", "en", "de"],
    ["허깅페이스는 머신러닝을 위한 커뮤니티 기반 오픈소스 플랫폼입니다.", "ko", "en"],
    ["Hugging Face is a community-based open-source platform for machine learning.", "en", "ko"],
]


def build(ctx) -> None:
    build_seq2seq(ctx, TASK, result_label="Translation", output_key="translation_text", rows=EXAMPLES,
                  languages={"src_lang": "translation_src", "tgt_lang": "translation_tgt"})


TASK = TaskSpec(
    id="translation",
    title="Translation",
    loader=LOADER,
    default_model="google-t5/t5-small",
    models=("Helsinki-NLP/opus-mt-ko-en", "Helsinki-NLP/opus-mt-tc-big-en-ko", "google-t5/t5-base"),
    run=run,
    batch=batch,
    code=code,
    inputs=(text_input(),),
    params=(
        LanguageCode("src_lang", "en", LANGUAGES, label="Source language (src_lang)", widget=OPEN),
        LanguageCode("tgt_lang", "fr", LANGUAGES, label="Target language (tgt_lang)", widget=OPEN),
        *generation_fields("max_length"), max_new_tokens_field(), num_beams_field(), *generation_fields("batch_size"),
    ),
    architectures=ARCHITECTURES,
    model_types=MODEL_TYPES,
    description="Translate each line (removed from 5.x pipelines: AutoModelForSeq2SeqLM).",
    build=build,
)
