"""English and Korean text: one catalog for the whole app.

The code says everything in English; Korean lives in one catalog, `locales/ko/*.toml` (a file per tab, plus
core.toml for the app, the shared widgets and the error messages), keyed by the English text. From it come
the UI labels (through gradio's I18n), the notes and summaries of results (`say`, `Note`) and the error
messages (`message`). A string missing from the catalog shows in English.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).resolve().parent.parent / "locales"

# the language of the request being rendered (set by core.ui.wire around render)
_SPEAKING: contextvars.ContextVar[str] = contextvars.ContextVar("speaking", default="en")


@functools.cache
def catalog(lang: str = "ko") -> dict[str, str]:
    """English -> `lang` for every string of the app, read once from locales/<lang>/*.toml."""
    table: dict[str, str] = {}
    for path in sorted((LOCALES / lang).glob("*.toml")):
        with path.open("rb") as f:
            for english, translated in tomllib.load(f).items():
                if english in table and table[english] != translated:
                    raise ValueError(f"{path.name}: {english!r} translated twice, differently")
                table[english] = translated
    return table


def translate(english: str, lang: str = "en") -> str:
    """english in lang (itself when lang is English or the catalog has no translation)."""
    return english if lang == "en" else catalog(lang).get(english, english)


@contextlib.contextmanager
def speaking(lang: str):
    """Within the block, say() answers in `lang` ('en' or 'ko')."""
    token = _SPEAKING.set(lang)
    try:
        yield
    finally:
        _SPEAKING.reset(token)


def say(english: str, **values) -> str:
    """A result's text (a note, a summary) in the language of the request being rendered, {name} fields
    filled from values. For render functions: run_* results (the API's JSON) stay English."""
    template = translate(english, _SPEAKING.get())
    return template.format(**values) if values else template


@dataclass(frozen=True)
class Note:
    """A note a run makes about its result (what was cut, windowed, scaled): an English template and its
    values, put in the reader's language when shown (the CLI prints English)."""

    template: str
    values: tuple[tuple[str, Any], ...] = ()

    def text(self, lang: str = "en") -> str:
        values = {k: (v.text(lang) if isinstance(v, Note) else v) for k, v in self.values}
        template = translate(self.template, lang)
        return template.format(**values) if values else template

    def __str__(self) -> str:
        return self.text()


def note(template: str, **values) -> Note:
    """Note(template, values); a value may itself be a Note (translated along)."""
    return Note(template, tuple(values.items()))


MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "gated": "{model} is a gated model: accept its license on https://huggingface.co/{model} and set the HF_TOKEN environment variable to a token of that account.",
        "bad_revision": "{model}: that revision (branch, tag or commit) does not exist.",
        "unknown_model": "{model} is not a model on the Hugging Face Hub nor a local folder: check the spelling (owner/name).",
        "not_local": "{model} is not a model folder this server offers: local models load from the --models-dir folders, the Hugging Face cache and the trained-models folder; anything else is a Hub id (owner/name).",
        "not_available": "{model} is not available offline: it is not in the Hugging Face cache nor in a --models-dir folder. Run with network access once, pass --models-dir DIR, or build the offline pack (python app.py offline-pack DIR).",
        "hub_unreachable": "Could not reach the Hugging Face Hub to get {model}, and it is not in the local cache: check the network, or use a local model (--models-dir DIR, or the offline pack: python app.py offline-pack DIR).",
        "oom": "Out of memory while running {model}: try a smaller model, a lower dtype (--dtype float16/bfloat16) or --device-map auto.",
        "no_ffmpeg": "ffmpeg was not found but is required to load this audio file: install it (sudo apt install ffmpeg) or upload WAV/FLAC/OGG.",
        "no_tesseract": "tesseract was not found but is required for OCR: install it (sudo apt install tesseract-ocr) or give the word boxes yourself.",
        "remote_code": "{model} needs to run its own code from the Hub; the operator must start the app with --trust-remote-code to allow it.",
        "wrong_task": "{model} does not fit the task {task}: pick a model made for this task.",
        "misfit": "{model} is a {arch}, {kind}: pick a {task} model.",
        "incomplete_model": "{model} is missing files (weights, tokenizer or processor) needed for this task.",
        "no_chat_template": "{model} has no chat template (tokenizer.chat_template is None): pick an instruct/chat model such as HuggingFaceTB/SmolLM2-135M-Instruct.",
        "empty_input": "Please give some input first: {what} is empty.",
        "bad_file": "{what} could not be read: {detail}",
        "too_large": "{what} is too large: {detail}",
        "limit": "{what}: {value} {unit} is more than this server allows ({limit}); the operator can raise it with {flag}.",
        "bad_param": "Invalid value for {name}: {detail}",
        "unknown_task": "Unknown task {task}; `python app.py tasks` lists them.",
        "no_model": "Please choose a model.",
        "failed": "The model failed: {error}",
        "timeout": "The run took longer than {seconds} s and was stopped, so others can use the server: try a shorter input or smaller settings (the operator can raise the limit with --timeout).",
        "training_off": "Training is switched off on this server (the operator started it with --no-training or PLAYGROUND_TRAINING=0).",
        "train_data": "The training data could not be used: {detail}.",
        "train_needs_hub": "{data} is not a file or dataset folder here, and loading it from the Hugging Face Hub needs network access (this server is offline): upload a CSV / TSV / JSON Lines / Parquet file instead.",
        "train_column": "{what} has no column {column}; its columns: {columns}.",
        "train_missing": "{what}: the column {column} has {count} missing or empty values (the first in row {row}): fill them in or drop those rows.",
        "train_long_text": "{what}: the text in row {row} of {column} has {chars} characters; a training text may have at most {limit} (the operator can raise it with --max-train-text-chars).",
        "train_one_class": "The label column {column} holds one class only ({label}): a classifier needs at least two labels.",
        "train_eval_labels": "Labels that appear only in the eval data, never in training: {labels}. Add training rows for them or drop them from the eval data.",
        "train_few_rows": "Too few rows to train: {detail}.",
        "train_no_head": "{model} ({kind}) cannot take a text-classification head: pick a text model such as the pack's all-MiniLM-L6-v2, BERT or DistilBERT.",
        "train_name": "{name} is not a usable name for the trained model: use letters, digits, '.', '_' and '-' (at most 64 characters).",
        "train_queue_full": "The training queue is full ({count} jobs waiting): try again when one has finished.",
        "train_unknown_job": "There is no training job {job} on this server.",
        "train_crashed": "The training process stopped unexpectedly ({detail}); the app keeps running: try fewer rows, a smaller batch or a shorter max length.",
        "train_time": "Training took longer than this server allows ({seconds} s) and was stopped (the operator can raise it with --max-train-seconds).",
        # dataset mode (core.datasets_run)
        "dataset_missing": "{name} is not a dataset file or folder here, nor a Hugging Face dataset id (owner/name).",
        "dataset_offline": "{name} is a Hugging Face dataset and this app runs offline: download it once with network access (datasets' save_to_disk) and give the folder, or give a file.",
        "dataset_hub": "Could not get the dataset {name} from the Hugging Face Hub: {detail}",
        "dataset_empty": "{name} has no rows.",
        "dataset_format": "{name}: {suffix} files are not read as datasets; give CSV, TSV, JSON Lines, Parquet, TXT (one item per line), Arrow, a ZIP or a folder.",
        "dataset_unreadable": "{name} could not be read as a dataset: {detail}",
        "dataset_split": "{name} has no split {split}; its splits: {splits}.",
        "dataset_column": "{name} has no column {column}; its columns: {columns}.",
        "dataset_no_column": "Pick the column that holds {what} in {name} (its columns: {columns}).",
        "dataset_type": "Column {column} holds {kind} values, not text or file names.",
        "dataset_file": "{name}: {detail}.",
        "dataset_zip": "{name} is not a ZIP the app can open: {detail}",
        "dataset_task": "{task} cannot run over a dataset: it takes several models at once.",
        "dataset_output": "{name}: the output must end in {suffixes}.",
        "dataset_output_dir": "{name}: no such folder for the output.",
    },
}


def message(key: str, lang: str = "en", **params) -> str:
    """The message `key` in `lang` (the catalog's translation of its English template), formatted."""
    if lang != "en":  # values the catalog knows (a label, a kind of model) are translated along
        params = {k: translate(v, lang) if isinstance(v, str) else v for k, v in params.items()}
    return translate(MESSAGES["en"][key], lang).format(**params)


# the rules of a refused value (core.params' details), with their numbers, in Korean
DETAILS: dict[str, tuple[tuple[re.Pattern, str], ...]] = {
    "ko": (
        (re.compile(r"must be between (?P<a>\S+) and (?P<b>\S+), got (?P<x>.+)"), "{a}에서 {b} 사이여야 합니다. 받은 값: {x}"),
        (re.compile(r"expected a whole number, got (?P<x>.+)"), "정수여야 합니다. 받은 값: {x}"),
        (re.compile(r"expected a number, got (?P<x>.+)"), "숫자여야 합니다. 받은 값: {x}"),
        (re.compile(r"expected a finite number"), "유한한 숫자여야 합니다"),
        (re.compile(r"expected true or false, got (?P<x>.+)"), "true 또는 false여야 합니다. 받은 값: {x}"),
        (re.compile(r"one of (?P<choices>.+); got (?P<x>.+)"), "다음 중 하나여야 합니다: {choices}. 받은 값: {x}"),
        (re.compile(r"expected whole numbers like 1, 2, 3; got (?P<x>.+)"), "1, 2, 3 같은 정수여야 합니다. 받은 값: {x}"),
        (re.compile(r"(?P<x>-?\d+) is not a token id of this tokenizer \((?P<a>\d+) to (?P<b>\d+)\)"),
         "{x}은(는) 이 토크나이저의 토큰 id가 아닙니다 ({a}~{b})"),
    ),
}


def translate_detail(detail: str, lang: str = "en") -> str:
    """A refused value's rule (e.g. "must be between 1 and 20, got 50") in lang; unknown rules stay English."""
    for pattern, template in DETAILS.get(lang, ()):
        found = pattern.fullmatch(detail)
        if found:
            return template.format(**found.groupdict())
    return translate(detail, lang)


def language_of(request) -> str:
    """'ko' when the browser prefers Korean (Accept-Language), else 'en'."""
    headers = getattr(request, "headers", None) or {}
    accept = headers.get("accept-language", "") if hasattr(headers, "get") else ""
    first = accept.split(",")[0].strip().lower()
    return "ko" if first.startswith("ko") else "en"


def _key(text: str) -> str:
    # svelte-i18n reads dots as nesting, so keys are slugs; the hash keeps texts that slug alike apart
    # ("Segments" and "segments", or two long texts with the same beginning).
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return "t_" + re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()[:60] + "_" + digest


class Translator:
    """Collects UI strings while tabs are built; `tr(english)` returns a gradio I18n key for it, with the
    catalog's Korean."""

    def __init__(self):
        self.en: dict[str, str] = {}
        self.ko: dict[str, str] = {}

    def __call__(self, english: str):
        from gradio.i18n import I18nData

        key = _key(english)
        self.en[key] = english
        korean = catalog("ko").get(english)
        if korean is not None:
            self.ko[key] = korean
        return I18nData(key)

    def text(self, label) -> str:
        """The English text of a label made by this translator (plain strings pass through)."""
        key = getattr(label, "key", None)
        return self.en.get(key, key) if key else str(label or "")

    def i18n(self):
        """The gr.I18n to pass to launch(), with every string seen so far."""
        import gradio as gr

        return gr.I18n(en=self.en, ko=self.ko)
