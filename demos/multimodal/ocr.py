"""The words of a document for LayoutLM: typed by the user (the `word_boxes` field) or read by Tesseract
(`ocr_words`, the call the document-question-answering pipeline makes itself when it gets no word boxes),
with boxes on LayoutLM's 0-1000 scale (thousandths of the page width and height).

Imports neither gradio nor torch; pytesseract is imported when OCR runs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from core.errors import UserError
from core.params import Field, Text

WORD_BOXES = "word_boxes"
MAX_WORDS = 5000  # a dense page has about a thousand words; more is no document


# ---- word boxes typed by the user --------------------------------------------------------------------
def _bad_boxes(detail: str) -> UserError:
    return UserError("bad_param", name=WORD_BOXES, detail=detail)


def _box(value: Any, n: int) -> list[int]:
    try:
        box = [int(round(float(v))) for v in value]
    except (TypeError, ValueError, OverflowError):
        raise _bad_boxes(f"word {n}: the box must be 4 numbers [x0, y0, x1, y1], got {str(value)[:80]!r}") from None
    if len(box) != 4:
        raise _bad_boxes(f"word {n}: the box must be 4 numbers [x0, y0, x1, y1], got {str(value)[:80]!r}")
    if not all(0 <= v <= 1000 for v in box):
        raise _bad_boxes(f"word {n}: box numbers are on a 0-1000 scale (thousandths of the page), got {box}")
    if box[0] > box[2] or box[1] > box[3]:
        raise _bad_boxes(f"word {n}: x0 must not exceed x1, nor y0 y1, got {box}")
    return box


def _lines(text: str) -> list:
    items = []
    for n, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 5:
            raise _bad_boxes(f"line {n}: expected 'word x0 y0 x1 y1', got {line.strip()[:80]!r}")
        items.append([" ".join(parts[:-4]), parts[-4:]])
    return items


def parse_word_boxes(value: Any) -> list[dict]:
    """[{"word", "box"}, ...] from the user's word boxes; [] when none are given.

    Accepted: a JSON list of [word, [x0, y0, x1, y1]] pairs or of {"word", "box"} dicts (this task's own
    raw output, or its "words" list, can be pasted back), or one `word x0 y0 x1 y1` per line. Boxes are on
    the 0-1000 scale LayoutLM uses; at most MAX_WORDS words. UserError("bad_param") for anything else.
    """
    if value is None or value == "" or value == []:
        return []
    items = value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text[0] in "[{":
            try:
                items = json.loads(text)
            except ValueError as exc:
                raise _bad_boxes(f"not valid JSON ({exc})") from None
        else:
            items = _lines(text)
    if isinstance(items, dict) and "words" in items:
        items = items["words"]
    if not isinstance(items, list):
        raise _bad_boxes("expected a list of [word, [x0, y0, x1, y1]] pairs")
    if len(items) > MAX_WORDS:
        raise UserError("too_large", what="Word boxes", detail=f"{len(items):,} words; at most {MAX_WORDS:,}")
    words = []
    for n, item in enumerate(items, start=1):
        if isinstance(item, dict):
            word, box = item.get("word"), item.get("box")
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            word, box = item
        else:
            raise _bad_boxes(f"word {n}: expected [word, [x0, y0, x1, y1]], got {str(item)[:80]!r}")
        if not str(word or "").strip():
            raise _bad_boxes(f"word {n} is empty")
        words.append({"word": str(word).strip(), "box": _box(box, n)})
    return words


@dataclass(frozen=True)
class WordBoxes(Text):
    """Word boxes as text (JSON or one `word x0 y0 x1 y1` per line) or as a list: parses to
    [{"word", "box"}, ...] ([] when empty), within max_chars and MAX_WORDS."""

    kind = "word_boxes"

    def parse(self, value: Any) -> list[dict]:
        if isinstance(value, (list, tuple, dict)):
            super().parse(json.dumps(value, ensure_ascii=False))  # the same size bound as typed text
            return parse_word_boxes(list(value) if isinstance(value, tuple) else value)
        return parse_word_boxes(super().parse(value))


# ---- Tesseract ---------------------------------------------------------------------------------------
_LANGUAGE_CODES = re.compile(r"[A-Za-z_]+(\+[A-Za-z_]+)*")


@dataclass(frozen=True)
class OcrLanguage(Field):
    """A Tesseract language code or several joined by '+' (eng, kor, eng+kor), at most max_chars long. Its
    widget is a dropdown of the languages installed, which only the running app knows (built in build)."""

    default: str = "eng"
    max_chars: int = 100
    kind = "ocr_language"

    def parse(self, value: Any) -> str:
        lang = ("" if value is None else str(value)).strip() or self.default
        if len(lang) > self.max_chars:
            raise UserError("too_large", what=self.title, detail=f"{len(lang):,} characters; at most {self.max_chars}")
        if not _LANGUAGE_CODES.fullmatch(lang):
            raise self.bad(f"Tesseract language codes look like eng, kor or eng+kor, got {lang[:40]!r}")
        return lang

    def describe(self) -> dict:
        return {**super().describe(), "max_chars": self.max_chars}


def tesseract_languages() -> list[str]:
    """Installed Tesseract languages (without 'osd'); [] when tesseract is missing."""
    try:
        import pytesseract

        return [lang for lang in pytesseract.get_languages(config="") if lang != "osd"]
    except Exception:  # no binary, or an unexpected answer: the dropdown falls back to eng
        return []


def _missing_language(lang: str) -> UserError:
    installed = tesseract_languages()
    missing = [code for code in lang.split("+") if code not in installed] or lang.split("+")
    packages = " ".join(f"tesseract-ocr-{code.lower().replace('_', '-')}" for code in missing)
    return UserError("bad_param", name="lang",
                     detail=f"Tesseract has no data for {', '.join(missing)} here (installed: "
                            f"{', '.join(installed) or 'none'}): install it (sudo apt install {packages})")


def ocr_words(image, lang: str) -> list[dict]:
    """Tesseract's words: [{"word", "box" (0-1000 scale, as the pipeline computes it), "conf"}, ...]."""
    import pytesseract

    try:
        data = pytesseract.image_to_data(image, lang=lang, output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractError as exc:
        if "Failed loading language" in str(exc) or "Error opening data file" in str(exc):
            raise _missing_language(lang) from None
        raise
    width, height = image.size
    words = []
    for text, x, y, w, h, conf in zip(data["text"], data["left"], data["top"], data["width"], data["height"],
                                      data["conf"]):
        if text.strip():
            box = [int(1000 * (x / width)), int(1000 * (y / height)), int(1000 * ((x + w) / width)),
                   int(1000 * ((y + h) / height))]
            words.append({"word": text, "box": box, "conf": float(conf)})
    return words
