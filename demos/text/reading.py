"""Shared pieces of the Text tab's reading tasks (token classification, question answering, zero-shot
classification, table question answering, fill-mask): token counts for the long-input notes, which lines
a note is about, batch results, and the highlighted-text value NER and QA draw.

No model, no gradio: importing this module imports neither gradio nor torch nor transformers.
"""

from __future__ import annotations

from typing import Any

from core.i18n import Note, note

# which lines of the input a note is about ("The input" for a single text); the Korean is in text.toml
THE_INPUT = "The input"
LINE = "Line {lines}"
LINES = "Lines {lines}"


def token_counts(tokenizer, texts: list[str], pairs: list[str] | None = None) -> list[int]:
    """Tokens (special tokens included) of each text, or of each (text, pair) when pairs are given."""
    encoded = tokenizer(texts, pairs) if pairs else tokenizer(texts)
    return [len(ids) for ids in encoded["input_ids"]]


def long_lines(counts: list[int], limit: int) -> list[int]:
    """The 1-based numbers of the lines whose token count is above limit."""
    return [i + 1 for i, n in enumerate(counts) if n > limit]


def which_note(lines: list[int], total: int) -> Note:
    """"The input" when there is one text, else "Line 3" / "Lines 2, 5" (a Note: shown in the reader's
    language)."""
    if total == 1:
        return note(THE_INPUT)
    return note(LINES if len(lines) > 1 else LINE, lines=", ".join(map(str, lines)))


def as_batches(output: Any, n: int) -> list:
    """The pipeline's result for n inputs as a list of n results (one input gives an unwrapped result)."""
    return [output] if n == 1 else list(output)


def highlight_value(texts: list[str], spans: list[list[tuple[int, int, str]]]) -> dict:
    """HighlightedText value for several texts (one per line) with (start, end, label) spans each."""
    text, entities, shift = "", [], 0
    for line, line_spans in zip(texts, spans):
        entities += [{"entity": label, "start": shift + s, "end": shift + e} for s, e, label in line_spans]
        text += line + "\n"
        shift = len(text)
    return {"text": text.rstrip("\n"), "entities": entities}
