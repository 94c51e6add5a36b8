"""What a tokenizer is made of and what it did: facts, per-token rows, byte-level tokens made readable,
and the tab's own input fields (ids, tokens, new tokens, conversations: text that parses to a list).

Pure functions over a loaded transformers tokenizer; no gradio, and transformers is never imported here.
"""

from __future__ import annotations

import codecs
import copy
import itertools
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from core.errors import UserError
from core.params import Text

# model_max_length above this is transformers' "no limit" sentinel (int(1e30)).
NO_LIMIT = 10**12


# ---- facts -------------------------------------------------------------------------------------
def _component(backend: Any, name: str) -> dict | None:
    """The JSON description of one pipeline step (normalizer, pre_tokenizer, ...) of a fast tokenizer."""
    part = getattr(backend, name, None) if backend is not None else None
    if part is None:
        return None
    try:
        return json.loads(part.__getstate__())
    except Exception:  # a step without a JSON state: describe it by its type only
        return {"type": type(part).__name__}


def describe_step(step: dict | None) -> str | None:
    """'BertNormalizer(lowercase=True, strip_accents=None)'-style text for a pipeline step (long values cut)."""
    if step is None:
        return None
    kind = step.get("type", "?")
    inner = [v for k in ("normalizers", "pretokenizers", "processors", "decoders") for v in step.get(k) or []]
    if inner:
        return f"{kind}[{', '.join(describe_step(s) or '?' for s in inner)}]"
    if kind == "TemplateProcessing":
        return f"TemplateProcessing(single: {template_text(step.get('single'))}; pair: {template_text(step.get('pair'))})"
    args = []
    for key, value in step.items():
        if key in ("type", "special_tokens", "vocab", "merges"):
            continue
        if isinstance(value, dict) and len(value) == 1 and isinstance(next(iter(value.values())), str):
            value = next(iter(value.values()))  # {"Regex": " {2,}"} -> " {2,}"
        if isinstance(value, str) and len(value) > 24:
            value = value[:12] + "…"
        if isinstance(value, (list, dict)):
            continue
        args.append(f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}")
    return f"{kind}({', '.join(args)})" if args else kind


def template_text(parts: list | None) -> str:
    """'[CLS] $A [SEP] $B:1 [SEP]:1' for a TemplateProcessing single/pair template."""
    out = []
    for part in parts or []:
        if "SpecialToken" in part:
            item, name = part["SpecialToken"], part["SpecialToken"]["id"]
        else:
            item, name = part["Sequence"], "$" + part["Sequence"]["id"]
        out.append(name + (f":{item['type_id']}" if item.get("type_id") else ""))
    return " ".join(out)


def algorithm(tokenizer: Any) -> str:
    """'WordPiece', 'BPE', 'byte-level BPE', 'Unigram', 'WordLevel' (or the class name of a slow tokenizer)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return type(tokenizer).__name__
    kind = type(backend.model).__name__
    if kind == "BPE" and is_byte_level(tokenizer):
        return "byte-level BPE"
    if getattr(backend.model, "byte_fallback", False):
        return f"{kind} (byte fallback)"
    return kind


def is_byte_level(tokenizer: Any) -> bool:
    """Whether tokens are GPT-2-style byte strings (Ġ for a space, Korean as 'ì', 'ķ', ...)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return False
    return "ByteLevel" in f"{backend.pre_tokenizer} {backend.decoder}"


def max_length_of(tokenizer: Any) -> int | None:
    value = getattr(tokenizer, "model_max_length", None)
    return int(value) if value and value < NO_LIMIT else None


def special_tokens(tokenizer: Any) -> dict[str, dict]:
    """role -> {token, id} for bos/eos/unk/sep/pad/cls/mask that the tokenizer defines."""
    out = {}
    for role, token in tokenizer.special_tokens_map.items():
        if isinstance(token, str):
            out[role] = {"token": token, "id": tokenizer.convert_tokens_to_ids(token)}
    return out


def tokenizer_facts(tokenizer: Any) -> dict:
    """Everything worth knowing about a tokenizer before using it (JSON-ready)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    steps = {name: _component(backend, name) for name in ("normalizer", "pre_tokenizer", "post_processor", "decoder")}
    post = steps["post_processor"] or {}
    added = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    return {
        "class": type(tokenizer).__name__,
        "algorithm": algorithm(tokenizer),
        "is_fast": bool(getattr(tokenizer, "is_fast", False)),
        "vocab_size": tokenizer.vocab_size,
        "len": len(tokenizer),
        "model_max_length": max_length_of(tokenizer),
        "padding_side": tokenizer.padding_side,
        "truncation_side": getattr(tokenizer, "truncation_side", None),
        "model_input_names": list(tokenizer.model_input_names),
        "special_tokens": special_tokens(tokenizer),
        "added_tokens": len(added),
        "template": {"single": template_text(post.get("single")), "pair": template_text(post.get("pair"))}
        if post.get("type") == "TemplateProcessing" else None,
        "normalizer": describe_step(steps["normalizer"]),
        "pre_tokenizer": describe_step(steps["pre_tokenizer"]),
        "post_processor": describe_step(steps["post_processor"]),
        "decoder": describe_step(steps["decoder"]),
        "chat_template": bool(getattr(tokenizer, "chat_template", None)),
    }


# ---- tokens as bytes, and readable again -------------------------------------------------------
@lru_cache(maxsize=1)
def unicode_to_byte() -> dict[str, int]:
    """The inverse of GPT-2's bytes_to_unicode table: the printable stand-in character -> the byte."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    n = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(printable, chars)}


_BYTE_TOKEN = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")


def token_bytes(token: str, *, byte_level: bool, added: bool) -> bytes:
    """The UTF-8 bytes a token stands for: byte-level stand-ins mapped back, '<0xEC>' byte-fallback tokens
    as that byte, SentencePiece's '▁' as a space; added/special tokens as their own text."""
    if added:
        return token.encode("utf-8")
    match = _BYTE_TOKEN.match(token)
    if match:
        return bytes([int(match.group(1), 16)])
    if byte_level:
        table = unicode_to_byte()
        if all(c in table for c in token):
            return bytes(table[c] for c in token)
    return token.replace("▁", " ").encode("utf-8")


def needs_readable(tokenizer: Any, tokens: list[str]) -> bool:
    """Whether the raw tokens are unreadable bytes somewhere (byte-level BPE, or byte-fallback tokens)."""
    return is_byte_level(tokenizer) or any(_BYTE_TOKEN.match(t) for t in tokens)


def readable_pieces(tokens: list[str], ids: list[int], added_ids: set[int], byte_level: bool) -> list[dict]:
    """Tokens merged into readable characters: consecutive tokens are grouped until their bytes end on a
    UTF-8 character boundary. Returns [{"text", "first", "last"}] with token index ranges (inclusive), so a
    Korean syllable that byte-level BPE split into 2-3 tokens reads as one character again."""
    pieces: list[dict] = []
    buffer = b""
    first = 0
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    for i, (token, token_id) in enumerate(zip(tokens, ids)):
        if not buffer:
            first = i
        buffer += token_bytes(token, byte_level=byte_level, added=token_id in added_ids)
        try:
            decoder.reset()
            text = decoder.decode(buffer, final=False)
            pending = decoder.getstate()[0]
        except UnicodeDecodeError:
            text, pending = buffer.decode("utf-8", errors="replace"), b""
        if not pending:
            pieces.append({"text": text, "first": first, "last": i})
            buffer = b""
    if buffer:  # the sequence ended inside a character (e.g. truncation cut it)
        pieces.append({"text": buffer.decode("utf-8", errors="replace"), "first": first, "last": len(tokens) - 1})
    return pieces


def added_ids_of(tokenizer: Any) -> set[int]:
    return set((getattr(tokenizer, "added_tokens_decoder", None) or {}).keys())


def detached_copy(tokenizer: Any) -> Any:
    """A copy of tokenizer that add_tokens can change without touching the original (which the model
    manager keeps cached).

    copy.deepcopy rebuilds the whole vocabulary (4 s for XLM-R's 250k pieces); here the new backend shares
    the original's read-only model and pipeline steps and gets its own added vocabulary, rebuilt in id
    order. Falls back to deepcopy when the tokenizer has no `tokenizers` backend or the rebuild differs."""
    old = getattr(tokenizer, "backend_tokenizer", None)
    if old is None or not hasattr(tokenizer, "_tokenizer"):
        return copy.deepcopy(tokenizer)
    try:
        from tokenizers import Tokenizer

        new = Tokenizer(old.model)
        for name in ("normalizer", "pre_tokenizer", "post_processor", "decoder"):
            part = getattr(old, name)
            if part is not None:
                setattr(new, name, part)
        added = [token for _, token in sorted(old.get_added_tokens_decoder().items())]
        for special, run in itertools.groupby(added, key=lambda t: t.special):
            (new.add_special_tokens if special else new.add_tokens)(list(run))
        if new.get_added_tokens_decoder() != old.get_added_tokens_decoder():
            return copy.deepcopy(tokenizer)
    except Exception:  # an unusual backend: the slow but certain way
        return copy.deepcopy(tokenizer)
    clone = copy.copy(tokenizer)
    clone._tokenizer = new
    return clone


# ---- the tab's own input fields (core.params.Text that parse to lists) ----------------------------
def parse_ids(text: str | list | None, what: str = "ids", vocab: int | None = None) -> list[int]:
    """Token ids from '101, 2572', '[101 2572]', 'tensor([[101, 2572]])' or a list; one sequence only."""
    if isinstance(text, (list, tuple)):
        raw = list(text)
        if raw and all(isinstance(r, (list, tuple)) for r in raw):
            if len(raw) > 1:
                raise UserError("bad_param", name=what, detail="give one sequence of ids (one row), not a batch")
            raw = list(raw[0])
        items = [str(r) for r in raw]
    else:
        text = (text or "").strip()
        if re.search(r"\]\s*,\s*\[", text):
            raise UserError("bad_param", name=what, detail="give one sequence of ids (one row), not a batch")
        items = re.findall(r"-?\d+(?:\.\d+)?", text)
        leftover = re.sub(r"tensor|array|dtype\s*=\s*\w+|int\d+|-?\d+(?:\.\d+)?|[\s,\[\]()]", "", text)
        if leftover:
            raise UserError("bad_param", name=what, detail=f"expected whole numbers such as 101, 2572; found {leftover[:20]!r}")
    if not items:
        raise UserError("empty_input", what=what)
    ids = []
    for item in items:
        try:
            value = int(item)
        except ValueError:
            raise UserError("bad_param", name=what, detail=f"{item[:20]!r} is not a whole number") from None
        ids.append(value)
    check_ids(ids, vocab, what)
    return ids


def check_ids(ids: list[int], vocab: int | None, what: str = "ids") -> None:
    """Every id 0 or more and, with vocab (len(tokenizer)), one the tokenizer has."""
    for value in ids:
        if value < 0 or (vocab is not None and value >= vocab):
            limit = f"0 to {vocab - 1}" if vocab else "0 or more"
            raise UserError("bad_param", name=what, detail=f"{value} is not a token id of this tokenizer ({limit})")


def parse_tokens(text: str | list | None, what: str = "tokens") -> list[str]:
    """Tokens separated by spaces or new lines (a token itself never holds a space)."""
    items = text if isinstance(text, (list, tuple)) else (text or "").split()
    items = [str(t) for t in items if str(t).strip()]
    if not items:
        raise UserError("empty_input", what=what)
    return items


def parse_new_tokens(text: str | list | None, what: str = "new tokens", max_items: int = 200) -> list[str]:
    """New tokens separated by spaces, commas or new lines; duplicates dropped, order kept."""
    items = text if isinstance(text, (list, tuple)) else re.split(r"[,\s]+", text or "")
    items = list(dict.fromkeys(str(t).strip() for t in items if str(t).strip()))
    if not items:
        raise UserError("empty_input", what=what)
    if len(items) > max_items:
        raise UserError("too_large", what=what, detail=f"{len(items)} tokens; add at most {max_items} at once")
    return items


ROLES = ("system", "user", "assistant", "tool", "developer")
_ROLE_LINE = re.compile(rf"^\s*({'|'.join(ROLES)})\s*:\s?(.*)$", re.I)


def parse_messages(text: str | list | None, what: str = "conversation") -> list[dict]:
    """A conversation from JSON ([{"role", "content"}]) or lines 'role: content' (other lines continue the
    previous message; text before any role is the user's)."""
    if isinstance(text, (list, tuple)):
        messages = list(text)
    else:
        text = (text or "").strip()
        if not text:
            raise UserError("empty_input", what=what)
        if text.startswith("["):
            try:
                messages = json.loads(text)
            except ValueError as exc:
                raise UserError("bad_param", name=what, detail=f"not valid JSON: {exc}") from None
        else:
            messages = []
            for line in text.splitlines():
                match = _ROLE_LINE.match(line)
                if match:
                    messages.append({"role": match.group(1).lower(), "content": match.group(2)})
                elif messages:
                    messages[-1]["content"] += "\n" + line
                else:
                    messages.append({"role": "user", "content": line})
    if not isinstance(messages, list) or not all(isinstance(m, dict) and "role" in m and "content" in m for m in messages):
        raise UserError("bad_param", name=what, detail='expected [{"role": "user", "content": "..."}, ...]')
    messages = [{"role": str(m["role"]), "content": str(m["content"]).strip()} for m in messages]
    if not messages:
        raise UserError("empty_input", what=what)
    return messages


@dataclass(frozen=True)
class _Items(Text):
    """A Text field whose value is a list of items (a JSON list from an API client is taken as given): at
    most max_chars characters in all and max_items items. Empty gives [] (or empty_input when required)."""

    max_items: int = 1000
    kind = "items"

    def read(self, value: Any) -> list:
        """The parsed items of a non-empty value (text or list)."""
        raise NotImplementedError

    def parse(self, value: Any) -> list:
        if isinstance(value, (list, tuple)):
            if len(value) > self.max_items:
                raise UserError("too_large", what=self.title, detail=f"{len(value):,} items; at most {self.max_items:,}")
            size = len(json.dumps(value, ensure_ascii=False, default=str))
            if size > self.max_chars:
                raise UserError("too_large", what=self.title, detail=f"{size:,} characters; at most {self.max_chars:,}")
            empty = not value
        else:
            value = super().parse(value)  # the text's bound, and empty_input when required
            empty = not value.strip()
        if empty:
            if self.required:
                raise UserError("empty_input", what=self.title)
            return []
        items = self.read(value)
        if len(items) > self.max_items:
            raise UserError("too_large", what=self.title, detail=f"{len(items):,} items; at most {self.max_items:,}")
        return items

    def describe(self) -> dict:
        return {**super().describe(), "max_items": self.max_items}


@dataclass(frozen=True)
class Ids(_Items):
    """Token ids of one sequence ('101, 2572', '[101 2572]', a pasted tensor([[101, 2572]]) or a JSON list),
    each 0 or more; whether the tokenizer has them is checked against it (check_ids)."""

    kind = "ids"

    def read(self, value: Any) -> list[int]:
        return parse_ids(value, self.name)


@dataclass(frozen=True)
class Tokens(_Items):
    """Tokens separated by spaces (or a JSON list), spelled as in the vocabulary."""

    kind = "tokens"

    def read(self, value: Any) -> list[str]:
        return parse_tokens(value, self.title)


@dataclass(frozen=True)
class NewTokens(_Items):
    """Tokens to add, separated by spaces or commas (or a JSON list); duplicates dropped, order kept."""

    kind = "tokens"

    def read(self, value: Any) -> list[str]:
        return parse_new_tokens(value, self.title, self.max_items)


@dataclass(frozen=True)
class Messages(_Items):
    """A conversation: lines 'role: content', or a JSON list of {"role", "content"} messages."""

    kind = "messages"

    def read(self, value: Any) -> list[dict]:
        return parse_messages(value, self.name)
