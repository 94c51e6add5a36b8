"""The rows to embed and their fields: typed lines ("label | text"), an uploaded CSV/TSV/TXT file, and images.

Each input is a field (core.params) whose parse reads it once per run: the typed lines become `Row`s, the
upload is read, decoded and split into rows (with what the Code panel needs to read it again: encoding,
delimiter, columns), the images are opened and decoded (`Picture`, the model's copy). `rows_of(inputs)` joins
the parsed inputs into the run's rows (the upload's rows, or else the typed ones, then the images); the run,
the Code panel and the drawings all use those rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.codegen import original_name
from core.errors import UserError
from core.params import File, Lines, plain

MAX_ROWS = 2000  # rows per run (typed, uploaded and images together): the map, the neighbours, the vectors
MAX_CHARS = 200_000  # characters of the typed lines, and of an upload's texts
MAX_UPLOAD_BYTES = 5_000_000
MAX_IMAGES = 64
SEPARATOR = "|"  # "label | text": the first | separates an optional label from the text
PLACEHOLDER = ("label | text, one per line (the label is optional), e.g.\nanimal | The cat sleeps on the sofa.\n"
               "finance | Stocks fell sharply today.")

TEXT_COLUMNS = ("text", "sentence", "sentences", "sentence1", "document", "content", "query", "question",
                "문장", "텍스트")
LABEL_COLUMNS = ("label", "labels", "category", "class", "target", "topic", "레이블", "라벨", "분류")

SENTENCES = "Sentences"  # the text input's label (and the `what` of its messages)
UPLOAD = "Upload (CSV or TXT)"
IMAGES = "Images"


@dataclass(frozen=True)
class Row:
    """One thing to embed: a text, or an image (text is then its file name, source its path, image the
    decoded picture the model reads)."""

    text: str
    label: str = ""
    kind: str = "text"
    source: str = ""
    image: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Upload:
    """An uploaded file as read: its rows, and how it was read (for the Code panel)."""

    path: str
    rows: tuple[Row, ...]
    encoding: str
    delimiter: str | None = None  # None: lines of 'label | text'
    header: tuple[str, ...] = ()
    text_column: int = 0
    label_column: int | None = None


@dataclass(frozen=True)
class Picture:
    """An uploaded image: its file name and path, and the decoded picture (core.images.load_image)."""

    name: str
    path: str
    image: Any = field(compare=False, repr=False)


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


def _decode(data: bytes, what: str) -> tuple[str, str]:
    """(text, encoding) of file bytes: UTF-8 (with or without BOM), else CP949 (Korean Excel exports)."""
    if b"\x00" in data[:4096]:
        raise UserError("bad_file", what=what, detail="this is a binary file, not CSV or text")
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return data.decode(encoding), encoding
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


def parse_csv(path: str, text: str, encoding: str = "utf-8", what: str = UPLOAD) -> Upload:
    """A CSV/TSV with a header row: the text column (text, sentence, ... else the first) and an optional label
    column (label, category, class, ...). Rows with an empty text are skipped."""
    delimiter = delimiter_of(path, text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
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
                _check_count(len(rows), what)
    except csv.Error as exc:
        raise UserError("bad_file", what=what, detail=str(exc)) from None
    return Upload(path, tuple(rows), encoding, delimiter, tuple(header), text_col, label_col)


def _check_count(n: int, what: str) -> None:
    if n > MAX_ROWS:
        raise UserError("too_large", what=what, detail=f"more than {MAX_ROWS:,} rows")


def read_upload(path: str, what: str = UPLOAD) -> Upload:
    """An uploaded file's rows: .csv/.tsv by columns, anything else as lines of 'label | text'."""
    file = Path(path)
    if not file.is_file():
        raise UserError("bad_file", what=what, detail=f"no such file: {file.name}")
    size = file.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise UserError("too_large", what=what, detail=f"{size:,} bytes; at most {MAX_UPLOAD_BYTES:,}")
    text, encoding = _decode(file.read_bytes(), what)
    if file.suffix.lower() in (".csv", ".tsv"):
        upload = parse_csv(path, text, encoding, what)
    else:
        upload = Upload(path, tuple(parse_lines(text)), encoding)
    _check_count(len(upload.rows), what)
    chars = sum(len(r.text) for r in upload.rows)
    if chars > MAX_CHARS:
        raise UserError("too_large", what=what, detail=f"{chars:,} characters of text; at most {MAX_CHARS:,}")
    if not upload.rows:
        raise UserError("empty_input", what=what)
    return upload


# ---- the fields ---------------------------------------------------------------------------------------------
def _path(value: Any) -> Any:
    """A file path from what callers send: a path, gradio's FileData, or a bare {"path": ...}."""
    value = plain(value)
    if isinstance(value, dict):
        return value.get("path") or value.get("name")
    return value


@dataclass(frozen=True)
class Sentences(Lines):
    """Typed lines of 'label | text' (the label is optional): parses to Rows."""

    def parse(self, value: Any) -> list[Row]:
        if value and isinstance(value, (list, tuple)) and all(isinstance(v, Row) for v in value):
            return list(value)
        return [Row(*split_line(line)) for line in super().parse(value)]


@dataclass(frozen=True)
class Table(File):
    """An uploaded CSV/TSV/TXT file (a path): parses to its Upload (read and split into rows), None without."""

    required: bool = False

    def parse(self, value: Any) -> Upload | None:
        if isinstance(value, Upload):
            return value
        path = super().parse(_path(value))
        if path is None:
            return None
        if not isinstance(path, str):
            raise self.bad(f"expected a file path, got {type(path).__name__}")
        return read_upload(path, self.title)


@dataclass(frozen=True)
class Pictures(File):
    """Uploaded images (paths; one or a list): parses to Pictures, each decoded once (core.images.load_image),
    at most max_items of them."""

    required: bool = False
    max_items: int = MAX_IMAGES

    def parse(self, value: Any) -> list[Picture]:
        from core.images import MAX_PIXELS, load_image

        value = plain(value)
        if value is None or value == "":
            return []
        values = [_path(v) for v in (value if isinstance(value, (list, tuple)) else [value])]
        if len(values) > self.max_items:
            raise UserError("too_large", what=self.title, detail=f"{len(values)} images; at most {self.max_items}")
        pictures = []
        for item in values:
            if isinstance(item, Picture):
                pictures.append(item)
                continue
            if not isinstance(item, str) or not item.strip():
                raise self.bad(f"expected image file paths, got {type(item).__name__}")
            image = load_image(item, self.title, max_pixels=MAX_PIXELS)
            pictures.append(Picture(original_name(item), item, image))
        return pictures

    def describe(self) -> dict:
        return {**super().describe(), "max_items": self.max_items}


TEXT = Sentences("text", label=SENTENCES, help="One per line; 'label | text' colours the points by label",
                 max_chars=MAX_CHARS, max_items=MAX_ROWS, lines=10, placeholder=PLACEHOLDER)
FILE = Table("file", label=UPLOAD, widget=(("file_types", [".csv", ".tsv", ".txt"]), ("height", 160)))
PICTURES = Pictures("images", label=IMAGES, widget=(("file_count", "multiple"), ("file_types", ["image"]),
                                                    ("type", "filepath"), ("height", 160)))
ROW_INPUTS = (TEXT, FILE, PICTURES)


def rows_of(inputs: dict) -> list[Row]:
    """Every row of a run (parsed inputs): the upload's rows (or, without one, the typed lines), then the images.
    Raises UserError: empty_input when there is nothing, too_large above MAX_ROWS rows."""
    upload = inputs.get("file")
    rows = list(upload.rows) if upload is not None else list(inputs.get("text") or ())
    rows += [Row(p.name, "image", "image", p.path, p.image) for p in inputs.get("images") or ()]
    if not rows:
        raise UserError("empty_input", what=SENTENCES)
    _check_count(len(rows), SENTENCES)
    return rows


def read_rows(values: dict) -> list[Row]:
    """rows_of the row inputs given as an API call gives them (text, a file path, image paths)."""
    from core.params import fields

    parsed = fields(*ROW_INPUTS).parse({k: v for k, v in values.items() if k in ("text", "file", "images")})
    return rows_of(parsed)
