"""The rows to embed: typed lines ("label | text"), an uploaded CSV/TSV/TXT file, and images.

`read_rows(inputs)` returns every row in order (texts first, then images) as `Row`s; it is used by the run
functions and again by the renderers (for labels and hover texts), so both see the same rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import UserError

MAX_ROWS = 5000
MAX_IMAGES = 256
SEPARATOR = "|"  # "label | text": the first | separates an optional label from the text
PLACEHOLDER = "label | text, one per line (the label is optional), e.g.\nanimal | The cat sleeps on the sofa.\nfinance | Stocks fell sharply today."

TEXT_COLUMNS = ("text", "sentence", "sentences", "sentence1", "document", "content", "query", "question",
                "문장", "텍스트")
LABEL_COLUMNS = ("label", "labels", "category", "class", "target", "topic", "레이블", "라벨", "분류")

SENTENCES = "Sentences"  # the text input's label (and the `what` of its messages)
UPLOAD = "Upload (CSV or TXT)"
IMAGES = "Images"


@dataclass(frozen=True)
class Row:
    """One thing to embed: a text, or an image (text is then its file name, source its path)."""

    text: str
    label: str = ""
    kind: str = "text"
    source: str = ""


def split_line(line: str) -> tuple[str, str]:
    """'label | text' -> (text, label); a line without '|' (or with nothing after it) is all text."""
    label, sep, text = line.partition(SEPARATOR)
    if sep and text.strip():
        return text.strip(), label.strip()
    return line.strip(), ""


def parse_lines(text: str | None) -> list[Row]:
    """Rows of typed text: one per non-empty line, with an optional 'label |' in front."""
    rows = []
    for line in (text or "").splitlines():
        if line.strip():
            sentence, label = split_line(line)
            rows.append(Row(sentence, label))
    return rows


def _path_of(value: Any) -> str | None:
    """A file path from gradio's values (str, {"path": ...}, FileData-like objects)."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        value = value.get("path") or value.get("name")
    elif not isinstance(value, (str, Path)):
        value = getattr(value, "path", None) or getattr(value, "name", None)
    return str(value) if value else None


def _decode(data: bytes, what: str) -> str:
    """File bytes as text: UTF-8 (with or without BOM), else CP949 (Korean Excel exports)."""
    if b"\x00" in data[:4096]:
        raise UserError("bad_file", what=what, detail="this is a binary file, not CSV or text")
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UserError("bad_file", what=what, detail="the text is neither UTF-8 nor CP949 (EUC-KR)")


def delimiter_of(path: str, text: str) -> str:
    """Tab for .tsv; for .csv the one of , ; tab that csv.Sniffer finds in the first lines (default ,)."""
    if path.lower().endswith(".tsv"):
        return "\t"
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def csv_columns(header: list[str]) -> tuple[int, int | None]:
    """(text column, label column or None) of a CSV header: named columns first, else the first column."""
    names = [h.strip().lower() for h in header]
    text = next((names.index(n) for n in TEXT_COLUMNS if n in names), 0)
    label = next((names.index(n) for n in LABEL_COLUMNS if n in names and names.index(n) != text), None)
    return text, label


def parse_csv(path: str, text: str, what: str = UPLOAD) -> list[Row]:
    """Rows of a CSV/TSV with a header row: the text column (text, sentence, ... else the first) and an
    optional label column (label, category, class, ...). Rows with an empty text are skipped."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter_of(path, text))
    try:
        header = next(reader)
    except StopIteration:
        raise UserError("empty_input", what=what) from None
    except csv.Error as exc:
        raise UserError("bad_file", what=what, detail=str(exc)) from None
    text_col, label_col = csv_columns(header)
    rows = []
    try:
        for record in reader:
            value = record[text_col].strip() if text_col < len(record) else ""
            if value:
                label = record[label_col].strip() if label_col is not None and label_col < len(record) else ""
                rows.append(Row(value, label))
    except csv.Error as exc:
        raise UserError("bad_file", what=what, detail=str(exc)) from None
    return rows


def parse_file(value: Any, what: str = UPLOAD) -> list[Row]:
    """Rows of an uploaded file: .csv/.tsv by columns, anything else as lines of 'label | text'."""
    path = _path_of(value)
    if not path:
        return []
    file = Path(path)
    if not file.is_file():
        raise UserError("bad_file", what=what, detail=f"no such file: {file.name}")
    text = _decode(file.read_bytes(), what)
    if file.suffix.lower() in (".csv", ".tsv"):
        return parse_csv(path, text, what)
    return parse_lines(text)


def image_rows(values: Any) -> list[Row]:
    """One image row per uploaded file, labelled "image", named after the file."""
    if not values:
        return []
    if not isinstance(values, (list, tuple)):
        values = [values]
    paths = [p for p in (_path_of(v) for v in values) if p]
    if len(paths) > MAX_IMAGES:
        raise UserError("too_large", what=IMAGES, detail=f"{len(paths)} images; at most {MAX_IMAGES}")
    return [Row(Path(p).name, "image", "image", p) for p in paths]


def read_rows(inputs: dict, *, require: bool = True) -> list[Row]:
    """Every row of a run: the uploaded file's rows (or, without a file, the typed lines), then the images.

    Raises UserError: empty_input when there is nothing (and require), too_large above MAX_ROWS rows.
    """
    if file_path(inputs):
        rows = parse_file(inputs.get("file"))
        if not rows:
            raise UserError("empty_input", what=UPLOAD)
    else:
        rows = parse_lines(inputs.get("text"))
    rows += image_rows(inputs.get("images"))
    if not rows and require:
        raise UserError("empty_input", what=SENTENCES)
    if len(rows) > MAX_ROWS:
        raise UserError("too_large", what=SENTENCES, detail=f"{len(rows)} rows; at most {MAX_ROWS}")
    return rows


def source_of(inputs: dict) -> str:
    """'file' when the rows come from an upload, else 'text' (for the code panel)."""
    return "file" if _path_of(inputs.get("file")) else "text"


def file_path(inputs: dict) -> str | None:
    return _path_of(inputs.get("file"))
