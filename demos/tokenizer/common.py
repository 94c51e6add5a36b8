"""What the tokenizer tasks share: the loader and curated tokenizers, the fields tokenize and compare both
take, one encoded sequence as the tab shows it (with its notes), and the first lines of every snippet.

No gradio, and transformers is never imported here (the loaded tokenizer comes in).
"""

from __future__ import annotations

from typing import Any

from core.codegen import from_pretrained, py
from core.i18n import Note, note
from core.params import Bool, Int
from core.registry import Loader
from demos.tokenizer.anatomy import added_ids_of, is_byte_level, max_length_of, needs_readable, readable_pieces

LOADER = Loader.auto(None, "AutoTokenizer")  # only the tokenizer loads, never the model
CURATED = (
    "google-bert/bert-base-uncased",
    "google-bert/bert-base-cased",
    "beomi/kcbert-base",
    "openai-community/gpt2",
    "FacebookAI/xlm-roberta-base",
    "klue/bert-base",
    "HuggingFaceTB/SmolLM2-135M-Instruct",
)
DEFAULT = "google-bert/bert-base-uncased"

VIEW_LIMIT = 1000       # tokens listed per sequence unless the user asks for more (0 = all)
CODE_TEXT_LIMIT = 2000  # longer texts are shortened in the code panel (with a comment)
HANGUL_JAMO = range(0x1100, 0x1200)

# the fields tokenize and tokenizer-compare both take (declared once)
ADD_SPECIAL_TOKENS = Bool("add_special_tokens", True, help="Add [CLS]/[SEP], <s>/</s>... as the model expects")
VIEW = Int("view_limit", VIEW_LIMIT, 0, 100_000, step=100, widget=(("component", "number"),),
           help="Tokens listed per text (0 = all); the counts are always exact")


def tokenizer_of(loaded: Any):
    """The tokenizer inside a Bundle (or the object itself)."""
    processor = getattr(loaded, "processor", None)
    return loaded if processor is None else processor


def flag(value: str) -> Any:
    """'True'/'False' choices as booleans; other choices ('longest', ...) stay strings."""
    return {"True": True, "False": False}.get(value, value)


def sequence_view(tokenizer, enc, index: int, row: dict, text: str, pair: str | None,
                  limit: int) -> tuple[dict, list[Note]]:
    """One encoded sequence for the output: the encoding's fields, tokens, word ids, readable pieces and
    exact counts (lists cut to `limit` tokens, 0 = all), and the notes about it."""
    ids = row["input_ids"]
    total = len(ids)
    tokens = enc.tokens(index) if tokenizer.is_fast else tokenizer.convert_ids_to_tokens(ids)
    special = row.get("special_tokens_mask") or [0] * total
    mask = row.get("attention_mask") or [1] * total
    unk = tokenizer.unk_token_id
    content = [i for i, s in enumerate(special) if not s]
    words = len(text.split()) + (len(pair.split()) if pair else 0)
    counts = {
        "characters": len(text) + (len(pair) if pair else 0),
        "words": words,
        "tokens": total,
        "special_tokens": sum(1 for s, m in zip(special, mask) if s and m),
        "padding_tokens": mask.count(0),
        "unknown_tokens": sum(1 for i in content if unk is not None and ids[i] == unk),
        "tokens_per_word": round(len(content) / words, 2) if words else None,
    }
    cut = limit if limit and total > limit else total
    out: dict[str, Any] = {key: list(value)[:cut] for key, value in row.items()}
    if "offset_mapping" in out:
        out["offset_mapping"] = [list(o) for o in out["offset_mapping"]]
    out["tokens"] = tokens[:cut]
    if tokenizer.is_fast:
        out["word_ids"] = enc.word_ids(index)[:cut]
        if pair is not None:
            out["sequence_ids"] = enc.sequence_ids(index)[:cut]
    if needs_readable(tokenizer, tokens[:cut]):
        out["readable"] = readable_pieces(tokens[:cut], ids[:cut], added_ids_of(tokenizer), is_byte_level(tokenizer))
    out["counts"] = counts
    out["view"] = {"shown": cut, "total": total, "limited": cut < total}
    notes = []
    if cut < total:
        notes.append(note("Showing the first {cut:,} of {total:,} tokens (view_limit); the counts are exact.",
                          cut=cut, total=total))
    model_max = max_length_of(tokenizer)
    if model_max and total > model_max:
        notes.append(note("{total:,} tokens is more than this tokenizer's model_max_length ({model_max:,}): a model "
                          "would fail on it; use truncation=True (or split the text).", total=total, model_max=model_max))
    if counts["unknown_tokens"]:
        notes.append(note("{n} token(s) are unknown ({unk}): the vocabulary has no piece for that text, the model "
                          "sees no difference between them.", n=counts["unknown_tokens"], unk=tokenizer.unk_token))
    if any(ord(c) in HANGUL_JAMO for t in tokens[:cut] for c in t):
        notes.append(note("Hangul syllables were split into letters (jamo, e.g. ᄋ ᅡ ᆫ): this normalizer decomposes "
                          "text (NFD, strip accents / lowercase). Korean tokenizers such as beomi/kcbert-base or "
                          "klue/bert-base keep syllables."))
    return out, notes


def text_literal(text: str) -> str:
    """A text as a Python literal for the code panel; very long texts are shortened, with a comment."""
    if len(text) <= CODE_TEXT_LIMIT:
        return py(text)
    return f"{py(text[:200])}  # shortened here: paste your full {len(text):,}-character text"


def load_lines(ref) -> list[str]:
    return ["from transformers import AutoTokenizer", "", from_pretrained("AutoTokenizer", ref, var="tokenizer")]
