"""Typed fields: every input and parameter of a task is declared once.

A field (`Int`, `Float`, `Choice`, `Bool`, `Text`, `Labels`, `Lines`, `File`) holds its name (the
transformers argument name, also the API's and the CLI's), default, bounds, step, label and help text.
From that one declaration come the widget (core.ui.widget), CLI coercion and API validation (`parse`), the
one-line bounds error (the same in the UI, the API and the CLI), the defaults the Code panel shows, and the
API docs (`doc`). `parse` accepts what every caller sends: typed values from widgets, JSON values from API
clients, strings from the CLI.

Every numeric field and every text field has an upper bound: a shared link takes input from strangers.
Korean for labels and help texts lives in the one catalog (locales/ko/), keyed by the English text.
This module imports neither gradio nor torch.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import KW_ONLY, dataclass
from typing import Any

from core import codegen, limits
from core.errors import UserError

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class Field:
    """Base of every field. name: argument name; label: what the widget shows (default: the name);
    help: one line under the widget; aliases: other argument names accepted for it (transformers' own
    spelling where the app's differs); widget: extra keyword arguments for the gradio component."""

    name: str
    default: Any = None
    _: KW_ONLY
    label: str = ""
    help: str = ""
    aliases: tuple[str, ...] = ()
    widget: tuple[tuple[str, Any], ...] = ()
    limit: str = ""  # a server-wide ceiling (core.limits) on top of the field's bounds, e.g. "tokens"

    kind = "value"

    @property
    def title(self) -> str:
        return self.label or self.name

    def bad(self, detail: str) -> UserError:
        return UserError("bad_param", name=self.name, detail=detail)

    def parse(self, value: Any) -> Any:
        """value (typed, JSON or CLI text) as this field's type within its bounds; None -> default.
        Raises UserError("bad_param") with one line naming the field and the rule."""
        raise NotImplementedError

    def describe(self) -> dict:
        """The declaration as JSON-ready data (for `python app.py tasks --json` and the API docs)."""
        out = {"name": self.name, "kind": self.kind, "default": self.default, "label": self.title}
        if self.help:
            out["help"] = self.help
        if self.aliases:
            out["aliases"] = list(self.aliases)
        return out


def _number(field: Field, value: Any, whole: bool) -> float | int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise field.bad(f"expected a number, got {value!r}")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text) if whole and text.lstrip("+-").isdigit() else float(text)
        except ValueError:
            raise field.bad(f"expected a {'whole ' if whole else ''}number, got {text[:40]!r}") from None
    if not isinstance(value, (int, float)):
        raise field.bad(f"expected a number, got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise field.bad("expected a finite number")
    if whole:
        if isinstance(value, float):
            if not value.is_integer():
                raise field.bad(f"expected a whole number, got {value!r}")
            value = int(value)
    return value


@dataclass(frozen=True)
class Int(Field):
    """A whole number in [minimum, maximum]."""

    default: int = 0
    minimum: int = 0
    maximum: int = 100
    step: int = 1
    kind = "int"

    def parse(self, value: Any) -> int:
        number = _number(self, value, whole=True)
        if number is None:
            return self.default
        if not self.minimum <= number <= self.maximum:
            raise self.bad(f"must be between {self.minimum} and {self.maximum}, got {_short(number)}")
        if self.limit:
            limits.check(self.limit, number, self.name)
        return int(number)

    def describe(self) -> dict:
        return {**super().describe(), "minimum": self.minimum, "maximum": self.maximum, "step": self.step}


@dataclass(frozen=True)
class Float(Field):
    """A real number in [minimum, maximum]."""

    default: float = 0.0
    minimum: float = 0.0
    maximum: float = 1.0
    step: float = 0.01
    kind = "float"

    def parse(self, value: Any) -> float:
        number = _number(self, value, whole=False)
        if number is None:
            return self.default
        if not self.minimum <= number <= self.maximum:
            raise self.bad(f"must be between {self.minimum:g} and {self.maximum:g}, got {_short(number)}")
        if self.limit:
            limits.check(self.limit, number, self.name)
        return float(number)

    def describe(self) -> dict:
        return {**super().describe(), "minimum": self.minimum, "maximum": self.maximum, "step": self.step}


def _short(number: float | int) -> str:
    text = f"{number:g}" if isinstance(number, float) else str(number)
    return text if len(text) <= 24 else text[:21] + "..."


@dataclass(frozen=True)
class Bool(Field):
    """true / false (also 1/0, yes/no, on/off as text)."""

    default: bool = False
    kind = "bool"

    def parse(self, value: Any) -> bool:
        if value is None:
            return self.default
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        raise self.bad(f"expected true or false, got {str(value)[:40]!r}")


@dataclass(frozen=True)
class Choice(Field):
    """One of `choices` (strings). Values are matched as given, then case-insensitively; `synonyms` maps
    other spellings (e.g. transformers' True/False for a "true"/"false" choice) onto a choice."""

    default: str = ""
    choices: tuple[str, ...] = ()
    synonyms: tuple[tuple[str, str], ...] = ()
    kind = "choice"

    def parse(self, value: Any) -> str:
        if value is None or value == "":
            return self.default
        text = json.dumps(value) if isinstance(value, bool) else str(value).strip()
        if text in self.choices:
            return text
        lowered = {c.lower(): c for c in self.choices}
        if text.lower() in lowered:
            return lowered[text.lower()]
        for other, choice in self.synonyms:
            if text.lower() == other.lower():
                return choice
        raise self.bad(f"one of {', '.join(self.choices)}; got {text[:40]!r}")

    def describe(self) -> dict:
        return {**super().describe(), "choices": list(self.choices)}


@dataclass(frozen=True)
class Text(Field):
    """A text of at most max_chars characters. lines > 1 makes a multi-line box; required: empty is an
    error (an "empty_input" one, naming the label)."""

    default: str = ""
    max_chars: int = 2000
    lines: int = 1
    placeholder: str = ""
    required: bool = False
    kind = "text"

    def parse(self, value: Any) -> str:
        if value is None:
            value = self.default
        if not isinstance(value, str):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(value)
            else:
                raise self.bad(f"expected text, got {type(value).__name__}")
        if len(value) > self.max_chars:
            raise UserError("too_large", what=self.title,
                            detail=f"{len(value):,} characters; at most {self.max_chars:,}")
        limits.check("text_chars", len(value), self.title)
        if self.required and not value.strip():
            raise UserError("empty_input", what=self.title)
        return value

    def describe(self) -> dict:
        return {**super().describe(), "max_chars": self.max_chars}


@dataclass(frozen=True)
class Lines(Text):
    """Several items, one per line (a list is taken as given): parses to the non-empty stripped lines, at
    most max_items of them. One item is a single run, several are a batch."""

    lines: int = 4
    max_items: int = 64
    kind = "lines"

    def parse(self, value: Any) -> list[str]:
        if isinstance(value, (list, tuple)):
            items = [str(v) for v in value if v is not None]
            joined = "\n".join(items)
        else:
            joined = super().parse(value)
            items = joined.splitlines()
        if len(joined) > self.max_chars:
            raise UserError("too_large", what=self.title,
                            detail=f"{len(joined):,} characters; at most {self.max_chars:,}")
        items = [t.strip() for t in items if t and t.strip()]
        if self.required and not items:
            raise UserError("empty_input", what=self.title)
        if len(items) > self.max_items:
            raise UserError("too_large", what=self.title, detail=f"{len(items):,} lines; at most {self.max_items:,}")
        limits.check("text_chars", len(joined), self.title)
        limits.check("lines", len(items), self.title)
        return items

    def describe(self) -> dict:
        return {**super().describe(), "max_items": self.max_items}


@dataclass(frozen=True)
class Labels(Field):
    """A list of labels: a comma-separated (or one-per-line) text, or a list. At most max_items labels of
    at most max_chars characters each."""

    default: tuple[str, ...] = ()
    max_items: int = 50
    max_chars: int = 200
    required: bool = False
    kind = "labels"

    def parse(self, value: Any) -> list[str]:
        if value is None or value == "":
            value = list(self.default)
        if isinstance(value, str):
            if len(value) > self.max_items * (self.max_chars + 2):
                raise UserError("too_large", what=self.title, detail=f"{len(value):,} characters")
            value = _json_list(value)
        if isinstance(value, str):
            parts = value.replace("\n", ",").split(",")
        elif isinstance(value, (list, tuple)):
            parts = [str(v) for v in value]
        else:
            raise self.bad(f"expected labels separated by commas, got {type(value).__name__}")
        items = [p.strip() for p in parts if p.strip()]
        if self.required and not items:
            raise UserError("empty_input", what=self.title)
        if len(items) > self.max_items:
            raise UserError("too_large", what=self.title, detail=f"{len(items)} labels; at most {self.max_items}")
        limits.check("labels", len(items), self.title)
        long = next((item for item in items if len(item) > self.max_chars), None)
        if long is not None:
            raise UserError("too_large", what=self.title,
                            detail=f"a label of {len(long):,} characters; at most {self.max_chars}")
        return items

    def describe(self) -> dict:
        return {**super().describe(), "default": list(self.default), "max_items": self.max_items}


def _json_list(text: str) -> str | list:
    """A JSON list written as text (the CLI's '["a, b", "c"]') as a list; any other text as it is."""
    if text.strip().startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            return text
        if isinstance(value, list):
            return value
    return text


def plain(value: Any) -> Any:
    """A gradio payload as plain data: every FileData ({"path": ..., "meta": {"_type": "gradio.FileData"}})
    becomes its path, a video payload ({"video": FileData, ...}) the video's path; lists and dicts recurse.
    (Events run with preprocess=False, so the fields parse what the browser or API client sent.) An upload's
    original file name is remembered for the Code panel (core.codegen.file_name)."""
    if isinstance(value, dict):
        meta = value.get("meta")
        if "path" in value and (isinstance(meta, dict) and meta.get("_type") == "gradio.FileData"
                                or {"url", "orig_name"} & set(value)):
            if isinstance(value["path"], str):
                codegen.uploaded(value["path"], value.get("orig_name"))
            return value["path"]
        if set(value) <= {"video", "subtitles"} and isinstance(value.get("video"), dict):
            return plain(value["video"])
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class File(Field):
    """A file given by path (uploads arrive as paths; the app reads the file itself). media: "image",
    "audio", "video" or "file" (picks the widget); required: a missing file is an "empty_input" error."""

    default: None = None
    media: str = "file"
    required: bool = True
    kind = "file"

    def parse(self, value: Any) -> Any:
        value = plain(value)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if value is None or value == "":
            if self.required:
                raise UserError("empty_input", what=self.title)
            return None
        if isinstance(value, (str, bytes)) or hasattr(value, "__fspath__"):
            return str(value if not isinstance(value, bytes) else value.decode())
        return value  # already decoded (an array, an image, (rate, samples)): the task's reader checks it

    def describe(self) -> dict:
        return {**super().describe(), "media": self.media}


@dataclass(frozen=True)
class Data(Field):
    """A structured value (JSON: a list of messages, word boxes, a table): a list or dict as given, or text (JSON
    or the task's own format, which its run reads) of at most max_chars characters."""

    default: Any = None
    max_chars: int = 100_000
    required: bool = False
    kind = "json"

    def parse(self, value: Any) -> Any:
        value = plain(value)
        if isinstance(value, dict) and set(value) >= {"headers", "data"}:  # a gr.Dataframe payload
            import pandas as pd

            value = pd.DataFrame(value["data"], columns=value["headers"] or None)
        if isinstance(value, str):
            if len(value) > self.max_chars:
                raise UserError("too_large", what=self.title,
                                detail=f"{len(value):,} characters; at most {self.max_chars:,}")
            if not value.strip():
                value = None
        if value is None:
            if self.required:
                raise UserError("empty_input", what=self.title)
            return self.default
        return value


class Fields(Mapping[str, Field]):
    """An ordered, read-only name -> Field mapping (iterating gives the names, like a dict's keys)."""

    def __init__(self, fields: tuple[Field, ...] | list[Field] = ()):
        self._fields = {f.name: f for f in fields}
        if len(self._fields) != len(fields):
            raise ValueError("a field name is declared twice")
        self._aliases = {alias: f.name for f in fields for alias in f.aliases}

    def __getitem__(self, name: str) -> Field:
        return self._fields[self._aliases.get(name, name)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __contains__(self, name: object) -> bool:
        return name in self._fields or name in self._aliases

    def __repr__(self) -> str:
        return f"Fields({list(self._fields)})"

    def __hash__(self) -> int:
        return hash(tuple(self._fields))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fields) and list(self._fields.values()) == list(other._fields.values())

    def canonical(self, name: str) -> str | None:
        """The declared name for name or one of its aliases (None when unknown)."""
        if name in self._fields:
            return name
        return self._aliases.get(name)

    @property
    def first(self) -> str | None:
        return next(iter(self._fields), None)

    def defaults(self) -> dict[str, Any]:
        """name -> default (lists for Labels)."""
        return {n: (list(f.default) if isinstance(f.default, tuple) else f.default) for n, f in self._fields.items()}

    def parse(self, values: Mapping[str, Any], *, complete: bool = True) -> dict[str, Any]:
        """values (names or aliases) parsed field by field; missing ones get their default when complete.
        Unknown names are a bad_param error listing what the task takes."""
        out: dict[str, Any] = {}
        for key, value in values.items():
            name = self.canonical(key)
            if name is None:
                raise UserError("bad_param", name=key, detail=f"not a parameter here; known: {', '.join(self) or 'none'}")
            out[name] = self._fields[name].parse(value)
        if complete:
            for name, f in self._fields.items():
                if name not in out:
                    out[name] = f.parse(None)
        return out


def fields(*items: Field) -> Fields:
    """Fields(items): the declaration a TaskSpec takes for its inputs and params."""
    return Fields(items)
