"""Examples that fit the chosen tokenizer: the Decode and Look-up examples' ids and tokens come from the
tokenizer in the picker (ids of one tokenizer are gibberish in another: BERT's 2572 is "uiquiment" in
SmolLM2), made again when the model changes.

At build time the default's tokenizer is read with the `tokenizers` library from its tokenizer.json (cheap,
no transformers import); after a model change the loaded transformers tokenizer gives them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

SENTENCE = "I am a boy."
WORDS = "I am a boy"


@dataclass(frozen=True)
class Samples:
    """The pieces the examples are made of, from one tokenizer."""

    sentence_ids: list[int]   # SENTENCE encoded with special tokens
    word_tokens: list[str]    # WORDS tokenized (no special tokens)
    word_ids: list[int]
    specials: list[str]       # up to five special tokens
    special_ids: list[int]


def _ids(ids) -> str:
    return ", ".join(map(str, ids))


def decode_rows(s: Samples | None) -> list[list[str]]:
    """(ids, text) rows for Decode: the sample sentence's ids first, then texts to round-trip."""
    texts = [["", SENTENCE], ["", "안녕하세요, 토크나이저!"], ["", "Don't think he knows about second breakfast, Pip."]]
    return ([[_ids(s.sentence_ids), ""]] if s else []) + texts


def lookup_rows(s: Samples | None) -> list[list[str]]:
    """(tokens, ids) rows for Look up tokens: the words' tokens with the first word's id, the special tokens
    with their ids, and a mix of spellings from other vocabularies (some unknown here) with the first ids."""
    mix = ["안녕 ▁안녕 Ġhello ##ing", "0, 1, 2"]
    if s is None:
        return [mix]
    return [[" ".join(s.word_tokens), _ids(s.word_ids[:1])],
            [" ".join(s.specials), _ids(s.special_ids)],
            mix]


def from_tokenizer(tokenizer) -> Samples:
    """Samples from a loaded transformers tokenizer."""
    tokens = tokenizer.tokenize(WORDS)
    named = [getattr(tokenizer, name, None) for name in NAMED]
    pairs = sorted({(tokenizer.convert_tokens_to_ids(t), t) for t in named if isinstance(t, str)})[:5]
    return Samples(list(tokenizer(SENTENCE)["input_ids"]), tokens, tokenizer.convert_tokens_to_ids(tokens),
                   [t for _, t in pairs], [i for i, _ in pairs])


NAMED = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")


def _config(folder: Path) -> dict:
    """tokenizer_config.json with special_tokens_map.json's names on top (either may be missing)."""
    out: dict = {}
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        try:
            out |= json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    return out


def _content(token) -> str | None:
    """A special token as written in a config: a string or an AddedToken dict."""
    token = token.get("content") if isinstance(token, dict) else token
    return token if isinstance(token, str) and token else None


def from_folder(folder: str | Path) -> Samples | None:
    """Samples read from a local folder's tokenizer.json (None without one, or when it does not load)."""
    path = Path(folder) / "tokenizer.json"
    if not path.is_file():
        return None
    try:
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(path))
        tok.no_padding()
        tok.no_truncation()
        words = tok.encode(WORDS, add_special_tokens=False)
        config = _config(Path(folder))
        named = {_content(config.get(name)) for name in NAMED} - {None}
        pairs = sorted((tok.token_to_id(t), t) for t in named if tok.token_to_id(t) is not None)[:5]
        return Samples(tok.encode(SENTENCE).ids, list(words.tokens), list(words.ids),
                       [t for _, t in pairs], [i for i, _ in pairs])
    except Exception:  # an unreadable tokenizer.json: the examples without ids
        return None


# what google-bert/bert-base-uncased (the default online) gives, so the unloaded Hub default has examples too
BERT_UNCASED = Samples([101, 1045, 2572, 1037, 2879, 1012, 102], ["i", "am", "a", "boy"], [1045, 2572, 1037, 2879],
                       ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], [0, 100, 101, 102, 103])


def at_build(value: str, default_hub_id: str) -> Samples | None:
    """Samples for the picker's initial value: a local folder's tokenizer.json, the known BERT ids for the
    Hub default, else none (rows with texts only)."""
    if value == default_hub_id == "google-bert/bert-base-uncased":
        return BERT_UNCASED
    return from_folder(value) if Path(value).is_absolute() else None


def for_model(models, task, model_id: str) -> Samples | None:
    """Samples from the tokenizer `model_id` loaded through the model manager; None when it does not load
    (the examples then stay as they were: the run will say what is wrong with the model)."""
    from core.errors import UserError
    from demos.tokenizer.common import tokenizer_of

    if not model_id:
        return None
    try:
        entry, _ = models.get(task.loader, model_id, task=task)
        return from_tokenizer(tokenizer_of(entry.obj))
    except (UserError, OSError, ValueError):
        return None
