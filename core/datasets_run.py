"""Dataset mode: run one task over every row of a file, a folder, a ZIP or a Hugging Face dataset (issue 15).

No gradio here: the UI panel, the CLI (`python app.py run TASK --dataset ...`) and the benchmark share it.

    source = open_source("reviews.csv", offline=True)            # Source: kind, name, columns, num_rows
    source.preview(5)                                             # the first rows, as dicts
    columns = guess_columns(task, source)                         # {"text": "review"}: task input -> column
    with open_writer(Path("out.jsonl")) as writer:                # .jsonl / .csv / .parquet, streamed
        result = run_dataset(manager, task, model, source, columns=columns, params={}, batch_size=8,
                             sink=writer.write, progress=print, cancel=threading.Event())
    result.done, result.failed, result.seconds, result.cancelled, result.summary

Sources are read with `datasets`' loaders (csv/json/parquet/text/arrow, load_from_disk, a streamed Hub
dataset); rows come lazily, in order. A folder or ZIP of images/audio/documents gives one row per file
(column `file`), or the rows of its `metadata.csv`/`metadata.jsonl` whose `file_name` column names the files
(the `imagefolder` convention); files are given to the task as paths, so the task reads them with the same
checks as uploads (pixels, aspect, audio seconds). ZIPs are bounded (members, uncompressed size, no paths out).

Output rows (what `sink` gets, in input order, a chunk at a time): the mapped input columns as given, then
`output` (the single run's JSON for that row, core.jsonable) and `error` (None, or the row's one line). A
pipeline task runs the study notes' way, `pipe(KeyDataset(rows, "x"), batch_size=N, **kwargs)`, over the
inputs the task's own `run` would give its pipeline; its `run` then shapes each answer exactly as a single run
does. An AutoClass task runs through its `batch` (chunks of batch_size), others row by row. The model's lock is
held per chunk, so other users of a server take turns with a long run; each chunk runs under --timeout (a
chunk past it fails its own rows). run_dataset takes any number of rows: the page caps them with the
dataset_rows limit (core.limits), the CLI does not.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import deadline, limits
from core.errors import UserError, explain
from core.jsonable import jsonable
from core.loading import is_hub_id, is_inside
from core.params import File, Lines, Text
from core.registry import Output, TaskSpec

TABLE_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet",
                  ".txt": "txt", ".arrow": "arrow"}
OUTPUT_SUFFIXES = (".jsonl", ".csv", ".parquet")
MEDIA_SUFFIXES = {
    "image": {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"},
    "audio": {".wav", ".flac", ".mp3", ".ogg", ".m4a", ".opus", ".aac"},
    "video": {".mp4", ".webm", ".mov", ".avi", ".mkv"},
    "document": {".pdf"},
}
METADATA_FILES = ("metadata.csv", "metadata.jsonl")
# names a main input column is often given (after the input's own name and its aliases)
TEXT_NAMES = ("text", "sentence", "sentences", "content", "review", "document", "question", "prompt", "input")


# ---- sources ---------------------------------------------------------------------------------------------
@dataclass
class Source:
    """An opened dataset (see the module docstring); rows come as dicts, lazily, in order."""

    kind: str                        # csv tsv jsonl parquet txt arrow saved files hub
    name: str                        # what the user gave (file name or Hub id)
    columns: list[tuple[str, str]]   # (name, type as text: "string", "int64", "image file", "audio", ...)
    num_rows: int | None             # None when streamed and unknown
    dataset: Any = None              # the datasets.Dataset / IterableDataset
    base: Path | None = None         # the folder file names in the rows are relative to
    media: dict[str, str] = field(default_factory=dict)  # column -> image/audio/video/document (files or bytes)
    split: str | None = None
    config: str | None = None
    path: Path | None = None         # the local file or folder (None for a Hub dataset)
    total: int | None = None         # rows a streamed dataset says it has (num_rows stays None: not counted)
    _tmp: Path | None = None         # an extracted ZIP, removed by close()

    def preview(self, n: int = 5) -> list[dict]:
        """The first n rows as a table shows them (an undecoded image or clip as its file name)."""
        return [{k: _cell(v) for k, v in row.items()} for row in self.rows(n)]

    def rows(self, limit: int | None = None) -> Iterator[dict]:
        """The rows in order; at most limit. A streamed Hub dataset reads only what is taken."""
        ds = self.dataset
        if limit is not None and self.num_rows is None and hasattr(ds, "take"):
            ds = ds.take(limit)
        count = 0
        try:
            for row in ds:
                if limit is not None and count >= limit:
                    return
                count += 1
                yield {k: _shown(v) for k, v in row.items()}
        except UserError:
            raise
        except Exception as exc:
            raise UserError("dataset_unreadable", name=self.name, detail=_first_line(exc)) from exc

    def file_path(self, value: Any) -> str:
        """The path of a file a row names (relative to base; never outside it)."""
        if self.base is None:
            raise UserError("dataset_file", name=str(value)[:120], detail="this dataset has no folder of files")
        name = str(value or "").strip()
        path = Path(os.path.abspath(self.base / name))
        if not name or not is_inside(path, Path(os.path.abspath(self.base))) or not path.is_file():
            raise UserError("dataset_file", name=name[:120], detail="no such file in the dataset's folder")
        return str(path)

    def close(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _shown(value: Any) -> Any:
    """A row's value as rows() gives it: Image/Audio features read without decoding stay {"bytes", "path"}."""
    return value


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


def _type_of(feature: Any) -> tuple[str, str | None]:
    """(type as text, media) of a datasets feature."""
    name = type(feature).__name__
    if name == "Value":
        return ("string" if feature.dtype == "large_string" else str(feature.dtype)), None
    if name in ("Image", "Audio", "Video", "Pdf"):
        media = {"Image": "image", "Audio": "audio", "Video": "video", "Pdf": "document"}[name]
        return media, media
    if name in ("List", "Sequence", "LargeList"):
        inner = getattr(feature, "feature", None)
        return f"list of {_type_of(inner)[0] if inner is not None else '?'}", None
    if name == "ClassLabel":
        return "class label", None
    if isinstance(feature, dict):
        return "dict", None
    return name.lower(), None


def _undecoded(ds: Any) -> tuple[Any, list[tuple[str, str]], dict[str, str]]:
    """(ds with Image/Audio/Video columns read as bytes (the app decodes them with its checks), columns,
    media)."""
    import datasets

    columns, media = [], {}
    features = ds.features or {}
    for name, feature in features.items():
        kind, medium = _type_of(feature)
        if medium is not None:
            media[name] = medium
            cls = {"image": "Image", "audio": "Audio", "video": "Video", "document": "Pdf"}[medium]
            if hasattr(datasets, cls):
                try:
                    ds = ds.cast_column(name, getattr(datasets, cls)(decode=False))
                except Exception:  # a feature without decode=False: leave it
                    pass
        columns.append((name, kind))
    return ds, columns, media


def _file_columns(ds: Any, base: Path, columns: list[tuple[str, str]], media: dict[str, str]) -> None:
    """Mark the string columns whose first value names a file in base as file columns ("image file" ...)."""
    try:
        first = next(iter(ds.select(range(1)) if hasattr(ds, "select") else ds.take(1)))
    except StopIteration:
        return
    for i, (name, kind) in enumerate(columns):
        value = first.get(name)
        if kind == "string" and isinstance(value, str) and value.strip():
            path = Path(os.path.abspath(base / value.strip()))
            if is_inside(path, Path(os.path.abspath(base))) and path.is_file():
                medium = _medium(path) or "document"
                media[name] = medium
                columns[i] = (name, f"{medium} file")


def _medium(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return next((m for m, suffixes in MEDIA_SUFFIXES.items() if suffix in suffixes), None)


def _load(builder: str, files: list[str], **kwargs) -> Any:
    import datasets

    datasets.disable_progress_bars()
    datasets.utils.logging.set_verbosity_error()
    return datasets.load_dataset(builder, data_files=files, split="train", **kwargs)


def _load_table(kind: str, path: Path, name: str) -> Any:
    builder, kwargs = {"csv": ("csv", {}), "tsv": ("csv", {"sep": "\t"}), "jsonl": ("json", {}),
                       "parquet": ("parquet", {}), "txt": ("text", {}), "arrow": ("arrow", {})}[kind]
    if path.stat().st_size == 0:
        raise UserError("dataset_empty", name=name)
    try:
        return _load(builder, [str(path)], **kwargs)
    except UserError:
        raise
    except Exception as exc:
        if "corresponds to no data" in str(exc):  # a header and no rows
            raise UserError("dataset_empty", name=name) from exc
        raise UserError("dataset_unreadable", name=name, detail=_first_line(exc)) from exc


def _check_zip(archive: zipfile.ZipFile, name: str) -> None:
    members = [m for m in archive.infolist() if not m.is_dir()]
    limits.check("zip_members", len(members), f"{name}: files in the ZIP")
    total = sum(m.file_size for m in members)
    limits.check("zip_mb", total / 1e6, f"{name}: uncompressed size in MB")
    for m in members:
        target = Path(m.filename)
        if target.is_absolute() or ".." in target.parts or m.filename.startswith(("/", "\\")) or \
                (m.external_attr >> 16) & 0o170000 == 0o120000:  # a symlink
            raise UserError("dataset_zip", name=name, detail=f"{m.filename[:120]} points outside the ZIP")


def _extract(path: Path, name: str) -> Path:
    """The ZIP at path extracted into a fresh temporary folder, within the limits."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UserError("dataset_zip", name=name, detail=_first_line(exc)) from exc
    with archive:
        _check_zip(archive, name)
        folder = Path(tempfile.mkdtemp(prefix="playground-dataset-"))
        try:
            for m in archive.infolist():
                if m.is_dir():
                    continue
                target = folder / m.filename
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(m) as src, open(target, "wb") as dst:
                    # the member's declared size was checked; a member that inflates past it is cut off
                    shutil.copyfileobj(_Bounded(src, m.file_size), dst)
        except UserError:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        except Exception as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise UserError("dataset_zip", name=name, detail=_first_line(exc)) from exc
    return folder


class _Bounded(io.RawIOBase):
    """A reader that gives at most `size` bytes of src."""

    def __init__(self, src, size: int):
        self.src, self.left = src, size

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        n = self.left if n is None or n < 0 else min(n, self.left)
        data = self.src.read(n)
        self.left -= len(data)
        return data


def _open_folder(folder: Path, name: str, kind: str) -> Source:
    """A folder of files: the rows of its metadata file, or one row per media file (column `file`)."""
    import datasets

    for meta in METADATA_FILES:
        if (folder / meta).is_file():
            ds = _load_table("csv" if meta.endswith(".csv") else "jsonl", folder / meta, f"{name}/{meta}")
            ds, columns, media = _undecoded(ds)
            _file_columns(ds, folder, columns, media)
            if not len(ds):
                raise UserError("dataset_empty", name=name)
            return Source(kind, name, columns, len(ds), ds, folder, media, path=folder)
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and not p.name.startswith(".") and "__MACOSX" not in p.parts and _medium(p))
    if not files:
        raise UserError("dataset_empty", name=name)
    kinds = Counter(_medium(folder / f) for f in files)
    medium = kinds.most_common(1)[0][0]
    ds = datasets.Dataset.from_dict({"file": files})
    return Source(kind, name, [("file", f"{medium} file")], len(files), ds, folder, {"file": medium}, path=folder)


def is_saved_dataset(folder: Path) -> bool:
    """Whether folder holds a dataset saved with save_to_disk (a Dataset or a DatasetDict)."""
    return any((folder / name).is_file() for name in ("dataset_dict.json", "state.json", "dataset_info.json"))


def _open_saved(folder: Path, name: str, split: str | None) -> Source:
    import datasets

    try:
        ds = datasets.load_from_disk(str(folder))
    except Exception as exc:
        raise UserError("dataset_unreadable", name=name, detail=_first_line(exc)) from exc
    if isinstance(ds, datasets.DatasetDict):
        splits = list(ds)
        chosen = split or ("train" if "train" in ds else splits[0] if len(splits) == 1 else None)
        if chosen not in ds:
            raise UserError("dataset_split", name=name, split=split or "", splits=", ".join(splits))
        ds, split = ds[chosen], chosen
    if not len(ds):
        raise UserError("dataset_empty", name=name)
    ds, columns, media = _undecoded(ds)
    return Source("saved", name, columns, len(ds), ds, None, media, split=split, path=folder)


def _open_hub(spec: str, split: str | None, config: str | None, offline: bool) -> Source:
    if offline:
        raise UserError("dataset_offline", name=spec)
    from core.loading import hub_reachable

    if not hub_reachable():  # datasets would retry for half a minute
        raise UserError("dataset_hub", name=spec, detail="the Hub cannot be reached from this machine")
    import datasets

    datasets.disable_progress_bars()
    split = split or "train"
    try:
        ds = datasets.load_dataset(spec, config, split=split, streaming=True)
    except Exception as exc:
        err = explain(exc, model=spec)
        if err.key in ("not_available", "hub_unreachable"):
            raise UserError("dataset_hub", name=spec, detail=_first_line(exc)) from exc
        raise UserError("dataset_unreadable", name=spec, detail=_first_line(exc)) from exc
    num_rows = None
    info = getattr(ds, "info", None)
    splits = getattr(info, "splits", None) or {}
    if split in splits and getattr(splits[split], "num_examples", None):
        num_rows = int(splits[split].num_examples)
    ds, columns, media = _undecoded(ds)
    # a streamed dataset's rows() takes what it needs; the total stays unknown unless the Hub says it
    return Source("hub", spec, columns, None, ds, None, media, split=split, config=config, total=num_rows)


def open_source(spec: str, *, split: str | None = None, config: str | None = None, offline: bool,
                allowed_roots: list[Path] | None = None) -> Source:
    """The dataset spec names: a file (CSV, TSV, JSON Lines, Parquet, TXT, Arrow), a ZIP or folder of files,
    a save_to_disk folder, or a Hub id (streamed). allowed_roots: folders a local path must lie in (None:
    any). UserError with one line for anything that cannot be opened."""
    spec = (spec or "").strip()
    if not spec:
        raise UserError("empty_input", what="Dataset")
    path = Path(os.path.abspath(Path(spec).expanduser()))
    allowed = allowed_roots is None or any(is_inside(path, Path(os.path.abspath(r))) for r in allowed_roots)
    name = path.name if allowed and path.exists() else spec
    if not (allowed and path.exists()):
        looks_local = spec.startswith(("/", ".", "~")) or Path(spec).suffix.lower() in {*TABLE_SUFFIXES, ".zip"}
        if looks_local or not is_hub_id(spec) or spec.count("/") > 1:
            raise UserError("dataset_missing", name=spec[:200])
        return _open_hub(spec, split, config, offline)
    if path.is_dir():
        if is_saved_dataset(path):
            return _open_saved(path, name, split)
        parquet = sorted(path.glob("*.parquet")) or sorted(path.glob("*.arrow"))
        if parquet and not any(_medium(p) for p in path.iterdir()):
            builder = "parquet" if parquet[0].suffix == ".parquet" else "arrow"
            try:
                ds = _load(builder, [str(p) for p in parquet])
            except Exception as exc:
                raise UserError("dataset_unreadable", name=name, detail=_first_line(exc)) from exc
            return _table_source(builder, ds, name, path)
        return _open_folder(path, name, "files")
    suffix = path.suffix.lower()
    if suffix == ".zip":
        folder = _extract(path, name)
        try:
            source = _open_folder(folder, name, "files")
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        source._tmp = folder
        return source
    kind = TABLE_SUFFIXES.get(suffix)
    if kind is None:
        raise UserError("dataset_format", name=name, suffix=suffix or "(none)")
    return _table_source(kind, _load_table(kind, path, name), name, path)


def _table_source(kind: str, ds: Any, name: str, path: Path) -> Source:
    if not len(ds) or not ds.column_names:
        raise UserError("dataset_empty", name=name)
    ds, columns, media = _undecoded(ds)
    base = path if path.is_dir() else path.parent
    _file_columns(ds, base, columns, media)
    return Source(kind, name, columns, len(ds), ds, base, media, path=path)


# ---- columns ---------------------------------------------------------------------------------------------
def dataset_inputs(task: TaskSpec) -> list[str]:
    """The task's inputs a column can feed (its main input first); [] for a task that cannot run over a
    dataset (several models at once)."""
    if task.multi_model > 1 or not task.inputs:
        return []
    return list(task.inputs)


def _wants(field_: Any) -> str:
    if isinstance(field_, File):
        return field_.media if field_.media in MEDIA_SUFFIXES else "document"
    if isinstance(field_, (Text, Lines)):
        return "text"
    return "other"


def guess_columns(task: TaskSpec, source: Source) -> dict[str, str]:
    """task input name -> column, for the inputs a column plausibly feeds: a column named like the input (or
    one of its aliases); for the main input, else the first column of its kind (a text column, an image file
    column...)."""
    names = [c for c, _ in source.columns]
    lowered = {c.lower(): c for c in names}
    guess: dict[str, str] = {}
    used: set[str] = set()
    for i, (input_name, field_) in enumerate(task.inputs.items()):
        candidates = [input_name, *getattr(field_, "aliases", ())]
        hit = next((lowered[c.lower()] for c in candidates if c.lower() in lowered and lowered[c.lower()] not in used), None)
        if hit is None and i == 0:
            wants = _wants(field_)
            if wants == "text":
                hit = next((lowered[n] for n in TEXT_NAMES if n in lowered), None) or \
                    next((c for c, t in source.columns if t == "string" and c not in source.media), None)
            elif wants != "other":
                hit = next((c for c in names if source.media.get(c) == wants), None) or \
                    next((c for c in names if c in source.media), None)
        if hit is not None:
            guess[input_name] = hit
            used.add(hit)
    return guess


def check_columns(task: TaskSpec, source: Source, columns: dict[str, str], fixed=()) -> dict[str, str]:
    """columns with input names made canonical; UserError for an unknown input, a missing column, or a main
    input without one (unless it is one of `fixed`, the inputs given once for every row)."""
    known = {c for c, _ in source.columns}
    out: dict[str, str] = {}
    for input_name, column in columns.items():
        canonical = task.inputs.canonical(input_name)
        if canonical is None:
            raise UserError("bad_param", name=input_name, detail=f"{task.id} takes: {', '.join(task.inputs) or 'none'}")
        if column not in known:
            raise UserError("dataset_column", column=column, name=source.name, columns=", ".join(sorted(known)))
        out[canonical] = column
    if not dataset_inputs(task):
        raise UserError("dataset_task", task=task.id)
    if not out or (task.inputs.first not in out and task.inputs.first not in fixed):
        raise UserError("dataset_no_column", what=task.inputs[task.inputs.first].title, name=source.name,
                        columns=", ".join(c for c, _ in source.columns))
    return out


# ---- running ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Progress:
    done: int
    total: int | None
    items_per_s: float
    eta_s: float | None
    failed: int = 0


@dataclass
class DatasetRun:
    done: int = 0
    failed: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    summary: dict = field(default_factory=dict)
    model: str = ""


class _Call(Exception):
    """Raised by the recorder: run's pipeline call, caught before it runs."""

    def __init__(self, inputs: Any, kwargs: dict):
        self.inputs, self.kwargs = inputs, kwargs


class _NotRecordable(Exception):
    pass


_MISSING = object()


class _Recorder:
    """The pipeline as run's first pass sees it: its call is recorded (raised as _Call), not run."""

    def __init__(self, pipe):
        object.__setattr__(self, "_pipe", pipe)

    def __getattr__(self, name):
        return getattr(self._pipe, name)

    def __setattr__(self, name, value):
        raise _NotRecordable(name)

    def __call__(self, inputs=_MISSING, **kwargs):
        if inputs is _MISSING:
            raise _NotRecordable("keyword input")
        raise _Call(inputs, kwargs)


class _Replayer:
    """The pipeline as run's second pass sees it: the first call answers with the batched result."""

    def __init__(self, pipe, answer):
        object.__setattr__(self, "_pipe", pipe)
        object.__setattr__(self, "_answer", [answer])

    def __getattr__(self, name):
        return getattr(self._pipe, name)

    def __setattr__(self, name, value):
        setattr(self._pipe, name, value)

    def __call__(self, *args, **kwargs):
        if self._answer:
            return self._answer.pop()
        return self._pipe(*args, **kwargs)


@dataclass
class _Row:
    index: int
    shown: dict                     # the row's mapped columns, as given (the output row's inputs)
    inputs: dict | None = None      # parsed inputs (None: failed before the model)
    params: dict | None = None
    call: _Call | None = None       # the recorded pipeline call
    value: Any = _MISSING
    error: str | None = None
    original: dict = field(default_factory=dict)  # the whole row (a reference column is read from it)


def _row_inputs(source: Source, row: dict, columns: dict[str, str], fixed: dict, folder: Path,
                task: TaskSpec, index: int, temps: list) -> dict:
    inputs = dict(fixed)
    for input_name, column in columns.items():
        value = row.get(column)
        if isinstance(task.inputs[input_name], File):
            value = _file_value(source, column, value, folder, index, temps)
        elif value is not None and not isinstance(value, str):
            if isinstance(value, (int, float, bool)):
                value = str(value)
            else:
                raise UserError("dataset_type", column=column, kind=type(value).__name__)
        inputs[input_name] = "" if value is None else value
    return inputs


def _file_value(source: Source, column: str, value: Any, folder: Path, index: int, temps: list) -> str:
    """A path the task reads: a file the row names, or the bytes of an undecoded Image/Audio feature written to
    a temporary file."""
    if isinstance(value, dict) and ("bytes" in value or "path" in value):
        data, name = value.get("bytes"), value.get("path") or ""
        if data:
            path = folder / f"{index}{Path(name).suffix[:8] if name else ''}"
            path.write_bytes(data)
            temps.append(path)
            return str(path)
        value = name
    if isinstance(value, str) and value.strip():
        return source.file_path(value)
    if value is None or value == "":
        return ""
    raise UserError("dataset_type", column=column, kind=type(value).__name__)


def _pipeline_kind(obj: Any) -> str:
    return type(obj).__name__


def _answer_chunk(task: TaskSpec, obj: Any, rows: list[_Row], batch_size: int) -> None:
    """Fill each row's value (or error): pipelines through KeyDataset, AutoClass tasks through batch."""
    from core.batching import _LISTED, _SINGLE, _UNMERGED, Batcher, PipelineProxy, Unmergeable, freeze

    ready = [r for r in rows if r.error is None]
    is_pipe = task.loader.kind == "pipeline"
    if is_pipe and _pipeline_kind(obj) not in _UNMERGED:
        for r in ready:
            try:
                r.value = task.run(_Recorder(obj), r.inputs, r.params)  # run answered without its pipeline
            except _Call as call:
                # a fresh one, without the traceback: its frames hold the chunk's rows (a cycle per chunk)
                r.call = _Call(call.inputs, call.kwargs)
            except _NotRecordable:
                pass
            except deadline.RunTimeout:
                raise
            except Exception as exc:
                r.error = explain(exc, task=task.id).text()
        shaper = PipelineProxy(obj, threading.Lock(), Batcher(0, 2), None)
        groups: dict[Any, list[_Row]] = {}
        for r in ready:
            if r.call is None:
                continue
            rest = {k: v for k, v in r.call.kwargs.items() if k != "batch_size"}
            x = r.call.inputs
            try:
                if isinstance(x, tuple) or (isinstance(x, list) and not x):
                    raise Unmergeable("tuple")
                key = (freeze(rest), shaper._shape(x))
            except Unmergeable:
                key = ("alone", r.index)
            groups.setdefault(key, []).append(r)
        kind = _pipeline_kind(obj)
        for key, members in groups.items():
            rest = {k: v for k, v in members[0].call.kwargs.items() if k != "batch_size"}
            if key[0] == "alone":
                r = members[0]
                try:
                    r.value = task.run(_Replayer(obj, obj(r.call.inputs, **r.call.kwargs)), r.inputs, r.params)
                except deadline.RunTimeout:
                    raise
                except Exception as exc:
                    r.error = explain(exc, task=task.id).text()
                continue
            try:
                answers = _key_dataset_call(obj, members, rest, batch_size, kind, _SINGLE, _LISTED)
            except deadline.RunTimeout:
                raise
            except Exception:  # one bad row spoils a batch: answer each alone, so it fails by itself
                answers = None
            for j, r in enumerate(members):
                try:
                    answer = answers[j] if answers is not None else obj(_fresh(r.call.inputs), **r.call.kwargs)
                    r.value = task.run(_Replayer(obj, answer), r.inputs, r.params)
                except deadline.RunTimeout:
                    raise
                except Exception as exc:
                    r.error = explain(exc, task=task.id).text()
        for r in ready:  # rows whose run could not be recorded run as a single run does
            if r.error is None and r.value is _MISSING:
                _run_one(task, obj, r)
        return
    if task.batch is not None and ready:
        for start in range(0, len(ready), batch_size):
            part = ready[start:start + batch_size]
            if len({json.dumps(jsonable(r.params), sort_keys=True) for r in part}) == 1:
                try:
                    values = task.batch(obj, [r.inputs for r in part], part[0].params)
                    if len(values) == len(part):
                        for r, v in zip(part, values):
                            r.value = v
                        continue
                except deadline.RunTimeout:
                    raise
                except Exception:
                    pass
            for r in part:
                _run_one(task, obj, r)
        return
    for r in ready:
        _run_one(task, obj, r)


def _run_one(task: TaskSpec, obj: Any, r: _Row) -> None:
    try:
        r.value = task.run(obj, r.inputs, r.params)
    except deadline.RunTimeout:
        raise
    except Exception as exc:
        r.error = explain(exc, task=task.id).text()


def _fresh(x: Any) -> Any:
    """A copy a pipeline may consume (pipelines pop an audio dict's keys)."""
    if isinstance(x, dict):
        return dict(x)
    if isinstance(x, list):
        return [dict(v) if isinstance(v, dict) else v for v in x]
    return x


def _key_dataset_call(pipe, members: list[_Row], kwargs: dict, batch_size: int, kind: str, single, listed) -> list:
    """One answer per member, as pipe(member's input, **kwargs) gives it, from one
    `pipe(KeyDataset(items, "x"), batch_size=N, **kwargs)` over every member's items."""
    from transformers.pipelines.pt_utils import KeyDataset

    flat = []
    for r in members:
        x = r.call.inputs
        flat.extend(_fresh(v) for v in (x if isinstance(x, list) else [x]))
    out = list(pipe(KeyDataset([{"x": v} for v in flat], "x"), batch_size=max(1, min(batch_size, len(flat))), **kwargs))
    if len(out) != len(flat):
        raise RuntimeError(f"{kind} gave {len(out)} answers for {len(flat)} inputs")
    answers, start = [], 0
    for r in members:
        x = r.call.inputs
        if isinstance(x, list):
            elements = out[start:start + len(x)]
            start += len(x)
            answers.append(listed[kind](x, elements) if kind in listed else elements)
        else:
            answers.append(single[kind](x, out[start], kwargs) if kind in single else out[start])
            start += 1
    return answers


class _Summary:
    """The run's summary, built as rows finish (a few counters: memory stays flat)."""

    def __init__(self, task: TaskSpec, reference: str | None):
        self.task, self.reference = task, reference
        self.labels: Counter = Counter()
        self.entities: Counter = Counter()
        self.detections: Counter = Counter()
        self.scores: list[float] = [0.0, 0]  # sum, count
        self.wer = [0, 0]  # errors, reference words
        self.images = 0
        self.texts = [0, 0]  # characters, count
        self.answers = 0
        self.gallery: list[int] = []  # the first rows whose output holds an image (a gallery's picks)

    def add(self, index: int, value: Any, original: dict) -> None:
        top = _top_label(value)
        if top is not None:
            self.labels[str(top["label"])] += 1
            if isinstance(top.get("score"), (int, float)):
                self.scores[0] += float(top["score"])
                self.scores[1] += 1
        if isinstance(value, list) and value and all(isinstance(v, dict) and "box" in v and "label" in v for v in value):
            self.detections.update(str(v["label"]) for v in value)  # object detection: labels over every box
        entities = _entities(value)
        if entities is not None:
            for e in entities:
                self.entities[str(e.get("entity_group") or e.get("entity"))] += 1
        answer = _answer(value)
        if answer is not None:
            self.answers += 1
            if isinstance(answer.get("score"), (int, float)):
                self.scores[0] += float(answer["score"])
                self.scores[1] += 1
        text = _text_of(value)
        if isinstance(text, str):
            self.texts[0] += len(text)
            self.texts[1] += 1
            if self.reference is not None:
                ref = original.get(self.reference)
                if isinstance(ref, str) and ref.strip():
                    errors, words = _word_errors(ref, text)
                    self.wer[0] += errors
                    self.wer[1] += words
        if _has_image(value):
            self.images += 1
            if len(self.gallery) < 12:
                self.gallery.append(index)

    def result(self, done: int, failed: int) -> dict:
        out: dict[str, Any] = {"rows": done, "failed": failed}
        if self.reference is not None and self.wer[1]:
            out.update(kind="wer", wer=self.wer[0] / self.wer[1], reference=self.reference,
                       reference_words=self.wer[1])
        elif self.labels:
            out.update(kind="labels", counts=dict(self.labels.most_common()))
        elif self.entities:
            out.update(kind="entities", counts=dict(self.entities.most_common()))
        elif self.detections:
            out.update(kind="detections", counts=dict(self.detections.most_common()))
        elif self.images:
            out.update(kind="images", count=self.images, rows_with_images=list(self.gallery))
        elif self.answers:
            out.update(kind="answers", count=self.answers)
        elif self.texts[1]:
            out.update(kind="texts", mean_chars=self.texts[0] / self.texts[1])
        else:
            out.update(kind="rows")
        if self.scores[1]:
            out["mean_score"] = self.scores[0] / self.scores[1]
        return out


def _top_label(value: Any) -> dict | None:
    """The best {"label", "score"} of a classifier's answer (a list of them, or a list of such lists)."""
    if isinstance(value, dict) and "labels" in value and "scores" in value and value["labels"]:  # zero-shot
        return {"label": value["labels"][0], "score": value["scores"][0]}
    if isinstance(value, list) and value and isinstance(value[0], list):
        value = value[0]
    if isinstance(value, list) and value and all(isinstance(v, dict) and "label" in v and "score" in v
                                                 and "box" not in v and "mask" not in v for v in value):
        return max(value, key=lambda v: v["score"])
    return None


def _answer(value: Any) -> dict | None:
    """The best answer of a question-answering result (a dict, or a list of them best first)."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        value = value[0]
    return value if isinstance(value, dict) and "answer" in value else None


def _text_of(value: Any) -> str | None:
    """The text of a transcript, summary, translation or generation ({"text"}, [{"summary_text"}], ...)."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, dict):
        for key in ("text", "summary_text", "translation_text", "generated_text"):
            if isinstance(value.get(key), str):
                return value[key]
    return None


def _entities(value: Any) -> list | None:
    if isinstance(value, list) and value and isinstance(value[0], list):
        value = [e for part in value for e in part]
    if isinstance(value, list) and value and all(isinstance(v, dict) and ("entity_group" in v or "entity" in v)
                                                 for v in value):
        return value
    return None


def _has_image(value: Any) -> bool:
    text = json.dumps(value)[:100_000] if isinstance(value, (dict, list)) else ""
    return "data:image/" in text


def _words(text: str) -> str:
    """text lowercased, without punctuation, one space between words (how WER is usually reported)."""
    return " ".join("".join(ch if ch.isalnum() or ch in "'" else " " for ch in text.lower()).split())


def _word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word errors, reference words) the way jiwer counts them."""
    import jiwer

    reference, hypothesis = _words(reference), _words(hypothesis)
    if not reference:
        return 0, 0
    out = jiwer.process_words(reference, hypothesis)
    return out.substitutions + out.deletions + out.insertions, out.substitutions + out.deletions + out.hits


def run_dataset(manager, task: TaskSpec, model: str, source: Source, *, columns: dict[str, str], params: dict,
                batch_size: int = 8, limit: int | None = None, reference: str | None = None,
                sink: Callable[[list[dict]], None] | None = None,
                progress: Callable[[Progress], None] | None = None,
                cancel: threading.Event | None = None, chunk: int | None = None) -> DatasetRun:
    """Run task over source's rows (see the module docstring). columns: task input -> column (check_columns);
    params: the task's parameters as given (inputs named here apply to every row); reference: a column of
    expected transcripts (a WER summary). Raises UserError before the first row when the run cannot start; a
    failing row gets its error line and the run goes on."""
    fixed_names = {task.inputs.canonical(k) for k in params} - {None}
    columns = check_columns(task, source, {k: v for k, v in columns.items() if task.inputs.canonical(k) not in fixed_names},
                            fixed=fixed_names)
    known = {c for c, _ in source.columns}
    if reference is not None and reference not in known:
        raise UserError("dataset_column", column=reference, name=source.name, columns=", ".join(sorted(known)))
    if not 1 <= int(batch_size) <= 256:
        raise UserError("bad_param", name="batch_size", detail=f"must be between 1 and 256, got {batch_size}")
    batch_size = int(batch_size)
    if limit is not None and int(limit) < 1:
        raise UserError("bad_param", name="limit", detail=f"must be at least 1, got {limit}")
    settings = manager.settings
    with limits.active(settings.limits):
        fixed = {k: v for k, v in params.items() if task.inputs.canonical(k)}
        given = {k: v for k, v in params.items() if not task.inputs.canonical(k)}
        for k in given:
            if task.params.canonical(k) is None:
                known_names = ", ".join([*task.inputs, *task.params]) or "none"
                raise UserError("bad_param", name=k, detail=f"{task.id} takes: {known_names}")
        task.params.parse({task.params.canonical(k): v for k, v in given.items()})  # a bad parameter: no start
        total = source.num_rows if source.num_rows is not None else source.total
        if limit is not None:
            total = min(total, limit) if total is not None else int(limit)
    entry = manager.loaded(task, model)
    chunk = chunk or max(batch_size * 4, 16)
    summary = _Summary(task, reference)
    result = DatasetRun(model=model)
    start = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="playground-rows-"))
    shown_columns = list(dict.fromkeys([*columns.values(), *([reference] if reference else [])]))
    rows = source.rows(limit)
    try:
        index = 0
        while True:
            if cancel is not None and cancel.is_set():
                result.cancelled = True
                break
            batch: list[_Row] = []
            temps: list[Path] = []
            for row in rows:
                r = _Row(index, {c: _cell(row.get(c)) for c in shown_columns}, original=row)
                index += 1
                try:
                    with limits.active(settings.limits):
                        raw = _row_inputs(source, row, columns, fixed, folder, task, r.index, temps)
                        r.inputs, r.params = task.parse(raw, given)
                except Exception as exc:
                    r.error = explain(exc, task=task.id).text()
                batch.append(r)
                if len(batch) >= chunk:
                    break
            if not batch:
                break
            try:
                with entry.lock, deadline.within(settings.timeout), limits.active(settings.limits):
                    _answer_chunk(task, entry.obj, batch, batch_size)
            except deadline.RunTimeout as exc:  # this chunk's unanswered rows say so; the next chunk starts afresh
                for r in batch:
                    if r.error is None and r.value is _MISSING:
                        r.error = explain(exc, task=task.id).text()
            out_rows = []
            for r in batch:
                value = None
                if r.error is None:
                    try:
                        if r.value is _MISSING:
                            raise RuntimeError("no answer for this row")
                        value = r.value.value if isinstance(r.value, Output) else r.value
                        if task.postprocess is not None:
                            from core.models import unpack

                            value = unpack(task.postprocess(value, r.inputs, r.params))[0]
                        value = jsonable(value)
                    except Exception as exc:
                        value, r.error = None, explain(exc, task=task.id).text()
                out = {**r.shown, "output": value, "error": r.error}
                if r.error is None:
                    summary.add(r.index, value, r.original)
                else:
                    result.failed += 1
                out_rows.append(out)
            for p in temps:
                p.unlink(missing_ok=True)
            result.done += len(batch)
            if sink is not None:
                sink(out_rows)
            if progress is not None:
                seconds = time.perf_counter() - start
                rate = result.done / seconds if seconds > 0 else 0.0
                eta = (total - result.done) / rate if total is not None and rate > 0 else None
                progress(Progress(result.done, total, rate, max(0.0, eta) if eta is not None else None, result.failed))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result.seconds = time.perf_counter() - start
    result.summary = summary.result(result.done, result.failed)
    return result


def _cell(value: Any) -> Any:
    """An input cell as the output row keeps it: undecoded image/audio bytes become their file name."""
    if isinstance(value, dict) and "bytes" in value:
        return value.get("path") or "(bytes)"
    return value


# ---- writing ---------------------------------------------------------------------------------------------
class Writer:
    """Writes output rows to .jsonl / .csv / .parquet as they come (`output` is JSON text in CSV and Parquet,
    nested in JSON Lines); the file is made when the first rows come. Use as a context manager, or call close()."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.kind = self.path.suffix.lower().lstrip(".")
        self.rows = 0
        self._fh = None
        self._csv = None
        self._parquet = None
        self._schema = None

    def write(self, rows: list[dict]) -> None:
        if not rows:
            return
        if self.kind == "jsonl":
            if self._fh is None:
                self._fh = open(self.path, "w", encoding="utf-8")
            for row in rows:
                self._fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        elif self.kind == "csv":
            if self._fh is None:
                self._fh = open(self.path, "w", encoding="utf-8", newline="")
                self._csv = csv.DictWriter(self._fh, fieldnames=list(rows[0]))
                self._csv.writeheader()
            for row in rows:
                self._csv.writerow({k: _csv_cell(k, v) for k, v in row.items()})
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            flat = [{k: (json.dumps(v, ensure_ascii=False) if k == "output" and v is not None else v)
                     for k, v in row.items()} for row in rows]
            if self._parquet is None:
                names = list(rows[0])
                table = pa.Table.from_pylist(flat)
                fields = [pa.field(n, pa.string()) if n in ("output", "error") or table.schema.field(n).type == pa.null()
                          else table.schema.field(n) for n in names]
                self._schema = pa.schema(fields)
                self._parquet = pq.ParquetWriter(str(self.path), self._schema)
            try:
                table = pa.Table.from_pylist(flat, schema=self._schema)
            except (pa.ArrowInvalid, pa.ArrowTypeError):  # an input column whose type changed: kept as text
                table = pa.Table.from_pylist([{k: v if v is None or self._schema.field(k).type != pa.string()
                                               else str(v) for k, v in row.items()} for row in flat], schema=self._schema)
            self._parquet.write_table(table)
        self.rows += len(rows)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _csv_cell(key: str, value: Any) -> Any:
    if key == "output":
        return "" if value is None else json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def open_writer(path: Path) -> Writer:
    """A Writer for path, by its suffix (.jsonl, .csv, .parquet); UserError for another suffix."""
    path = Path(path)
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise UserError("dataset_output", name=path.name, suffixes=", ".join(OUTPUT_SUFFIXES))
    if not path.parent.is_dir():
        raise UserError("dataset_output_dir", name=str(path.parent))
    return Writer(path)


# ---- CLI -------------------------------------------------------------------------------------------------
def parse_columns(task: TaskSpec, given: list[str]) -> dict[str, str]:
    """--column values: NAME (the main input's column) or INPUT=NAME (a text pair's second column...)."""
    out: dict[str, str] = {}
    for item in given:
        key, sep, value = item.partition("=")
        if sep:
            if not key.strip() or not value.strip():
                raise UserError("bad_param", name="--column", detail=f"expected NAME or INPUT=NAME, got {item!r}")
            out[key.strip()] = value.strip()
        elif task.inputs.first:
            out[task.inputs.first] = item.strip()
    return out


def _format_progress(p: Progress) -> str:
    total = f"/{p.total}" if p.total is not None else ""
    eta = f", ETA {p.eta_s:.0f} s" if p.eta_s is not None else ""
    failed = f", {p.failed} failed" if p.failed else ""
    return f"progress: {p.done}{total} rows, {p.items_per_s:.1f} rows/s{eta}{failed}"


def dataset_command(tabs, manager, task_id: str, model: list[str] | None, raw_params: list[str], *,
                    dataset: str, split: str | None, config: str | None, column: list[str],
                    batch_size: int | None, limit: int | None, output: str | None, reference: str | None = None,
                    raw_input: str | None = None) -> int:
    """`python app.py run TASK --dataset ...`: rows to --output, progress and the summary on stderr; exit 0
    when every row ran (failed rows carry their error), 2 with one line when the run cannot start."""
    from core.cli import build_call
    from core.registry import all_tasks

    table = all_tasks(tabs)
    source = None
    try:
        if task_id not in table:
            raise UserError("unknown_task", task=task_id)
        _, task = table[task_id]
        if raw_input is not None:
            raise UserError("bad_param", name="INPUT", detail="give either INPUT or --dataset, not both")
        if not output:
            raise UserError("bad_param", name="--output", detail="--dataset needs --output FILE (.jsonl, .csv or .parquet)")
        out_path = Path(output).expanduser().resolve()
        if out_path.suffix.lower() not in OUTPUT_SUFFIXES:
            raise UserError("dataset_output", name=out_path.name, suffixes=", ".join(OUTPUT_SUFFIXES))
        fixed, params = _raw_params(task, raw_params, build_call)
        source = open_source(dataset, split=split, config=config, offline=manager.settings.offline)
        given = {task.inputs.canonical(k) or k: v for k, v in parse_columns(task, column or []).items()}
        columns = {**guess_columns(task, source), **given}
        for name in fixed:  # an input given by --param applies to every row
            columns.pop(name, None)
        chosen = (model or [None])[0] or manager.choices(task)[1]
        writer = open_writer(out_path)
        last = [0.0]

        def report(p: Progress) -> None:
            now = time.monotonic()
            if now - last[0] >= 1.0 or (p.total is not None and p.done >= p.total):
                last[0] = now
                print(_format_progress(p), file=sys.stderr, flush=True)

        with writer:
            result = run_dataset(manager, task, chosen, source, columns=columns, params={**fixed, **params},
                                 batch_size=batch_size or 8, limit=limit, reference=reference,
                                 sink=writer.write, progress=report)
    except UserError as err:
        print(f"error: {err.text()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; the rows written so far are kept", file=sys.stderr)
        return 130
    finally:
        if source is not None:
            source.close()
    print(f"done: {result.done} rows in {result.seconds:.1f} s, {result.failed} failed -> {out_path}", file=sys.stderr)
    print("summary: " + json.dumps(result.summary, ensure_ascii=False), file=sys.stderr)
    return 0


def _raw_params(task: TaskSpec, raw_params: list[str], build_call) -> tuple[dict, dict]:
    """(inputs given for every row, params) from --param KEY=VALUE, checked as a single run checks them."""
    inputs, params = build_call(task, None, raw_params)
    return inputs, params


__all__ = ["Source", "open_source", "guess_columns", "check_columns", "dataset_inputs", "run_dataset",
           "Progress", "DatasetRun", "Writer", "open_writer", "parse_columns", "dataset_command"]
