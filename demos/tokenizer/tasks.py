"""The tokenizer tasks: tokenize, compare, decode, look up, add tokens, chat template.

Each run function takes the loaded Bundle (model None, processor = the tokenizer) and returns plain JSON
data; each code function returns the transformers 5 snippet that makes the same calls.
"""

from __future__ import annotations

from typing import Any

from core.codegen import call_args, from_pretrained, py
from core.errors import UserError
from core.registry import Loader, TaskSpec
from demos.tokenizer.anatomy import (
    added_ids_of,
    detached_copy,
    is_byte_level,
    max_length_of,
    needs_readable,
    parse_ids,
    parse_messages,
    parse_new_tokens,
    parse_tokens,
    readable_pieces,
    token_bytes,
    tokenizer_facts,
)

LOADER = Loader.auto(None, "AutoTokenizer")
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
CHAT_DEFAULT = "HuggingFaceTB/SmolLM2-135M-Instruct"

PADDING = ("False", "True", "longest", "max_length")
TRUNCATION = ("False", "True", "longest_first", "only_first", "only_second")
TENSORS = ("list", "pt", "np")
VIEW_LIMIT = 1000       # tokens listed per sequence unless the user asks for more (0 = all)
MAX_SEQUENCES = 32      # sequences listed at most; counts cover all of them
CODE_TEXT_LIMIT = 2000  # longer texts are shortened in the code panel (with a comment)


def tokenizer_of(loaded: Any):
    """The tokenizer inside a Bundle (or the object itself)."""
    processor = getattr(loaded, "processor", None)
    return loaded if processor is None else processor


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _number(params: dict, name: str, default: int) -> int:
    value = params.get(name, default)
    if value is None or value == "":
        return default
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        raise UserError("bad_param", name=name, detail=f"expected a whole number, got {value!r}") from None
    if number < 0:
        raise UserError("bad_param", name=name, detail="must be 0 or more")
    return number


def _choice(params: dict, name: str, choices: tuple[str, ...], default: str) -> str:
    value = str(params.get(name, default) if params.get(name) is not None else default)
    if value not in choices:
        raise UserError("bad_param", name=name, detail=f"one of {', '.join(choices)}")
    return value


def _flag(value: Any) -> Any:
    """'True'/'False' choices as booleans; other choices ('longest', ...) stay strings."""
    return {"True": True, "False": False}.get(value, value)


# ---- tokenize ----------------------------------------------------------------------------------
def texts_of(inputs: dict, params: dict) -> tuple[list[str], list[str] | None, bool]:
    """(texts, pairs or None, batched) from the text and text_pair inputs.

    With split_lines (the default) each non-empty line is one text of a batch; text_pair lines pair with
    the text lines in order (one pair line pairs with every text)."""
    text = _text(inputs.get("text"))
    pair = _text(inputs.get("text_pair"))
    split = params.get("split_lines", True) not in (False, "False", "false", 0)
    texts = [t for t in text.splitlines() if t.strip()] if split else ([text] if text.strip() else [])
    if not texts:
        raise UserError("empty_input", what="Text")
    pairs = None
    if pair.strip():
        pairs = [p for p in pair.splitlines() if p.strip()] if split else [pair]
        if len(pairs) == 1 and len(texts) > 1:
            pairs = pairs * len(texts)
        if len(pairs) != len(texts):
            raise UserError("bad_param", name="text_pair",
                            detail=f"{len(pairs)} lines for {len(texts)} texts: give one line, or one per text")
    return texts, pairs, len(texts) > 1


def encode_kwargs(params: dict) -> dict:
    """tokenizer(...) keyword arguments the user chose (defaults left out, as in the code panel)."""
    kwargs: dict[str, Any] = {}
    if params.get("add_special_tokens", True) in (False, "False", "false", 0):
        kwargs["add_special_tokens"] = False
    padding = _choice(params, "padding", PADDING, "False")
    truncation = _choice(params, "truncation", TRUNCATION, "False")
    max_length = _number(params, "max_length", 0)
    if padding != "False":
        kwargs["padding"] = _flag(padding)
    if truncation != "False":
        kwargs["truncation"] = _flag(truncation)
    if max_length:
        kwargs["max_length"] = max_length
    return kwargs


def _check_lengths(tokenizer, kwargs: dict, pairs: list[str] | None) -> None:
    """Clear errors where transformers would only warn and silently do nothing, or fail obscurely."""
    truncation = kwargs.get("truncation")
    if truncation == "only_second" and not pairs:
        raise UserError("bad_param", name="truncation", detail="only_second cuts the second text: give a text_pair")
    special = tokenizer.num_special_tokens_to_add(pair=bool(pairs)) if kwargs.get("add_special_tokens", True) else 0
    if truncation and kwargs.get("max_length") and kwargs["max_length"] <= special:
        raise UserError("bad_param", name="max_length",
                        detail=f"leave room for text: this tokenizer adds {special} special tokens by itself")
    if kwargs.get("max_length") or max_length_of(tokenizer):
        return
    if kwargs.get("padding") == "max_length":
        raise UserError("bad_param", name="padding",
                        detail="max_length padding needs a max_length: this tokenizer has no model_max_length")
    if kwargs.get("truncation"):
        raise UserError("bad_param", name="truncation",
                        detail="truncation needs a max_length: this tokenizer has no model_max_length")


def _call(tokenizer, texts: list[str], pairs: list[str] | None, batched: bool, kwargs: dict):
    first = texts if batched else texts[0]
    if pairs is None:
        return tokenizer(first, **kwargs)
    return tokenizer(first, text_pair=pairs if batched else pairs[0], **kwargs)


def _rows(value: Any, batched: bool) -> list:
    return list(value) if batched else [value]


HANGUL_JAMO = range(0x1100, 0x1200)


def sequence_view(tokenizer, enc, index: int, row: dict, text: str, pair: str | None, limit: int) -> dict:
    """One encoded sequence for the output: the encoding's fields, tokens, word ids, readable pieces and
    exact counts; lists are cut to `limit` tokens (0 = all)."""
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
        notes.append(f"Showing the first {cut:,} of {total:,} tokens (view_limit); the counts are exact.")
    model_max = max_length_of(tokenizer)
    if model_max and total > model_max:
        notes.append(f"{total:,} tokens is more than this tokenizer's model_max_length ({model_max:,}): "
                     "a model would fail on it; use truncation=True (or split the text).")
    if counts["unknown_tokens"]:
        notes.append(f"{counts['unknown_tokens']} token(s) are unknown ({tokenizer.unk_token}): "
                     "the vocabulary has no piece for that text, the model sees no difference between them.")
    if any(ord(c) in HANGUL_JAMO for t in tokens[:cut] for c in t):
        notes.append("Hangul syllables were split into letters (jamo, e.g. ᄋ ᅡ ᆫ): this normalizer decomposes "
                     "text (NFD, strip accents / lowercase). Korean tokenizers such as beomi/kcbert-base or "
                     "klue/bert-base keep syllables.")
    out["notes"] = notes
    return out


def _tensor_info(tokenizer, texts, pairs, batched, kwargs, return_tensors: str, lengths: list[int]) -> dict:
    """Shape and dtype of each field with return_tensors (computed for real), or the list lengths."""
    if return_tensors == "list":
        return {"return_tensors": None, "lengths": lengths}
    try:
        tensors = _call(tokenizer, texts, pairs, batched, {**kwargs, "return_tensors": return_tensors})
    except ValueError as exc:
        if len(set(lengths)) > 1:
            raise UserError("bad_param", name="return_tensors",
                            detail=f"the texts have different lengths ({', '.join(map(str, lengths[:8]))} tokens) and "
                                   "a tensor must be rectangular: choose padding True, longest or max_length") from None
        raise UserError("bad_param", name="return_tensors", detail=str(exc).splitlines()[0][:200]) from None
    info: dict[str, Any] = {"return_tensors": return_tensors}
    for name, value in tensors.items():
        info[name] = {"shape": list(value.shape), "dtype": str(value.dtype)}
    return info


def run_tokenize(loaded, inputs: dict, params: dict) -> dict:
    """The encoding of one text (flat lists) or of a batch (one entry per text in "sequences"), with
    tokens, word ids, offsets, exact counts, the tensors' shape/dtype and the tokenizer's facts."""
    tokenizer = tokenizer_of(loaded)
    texts, pairs, batched = texts_of(inputs, params)
    kwargs = encode_kwargs(params)
    _check_lengths(tokenizer, kwargs, pairs)
    return_tensors = _choice(params, "return_tensors", TENSORS, "list")
    limit = _number(params, "view_limit", VIEW_LIMIT)
    view = dict(kwargs, return_special_tokens_mask=True)
    if tokenizer.is_fast:
        view["return_offsets_mapping"] = True
    try:
        enc = _call(tokenizer, texts, pairs, batched, view)
    except Exception as exc:  # the tokenizers library's own refusal, e.g. only_first on a too short text
        if "Truncation error" not in str(exc):
            raise
        raise UserError("bad_param", name="truncation", detail=str(exc).replace("Truncation error: ", "")) from None
    names = list(enc.keys())
    columns = {name: _rows(enc[name], batched) for name in names}
    sequences = []
    for i in range(min(len(texts), MAX_SEQUENCES)):
        row = {name: columns[name][i] for name in names}
        sequences.append(sequence_view(tokenizer, enc, i, row, texts[i], pairs[i] if pairs else None, limit))
    lengths = [len(ids) for ids in columns["input_ids"]]
    out: dict[str, Any]
    if batched:
        out = {"sequences": sequences, "batch_size": len(texts), "lengths": lengths, "total_tokens": sum(lengths)}
        if len(texts) > MAX_SEQUENCES:
            out["notes"] = [f"Showing the first {MAX_SEQUENCES} of {len(texts)} texts; the lengths cover all."]
    else:
        out = sequences[0]
    out["tensors"] = _tensor_info(tokenizer, texts, pairs, batched, kwargs, return_tensors, lengths)
    out["tokenizer"] = tokenizer_facts(tokenizer)
    return out


def _text_literal(text: str) -> str:
    if len(text) <= CODE_TEXT_LIMIT:
        return py(text)
    return f"{py(text[:200])}  # shortened here: paste your full {len(text):,}-character text"


def load_lines(ref) -> list[str]:
    return ["from transformers import AutoTokenizer", "", from_pretrained("AutoTokenizer", ref, var="tokenizer")]


def code_tokenize(ref, inputs: dict, params: dict, place=None) -> str:
    texts, pairs, batched = texts_of(inputs, params)
    kwargs = encode_kwargs(params)
    return_tensors = _choice(params, "return_tensors", TENSORS, "list")
    lines = load_lines(ref)
    if batched:
        lines.append(f"texts = {py(texts)}")
        args = "texts"
        if pairs:
            lines.append(f"pairs = {py(pairs)}")
            args += ", text_pair=pairs"
    else:
        lines.append(f"text = {_text_literal(texts[0])}")
        args = "text"
        if pairs:
            lines.append(f"pair = {_text_literal(pairs[0])}")
            args += ", text_pair=pair"
    extra = call_args(**kwargs)
    call = f"{args}, {extra}" if extra else args
    lines += [
        f"encoding = tokenizer({call}, return_special_tokens_mask=True, return_offsets_mapping=True)",
        "print(encoding)  # input_ids, token_type_ids, attention_mask, special_tokens_mask, offset_mapping",
    ]
    if batched:
        lines += ["for i in range(len(texts)):",
                  "    print(encoding.tokens(i))    # the coloured tokens",
                  "    print(encoding.word_ids(i))  # the word of each token (None: a special token)"]
    else:
        lines += ["print(encoding.tokens())    # the coloured tokens",
                  "print(encoding.word_ids())  # the word of each token (None: a special token)"]
    if return_tensors != "list":
        lines += ["",
                  "# What a model takes: tensors (every row must have the same length)",
                  f"tensors = tokenizer({call}, return_tensors={return_tensors!r})",
                  "print({name: (tuple(value.shape), value.dtype) for name, value in tensors.items()})"]
    return "\n".join(lines) + "\n"


TOKENIZE = TaskSpec(
    id="tokenize",
    title="Tokenize",
    loader=LOADER,
    default_model=DEFAULT,
    models=CURATED,
    run=run_tokenize,
    code=code_tokenize,
    inputs=("text", "text_pair"),
    params={"add_special_tokens": True, "padding": "False", "truncation": "False", "max_length": 0,
            "return_tensors": "list", "split_lines": True, "view_limit": VIEW_LIMIT},
    architectures=(),
    description="Tokens, ids, offsets and the whole encoding of a text or a batch, with the tokenizer's facts.",
)


# ---- compare -----------------------------------------------------------------------------------
def run_compare_one(loaded, inputs: dict, params: dict) -> dict:
    """One tokenizer's side of a comparison: tokens, ids, readable pieces, counts, facts."""
    tokenizer = tokenizer_of(loaded)
    text = _text(inputs.get("text"))
    if not text.strip():
        raise UserError("empty_input", what="Text")
    kwargs = encode_kwargs({"add_special_tokens": params.get("add_special_tokens", True)})
    view = dict(kwargs, return_special_tokens_mask=True)
    if tokenizer.is_fast:
        view["return_offsets_mapping"] = True
    enc = tokenizer(text, **view)
    row = {name: enc[name] for name in enc.keys()}
    out = sequence_view(tokenizer, enc, 0, row, text, None, _number(params, "view_limit", VIEW_LIMIT))
    out["tokenizer"] = tokenizer_facts(tokenizer)
    return out


def code_compare(refs: list, inputs: dict, params: dict) -> str:
    text = _text(inputs.get("text"))
    kwargs = encode_kwargs({"add_special_tokens": params.get("add_special_tokens", True)})
    extra = call_args(**kwargs)
    names = [ref.source for ref in refs]
    lines = ["from transformers import AutoTokenizer", "", f"text = {_text_literal(text)}",
             f"for name in {py(names)}:",
             "    tokenizer = AutoTokenizer.from_pretrained(name)",
             f"    encoding = tokenizer(text{', ' + extra if extra else ''})",
             "    print(name, type(tokenizer).__name__, tokenizer.vocab_size, len(encoding['input_ids']), 'tokens')",
             "    print(encoding.tokens())"]
    return "\n".join(lines) + "\n"


COMPARE = TaskSpec(
    id="tokenizer-compare",
    title="Compare tokenizers",
    loader=LOADER,
    default_model=DEFAULT,
    models=CURATED,
    run=run_compare_one,
    code=lambda ref, inputs, params, place=None: code_compare([ref], inputs, params),
    inputs=("text",),
    params={"add_special_tokens": True, "view_limit": VIEW_LIMIT},
    architectures=(),
    description="2-4 tokenizers on the same text, side by side (the CLI runs one tokenizer per call).",
)


# ---- decode ------------------------------------------------------------------------------------
def _first_difference(a: str, b: str) -> int | None:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return None if len(a) == len(b) else min(len(a), len(b))


def decode_kwargs(params: dict) -> dict:
    cleanup = _choice(params, "clean_up_tokenization_spaces", ("default", "True", "False"), "default")
    return {} if cleanup == "default" else {"clean_up_tokenization_spaces": _flag(cleanup)}


def run_decode(loaded, inputs: dict, params: dict) -> dict:
    """decode(ids) with and without special tokens; with a text, its round trip (encode then decode)."""
    tokenizer = tokenizer_of(loaded)
    text = _text(inputs.get("text"))
    raw_ids = inputs.get("ids")
    if (raw_ids is None or not str(raw_ids).strip()) and text.strip():
        ids = tokenizer(text)["input_ids"]
    else:
        ids = parse_ids(raw_ids, "Token ids", vocab=len(tokenizer))
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


def code_decode(ref, inputs: dict, params: dict, place=None) -> str:
    text = _text(inputs.get("text"))
    raw_ids = inputs.get("ids")
    extra = call_args(**decode_kwargs(params))
    extra = f", {extra}" if extra else ""
    lines = load_lines(ref)
    if (raw_ids is None or not str(raw_ids).strip()) and text.strip():
        lines += [f"text = {_text_literal(text)}", "ids = tokenizer(text)['input_ids']"]
    else:
        lines.append(f"ids = {py(parse_ids(raw_ids, 'Token ids'))}")
        if text.strip():
            lines.append(f"text = {_text_literal(text)}")
    lines += ["print(tokenizer.convert_ids_to_tokens(ids))",
              f"print(tokenizer.decode(ids{extra}))",
              f"print(tokenizer.decode(ids, skip_special_tokens=True{extra}))"]
    if text.strip():
        lines.append(f"print(tokenizer.decode(ids, skip_special_tokens=True{extra}) == text)  # the round trip")
    return "\n".join(lines) + "\n"


DECODE = TaskSpec(
    id="decode",
    title="Decode",
    loader=LOADER,
    default_model=DEFAULT,
    models=CURATED,
    run=run_decode,
    code=code_decode,
    inputs=("ids", "text"),
    params={"clean_up_tokenization_spaces": "default"},
    architectures=(),
    description="Token ids back to text, with and without special tokens, and the round trip of a text.",
)


# ---- token lookup ------------------------------------------------------------------------------
def run_token_lookup(loaded, inputs: dict, params: dict) -> dict:
    """convert_tokens_to_ids and convert_ids_to_tokens, with whether each token is in the vocabulary and,
    for those that are not, how the tokenizer would split that text instead."""
    tokenizer = tokenizer_of(loaded)
    has_tokens = bool(_text(inputs.get("tokens")).strip()) or isinstance(inputs.get("tokens"), list)
    has_ids = bool(_text(inputs.get("ids")).strip()) or isinstance(inputs.get("ids"), list)
    if not has_tokens and not has_ids:
        raise UserError("empty_input", what="Tokens")
    out: dict[str, Any] = {"unk_token": tokenizer.unk_token, "unk_token_id": tokenizer.unk_token_id}
    added = added_ids_of(tokenizer)
    byte_level = is_byte_level(tokenizer)
    special_ids = set(tokenizer.all_special_ids)
    if has_tokens:
        tokens = parse_tokens(inputs.get("tokens"), "Tokens")
        ids = tokenizer.convert_tokens_to_ids(tokens)
        details = []
        for token, token_id in zip(tokens, ids):
            known = token_id is not None and (token_id != tokenizer.unk_token_id or token == tokenizer.unk_token)
            row: dict[str, Any] = {"token": token, "id": token_id, "in_vocabulary": known}
            if not known:
                pieces = tokenizer.tokenize(token)
                row["tokenized_as"] = pieces
                row["tokenized_ids"] = tokenizer.convert_tokens_to_ids(pieces)
            details.append(row)
        out["tokens_to_ids"] = {"tokens": tokens, "ids": ids, "details": details}
    if has_ids:
        ids = parse_ids(inputs.get("ids"), "Token ids", vocab=len(tokenizer))
        tokens = tokenizer.convert_ids_to_tokens(ids)
        details = []
        for token, token_id in zip(tokens, ids):
            raw = token_bytes(token, byte_level=byte_level, added=token_id in added)
            text = raw.decode("utf-8", errors="replace")
            details.append({"id": token_id, "token": token, "readable": text, "bytes": raw.hex(" "),
                            "special": token_id in special_ids})
        out["ids_to_tokens"] = {"ids": ids, "tokens": tokens, "details": details}
    return out


def code_token_lookup(ref, inputs: dict, params: dict, place=None) -> str:
    lines = load_lines(ref)
    if _text(inputs.get("tokens")).strip() or isinstance(inputs.get("tokens"), list):
        lines.append(f"print(tokenizer.convert_tokens_to_ids({py(parse_tokens(inputs.get('tokens'), 'Tokens'))}))")
    if _text(inputs.get("ids")).strip() or isinstance(inputs.get("ids"), list):
        lines.append(f"print(tokenizer.convert_ids_to_tokens({py(parse_ids(inputs.get('ids'), 'Token ids'))}))")
    lines.append("print(tokenizer.unk_token, tokenizer.unk_token_id)  # what unknown tokens become")
    return "\n".join(lines) + "\n"


TOKEN_LOOKUP = TaskSpec(
    id="token-lookup",
    title="Look up tokens",
    loader=LOADER,
    default_model=DEFAULT,
    models=CURATED,
    run=run_token_lookup,
    code=code_token_lookup,
    inputs=("tokens", "ids"),
    params={},
    architectures=(),
    description="Tokens to ids (convert_tokens_to_ids) and ids to tokens (convert_ids_to_tokens).",
)


# ---- add tokens --------------------------------------------------------------------------------
def _tokens_of(tokenizer, text: str) -> dict:
    ids = tokenizer(text)["input_ids"]
    out = {"tokens": tokenizer.convert_ids_to_tokens(ids), "input_ids": ids}
    if needs_readable(tokenizer, out["tokens"]):
        out["readable"] = readable_pieces(out["tokens"], ids, added_ids_of(tokenizer), is_byte_level(tokenizer))
    return out


def run_add_tokens(loaded, inputs: dict, params: dict) -> dict:
    """Add tokens to a copy of the tokenizer (the loaded one stays as it is): the new ids, the vocabulary
    size before and after, and the text's tokens before and after."""
    original = tokenizer_of(loaded)
    new = parse_new_tokens(inputs.get("new_tokens"), "New tokens")
    text = _text(inputs.get("text"))
    special = params.get("special_tokens", False) not in (False, "False", "false", 0)
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


def code_add_tokens(ref, inputs: dict, params: dict, place=None) -> str:
    new = parse_new_tokens(inputs.get("new_tokens"), "New tokens")
    text = _text(inputs.get("text"))
    special = params.get("special_tokens", False) not in (False, "False", "false", 0)
    lines = ["from transformers import AutoModel, AutoTokenizer", "",
             from_pretrained("AutoTokenizer", ref, var="tokenizer")]
    if text.strip():
        lines += [f"text = {_text_literal(text)}", "print(tokenizer.convert_ids_to_tokens(tokenizer(text)['input_ids']))"]
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


def _has_model(ref) -> bool:
    """False for a local folder without model weights (a tokenizer-only folder)."""
    if not getattr(ref, "local", False):
        return True
    from pathlib import Path

    folder = Path(ref.source)
    return (folder / "config.json").is_file() and (any(folder.glob("*.safetensors")) or any(folder.glob("*.bin")))


ADD_TOKENS = TaskSpec(
    id="add-tokens",
    title="Add tokens",
    loader=LOADER,
    default_model=DEFAULT,
    models=CURATED,
    run=run_add_tokens,
    code=code_add_tokens,
    inputs=("new_tokens", "text"),
    params={"special_tokens": False},
    architectures=(),
    description="add_tokens on a copy of the tokenizer: new ids, new tokenization, and resize_token_embeddings.",
)


# ---- chat template -----------------------------------------------------------------------------
def run_chat_template(loaded, inputs: dict, params: dict) -> dict:
    """apply_chat_template: the prompt text the model really reads, and its tokens (special ones marked)."""
    tokenizer = tokenizer_of(loaded)
    messages = parse_messages(inputs.get("messages"), "Conversation")
    if not getattr(tokenizer, "chat_template", None):
        raise UserError("no_chat_template", model=getattr(tokenizer, "name_or_path", "") or "This tokenizer")
    generation = params.get("add_generation_prompt", True) not in (False, "False", "false", 0)
    try:
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation)
        ids = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=generation)["input_ids"]
    except Exception as exc:  # the template itself refuses (e.g. roles must alternate)
        if type(exc).__name__ in ("TemplateError", "TemplateSyntaxError", "UndefinedError"):
            raise UserError("bad_param", name="Conversation", detail=f"the chat template refused it: {exc}") from None
        raise
    tokens = tokenizer.convert_ids_to_tokens(ids)
    special = set(tokenizer.all_special_ids) | added_ids_of(tokenizer)
    out: dict[str, Any] = {
        "messages": messages,
        "text": text,
        "input_ids": ids,
        "tokens": tokens,
        "special_tokens_mask": [int(i in special) for i in ids],
        "counts": {"characters": len(text), "tokens": len(ids),
                   "content_tokens": sum(len(tokenizer(m["content"], add_special_tokens=False)["input_ids"])
                                         for m in messages)},
    }
    if needs_readable(tokenizer, tokens):
        out["readable"] = readable_pieces(tokens, ids, added_ids_of(tokenizer), is_byte_level(tokenizer))
    return out


def code_chat_template(ref, inputs: dict, params: dict, place=None) -> str:
    messages = parse_messages(inputs.get("messages"), "Conversation")
    generation = params.get("add_generation_prompt", True) not in (False, "False", "false", 0)
    lines = load_lines(ref) + [
        f"messages = {py(messages)}",
        f"text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt={generation})",
        "print(text)  # the prompt the model really reads",
        f"ids = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt={generation})['input_ids']",
        "print(ids)",
        "print(tokenizer.convert_ids_to_tokens(ids))",
    ]
    return "\n".join(lines) + "\n"


CHAT_TEMPLATE = TaskSpec(
    id="chat-template",
    title="Chat template",
    loader=LOADER,
    default_model=CHAT_DEFAULT,
    models=(CHAT_DEFAULT,),
    run=run_chat_template,
    code=code_chat_template,
    inputs=("messages",),
    params={"add_generation_prompt": True},
    architectures=(),
    description="apply_chat_template: a conversation as the prompt text and tokens a chat model reads.",
)

TASKS = (TOKENIZE, COMPARE, DECODE, TOKEN_LOOKUP, ADD_TOKENS, CHAT_TEMPLATE)
