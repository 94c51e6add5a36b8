"""Building the Python snippets shown in every Code panel (transformers 5, runnable as printed on the student's
machine: files are named as the student has them, never by the server's paths)."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib.util
import os
import pprint
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def py(value: Any) -> str:
    """A Python literal for value (strings, numbers, lists, dicts, None), wrapped when long; the paths of
    uploads and sample files in it are given as the snippet names them (file_name)."""
    if isinstance(value, tuple):
        value = list(value)
    value = _shown(value)
    text = repr(value)
    if len(text) <= 88:
        return text
    return pprint.pformat(value, width=100, sort_dicts=False)


def call_args(*args: Any, **kwargs: Any) -> str:
    """'a, b, key=value' with Python literals; kwargs whose value is ... are left out."""
    parts = [py(a) for a in args]
    parts += [f"{k}={py(v)}" for k, v in kwargs.items() if v is not ...]
    return ", ".join(parts)


def place_kwargs(place) -> dict[str, Any]:
    """device / device_map and dtype arguments matching how the app loaded the model."""
    kwargs: dict[str, Any] = {}
    if place.device_map:
        kwargs["device_map"] = place.device_map
    else:
        kwargs["device"] = place.device
    kwargs["dtype"] = place.dtype
    return kwargs


def source_kwargs(ref) -> dict[str, Any]:
    return {"revision": ref.revision} if ref.revision else {}


def pipeline_code(task: str, ref, place, inputs: list[Any] | tuple[Any, ...], params: dict[str, Any],
                  *, note: str = "", result: str = "result", after: str = "") -> str:
    """Snippet: build `pipeline(task, model=...)` and call it on inputs with params."""
    load = call_args(task, model=ref.source, **source_kwargs(ref), **place_kwargs(place))
    lines = []
    if note:
        lines += [f"# {line}" for line in note.splitlines()]
    lines += [
        "from transformers import pipeline",
        "",
        f"pipe = pipeline({load})",
        f"{result} = pipe({call_args(*inputs, **params)})",
    ]
    lines.append(after or f"print({result})")
    return "\n".join(lines) + "\n"


def from_pretrained(cls: str, ref, place=None, var: str = "model", **extra: Any) -> str:
    """`var = Cls.from_pretrained(source, ...)`; with place, also dtype and device placement."""
    kwargs = dict(source_kwargs(ref), **extra)
    if place is None:
        return f"{var} = {cls}.from_pretrained({call_args(ref.source, **kwargs)})"
    kwargs["dtype"] = place.dtype
    if place.device_map:
        kwargs["device_map"] = place.device_map
        return f"{var} = {cls}.from_pretrained({call_args(ref.source, **kwargs)})"
    return f"{var} = {cls}.from_pretrained({call_args(ref.source, **kwargs)}).to({py(place.device)})"


# ---- files named in snippets ----------------------------------------------------------------------------
# A snippet runs on the student's machine, where the server's copy of an upload (gradio's temporary folder,
# /tmp/gradio/<hash>/photo.jpg) does not exist: snippets name an upload by the name it had on the sender's
# machine (an example of the page by its own name, with where to download it), and a file given on the command
# line by its path (the command line runs on the student's own machine). ModelManager.code collects the files a
# snippet names and puts a comment on top saying where each one comes from.
_UPLOADS: OrderedDict[str, str] = OrderedDict()  # the server's copy -> the name the sender gave the file
_UPLOADS_KEPT = 4096
_UPLOADS_LOCK = threading.Lock()
_NAMING: contextvars.ContextVar[dict | None] = contextvars.ContextVar("naming", default=None)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")

# where a package's sample files can be downloaded: package -> the repository's raw-file address of its folder
SAMPLE_URLS = {
    "gradio": "https://github.com/gradio-app/gradio/raw/main/gradio/",
    "skimage": "https://github.com/scikit-image/scikit-image/raw/main/skimage/",
}
SAMPLE_FOLDERS = (("gradio", "media_assets"), ("skimage", "data"))
APP_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_FOLDER = "playground-examples"  # examples the app draws once (an invoice, a video) under the temp dir


def uploaded(path: str, orig_name: Any) -> None:
    """Remember the name an upload had on the sender's machine (gradio's FileData orig_name)."""
    if not isinstance(orig_name, str) or not orig_name.strip():
        return
    key = _key(path)
    with _UPLOADS_LOCK:
        _UPLOADS[key] = orig_name
        _UPLOADS.move_to_end(key)
        while len(_UPLOADS) > _UPLOADS_KEPT:
            _UPLOADS.popitem(last=False)


def _key(path: Any) -> str:
    return _real(str(path))


@functools.lru_cache(maxsize=4096)
def _real(path: str) -> str:
    # realpath walks every folder of the path (an lstat each): snippets ask for the same few paths all the time
    try:
        return os.path.realpath(os.path.expanduser(path))
    except (OSError, ValueError):
        return path


def _clean(name: str) -> str:
    """A file name safe to print in code and comments: no folders, no control characters, not too long."""
    name = _UNSAFE.sub("_", str(name).replace("\\", "/").rsplit("/", 1)[-1]).strip() or "file"
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:100] + dot + ext[:16]) if dot else name[:120]
    return name


def _temp_folders() -> list[str]:
    return list(_temp_folders_for(tempfile.gettempdir(), os.environ.get("GRADIO_TEMP_DIR")))


@functools.lru_cache(maxsize=8)
def _temp_folders_for(tmp: str, gradio_tmp: str | None) -> tuple[str, ...]:
    from core.loading import gradio_folders

    return tuple(str(f) for f in gradio_folders())


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


@functools.cache
def _sample_roots() -> tuple[tuple[str, str, str], ...]:
    """(folder, package, the package's own folder) of every installed sample folder."""
    roots = []
    for package, *parts in SAMPLE_FOLDERS:
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin:
            base = Path(spec.origin).resolve().parent
            if base.joinpath(*parts).is_dir():
                roots.append((str(base.joinpath(*parts)), package, str(base)))
    return tuple(roots)


@functools.cache
def _samples_by_name() -> dict[str, tuple[str, ...]]:
    """file name -> the sample files of that name (packages' sample folders and this app's demos/ folder)."""
    found: dict[str, list[str]] = {}
    folders = [root for root, _, _ in _sample_roots()] + [str(APP_ROOT / "demos")]
    for folder in folders:
        for path in Path(folder).rglob("*"):
            if path.is_file() and path.suffix.lower() not in (".py", ".pyc", ".toml", ".md"):
                found.setdefault(path.name, []).append(str(path))
    return {name: tuple(paths) for name, paths in found.items()}


def _same_file(a: str, b: str) -> bool:
    try:
        if os.path.getsize(a) != os.path.getsize(b):
            return False
        with open(a, "rb") as fa, open(b, "rb") as fb:
            return fa.read() == fb.read()
    except OSError:
        return False


def _examples_folder() -> str:
    return _key(Path(os.environ.get("GRADIO_TEMP_DIR") or tempfile.gettempdir()) / EXAMPLES_FOLDER)


def _origin(path: str) -> tuple[str, str] | None:
    """(kind, where) when path is a sample file: ("package", url or description), ("app", relative path) or
    ("drawn", ""); None for other files."""
    for root, package, base in _sample_roots():
        if _inside(path, root):
            relative = Path(path).relative_to(base).as_posix()
            url = SAMPLE_URLS.get(package)
            return "package", (f"{package}'s sample {url}{relative}" if url else
                               f"a sample file of the {package} package ({package}/{relative})")
    if _inside(path, str(APP_ROOT / "demos")):
        return "app", Path(path).relative_to(APP_ROOT).as_posix()
    if _inside(path, _examples_folder()):
        return "drawn", ""
    return None


def _describe(path: str) -> tuple[str, str, str]:
    """(name in the snippet, kind, where) for a file the app read: kind is "upload", "package", "app", "drawn"
    or "local" (a path on this machine, kept as it is)."""
    given = _UPLOADS.get(path)
    if given is None and not any(_inside(path, folder) for folder in _temp_folders()):
        return path, "local", ""  # the command line's file: on the student's machine already
    name = _clean(given or os.path.basename(path))
    for candidate in _samples_by_name().get(name, ()) + _drawn(name):
        if _same_file(path, candidate):  # an example of the page, copied into gradio's folder under its name
            origin = _origin(_key(candidate))
            if origin is not None:
                return name, *origin
    return name, "upload", ""


def _drawn(name: str) -> tuple[str, ...]:
    candidate = os.path.join(_examples_folder(), name)
    return (candidate,) if os.path.isfile(candidate) else ()


def file_name(value: Any) -> str:
    """The path a snippet gives for the file at `value` (a path): an upload's original name, or, for a file given
    on this machine, its absolute path. Inside ModelManager.code the file is also
    noted for the snippet's header."""
    path = _key(value)
    naming = _NAMING.get()
    if naming is not None and path in naming:
        return naming[path][0]
    name, kind, where = _describe(path)
    if naming is not None:
        taken = {shown for shown, *_ in naming.values()}
        stem, dot, ext = name.rpartition(".")
        number = 2
        while name in taken:  # two different files sent under one name
            name = f"{stem}-{number}.{ext}" if dot else f"{ext}-{number}"
            number += 1
        naming[path] = (name, kind, where)
    return name


def original_name(value: Any) -> str:
    """The file's name as its sender had it (an upload's original name, else the file's own name)."""
    return _clean(_UPLOADS.get(_key(value)) or os.path.basename(str(value)))


def path_literal(value: Any) -> str:
    """file_name(value) as a Python string literal."""
    return repr(file_name(value))


def _is_file_path(value: Any) -> bool:
    """Whether a string in a snippet's data is a path of a file the app read (an upload or a sample)."""
    if not isinstance(value, str) or len(value) > 4096 or "\n" in value or not os.path.isabs(value):
        return False
    path = _key(value)
    return path in _UPLOADS or any(_inside(path, f) for f in _temp_folders())


def _shown(value: Any) -> Any:
    """value with every file path in it replaced by file_name (for literals in snippets)."""
    if isinstance(value, str):
        return file_name(value) if _is_file_path(value) else value
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_shown(v) for v in value)
    return value


FILE_NOTES = {
    "upload": "{name}: the file you uploaded; put it in the folder you run this from",
    "package": "{name}: {where}; download it into the folder you run this from",
    "app": "{name}: this app's example file {where}; copy it into the folder you run this from",
    "drawn": "{name}: an example file the app drew; download it from the page (or use a file of yours) into "
             "the folder you run this from",
}


@contextlib.contextmanager
def naming_files() -> Iterator[dict]:
    """Collect the files snippets name within the block: {path: (name, kind, where)}."""
    named: dict = {}
    token = _NAMING.set(named)
    try:
        yield named
    finally:
        _NAMING.reset(token)


def file_notes(named: dict) -> list[str]:
    """Comment lines saying where each file a snippet names comes from (none for local paths)."""
    return [f"# {FILE_NOTES[kind].format(name=name, where=where)}" for name, kind, where in named.values()
            if kind in FILE_NOTES]
