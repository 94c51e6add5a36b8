"""Loading helpers for the model manager: model references and where they may come from, where models run,
transformers' thread-safe import, what a loaded model is (classes, size), and what transformers reports
while loading (newly initialised weights). No gradio; torch and transformers are imported on first use."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import UserError
from core.settings import Settings


@dataclass(frozen=True)
class ModelRef:
    """A model as the user named it: a Hub id (with an optional @revision) or a local folder."""

    source: str
    revision: str | None = None
    local: bool = False

    @property
    def display(self) -> str:
        return f"{self.source}@{self.revision}" if self.revision else self.source

    @property
    def name(self) -> str:
        """How progress texts name it: the Hub id, or a local folder's own name (not the server's path)."""
        return Path(self.source).name if self.local else self.display

    @staticmethod
    def parse(text: str) -> ModelRef:
        """'owner/name', 'owner/name@rev', or a folder path (made absolute: a relative path that
        does not exist would otherwise be taken for a Hub id)."""
        text = (text or "").strip()
        if not text:
            raise UserError("no_model")
        path = Path(text).expanduser()
        if path.is_dir():
            return ModelRef(str(path.resolve()), None, True)
        if text.startswith(("/", "./", "../", "~")) or text.count("/") > 1:
            raise UserError("unknown_model", model=text)
        name, sep, rev = text.partition("@")
        return ModelRef(name, rev or None, False)


@dataclass(frozen=True)
class Place:
    """Where and how models run: device ('cpu', 'cuda', 'mps'), dtype name, device_map."""

    device: str
    dtype: str
    device_map: str | None = None


@dataclass
class Bundle:
    """What an AutoClass loader returns: the model (or None) and its tokenizer/processor."""

    model: Any
    processor: Any
    config: Any = None


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]{0,95}(/[\w.\-]{1,96})?(@[\w.\-/]{1,128})?$")


def is_hub_id(text: str) -> bool:
    """Whether text is shaped like a Hub id: name or owner/name, optionally @revision."""
    return bool(_HUB_ID.match(text)) and ".." not in text


def is_inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def gradio_folders() -> list[Path]:
    """gradio's upload and temporary folders: never a model source, whatever the allowed roots say."""
    folders = [Path(tempfile.gettempdir()) / "gradio"]
    if os.environ.get("GRADIO_TEMP_DIR"):
        folders.append(Path(os.environ["GRADIO_TEMP_DIR"]))
    return [Path(os.path.abspath(f)).resolve() for f in folders]


NEW_HEAD = ("⚠️ {weights} of {model_class} were not in the checkpoint and are newly initialised at random, so "
            "the results are random until the model is fine-tuned for this task.")


def head_notes(entries: list) -> tuple:
    """A note per model some of whose weights transformers initialised at random (a task head the checkpoint
    did not have)."""
    from core.i18n import note

    return tuple(note(NEW_HEAD, weights=", ".join(e.info["newly_initialised"][:4]), model_class=e.info["model_class"])
                 for e in entries if e.info.get("newly_initialised"))


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@contextlib.contextmanager
def load_report():
    """Collect the weights transformers reports as MISSING (newly initialised) while loading, in a list.
    transformers logs that report as a warning, which the app's quiet logging would drop: the modeling
    logger is opened to warnings for the duration (loads are serialised, see _load_lock), and the report is
    caught, not printed."""
    logger = logging.getLogger("transformers.modeling_utils")
    missing: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            text = _ANSI.sub("", record.getMessage())
            if "LOAD REPORT" in text:
                missing.extend(line.split("|")[0].strip() for line in text.splitlines()
                               if "|" in line and line.split("|")[1].strip() == "MISSING")

    catch = Catch()
    level, propagate = logger.level, logger.propagate
    logger.addHandler(catch)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield missing
    finally:
        logger.removeHandler(catch)
        logger.setLevel(level)
        logger.propagate = propagate


def kind_of(architecture: str, model_type: str = "") -> str:
    """What kind of model an architecture name is, in a few words ("a speech model")."""
    name = architecture.lower()
    kinds = (
        (("speech", "audio", "ctc", "whisper", "wav2vec", "hubert", "vits", "tts", "musicgen", "encodec"), "a speech/audio model"),
        (("image", "vision", "vit", "detr", "segment", "depth", "yolos", "sam", "convnext", "resnet", "swin", "clip", "dino"), "a vision model"),
        (("video",), "a video model"),
        (("causallm", "lmhead", "forconditionalgeneration", "seq2seq"), "a text generation model"),
        (("maskedlm",), "a fill-mask model"),
        (("tokenclassification",), "a token classification model"),
        (("questionanswering",), "a question answering model"),
        (("sequenceclassification",), "a text classification model"),
    )
    for needles, kind in kinds:
        if any(n in name or n in model_type for n in needles):
            return kind
    return "a model for another task"


_HUB_PROBE: dict[str, tuple[float, bool]] = {}


def hub_reachable(timeout: float = 3.0, ttl: float = 30.0) -> bool:
    """Whether a TCP connection to the Hub endpoint (HF_ENDPOINT) opens; remembered for ttl seconds."""
    import socket
    from urllib.parse import urlparse

    from huggingface_hub import constants

    url = urlparse(constants.ENDPOINT)
    now = time.monotonic()
    known = _HUB_PROBE.get(constants.ENDPOINT)
    if known and now - known[0] < ttl:
        return known[1]
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout):
            ok = True
    except OSError:
        ok = False
    _HUB_PROBE[constants.ENDPOINT] = (now, ok)
    return ok


# transformers' lazy module is not thread-safe while it first initialises: resolving `transformers.pipeline`
# in two threads at once (the warm-up and an early request) can raise AttributeError in either
_IMPORT_LOCK = threading.Lock()


def import_transformers(*names: str):
    """The transformers module (and torch) with `names` (e.g. "pipeline", "AutoTokenizer") resolved, one
    thread at a time. Only the names asked for: resolving `pipeline` imports every pipeline (seconds)."""
    with _IMPORT_LOCK:
        import torch  # noqa: F401
        import transformers

        for name in names:
            getattr(transformers, name)
    return transformers


def resolve_place(settings: Settings) -> Place:
    """Pick the device and dtype (imports torch: call only when a model is needed)."""
    import torch

    device = settings.device
    if device == "auto":
        if torch.cuda.is_available():
            device = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            device = "mps"
        else:
            device = "cpu"
    dtype = settings.dtype
    if dtype == "auto":
        dtype = "float32" if device == "cpu" else "auto"
    return Place(device, dtype, settings.device_map)


def torch_dtype(name: str):
    import torch

    return "auto" if name == "auto" else getattr(torch, name)


def model_info(obj: Any) -> tuple[dict, int]:
    """Resolved classes, parameter count and bytes of a pipeline or Bundle."""
    model = getattr(obj, "model", None)
    info: dict[str, Any] = {}
    nbytes = 0
    if model is not None:
        config = getattr(model, "config", None)
        if config is not None:
            info["config_class"] = type(config).__name__
        info["model_class"] = type(model).__name__
        try:
            params = list(model.parameters())
            info["parameters"] = sum(p.numel() for p in params)
            nbytes = sum(p.numel() * p.element_size() for p in params)
            nbytes += sum(b.numel() * b.element_size() for b in model.buffers())
            info["dtype"] = str(params[0].dtype).replace("torch.", "") if params else None
            info["device"] = str(params[0].device) if params else None
        except Exception:  # not a torch module (e.g. a tokenizer-only bundle)
            pass
    for attr in ("tokenizer", "processor", "image_processor", "feature_extractor", "video_processor"):
        part = getattr(obj, attr, None)
        if part is not None and not isinstance(part, (str, bool)):
            info[f"{attr}_class"] = type(part).__name__
    if isinstance(obj, Bundle) and obj.processor is not None:
        info["processor_class"] = type(obj.processor).__name__
    if not isinstance(obj, Bundle):
        info["pipeline_class"] = type(obj).__name__
    return info, nbytes


# ---- downloading a Hub model with progress -----------------------------------------------------------------
# what transformers fetches for a model at the top of its repository: configs, tokenizer and processor files,
# and one set of weights (safetensors first); the rest of a repository (ONNX, TF, GGUF, other variants) is not
_SMALL_FILES = (".json", ".txt", ".model", ".jinja", ".tiktoken")
_WEIGHTS = (re.compile(r"model(-\d{5}-of-\d{5})?\.safetensors"), re.compile(r"pytorch_model(-\d{5}-of-\d{5})?\.bin"))


def files_to_fetch(files: dict[str, int]) -> list[str]:
    """The files of a Hub repository (name -> size) that loading it will read, small ones first."""
    top = [name for name in files if "/" not in name]
    small = sorted(name for name in top if name.endswith(_SMALL_FILES))
    for pattern in _WEIGHTS:
        weights = sorted(name for name in top if pattern.fullmatch(name))
        if weights:
            return small + weights
    return small


class Downloads:
    """The progress of a model's download, reported as report("download", model=..., done=MB, total=MB) at most
    every `every` seconds: tqdm_for(file) is the tqdm class huggingface_hub's hf_hub_download feeds."""

    def __init__(self, model: str, sizes: dict[str, int], report, every: float = 0.25):
        self.model, self.sizes, self.report, self.every = model, sizes, report, every
        self.total = sum(sizes.values())
        self.finished = 0
        self.current = 0
        self.last = 0.0
        self.lock = threading.Lock()

    def tell(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= self.every:
            self.last = now
            self.report("download", model=self.model, done=(self.finished + self.current) / 1e6, total=self.total / 1e6)

    def file_done(self, name: str) -> None:
        with self.lock:
            self.finished += self.sizes.get(name, 0)
            self.current = 0
        self.tell(force=True)

    def tqdm_for(self, name: str) -> type:
        downloads, size = self, self.sizes.get(name, 0)

        class Bar:
            """Enough of tqdm for huggingface_hub's plain and Xet downloads (one bar: update_transfer is here)."""

            def __init__(self, *args, total=None, initial=0, **kwargs):
                self.n, self.total = initial or 0, total
                self._seen(0)

            def _seen(self, step) -> None:
                self.n += step or 0
                with downloads.lock:
                    downloads.current = max(0, min(self.n, size or self.n))
                downloads.tell()

            def update(self, n=1) -> None:
                self._seen(n)

            def update_transfer(self, n=1) -> None:  # bytes on the wire (Xet): the written bytes are counted
                pass

            def __enter__(self):
                return self

            def __exit__(self, *exc) -> None:
                pass

            def __getattr__(self, name):  # refresh, close, set_postfix_str, set_description...: nothing to show
                return lambda *args, **kwargs: None

        return Bar


def download(repo: str, revision: str | None, report) -> None:
    """Fetch what loading the Hub model `repo` reads into the Hugging Face cache, reporting progress; nothing
    when it is all cached. Failures are left to the load that follows (it reports them in its own words)."""
    from huggingface_hub import HfApi, hf_hub_download, try_to_load_from_cache

    try:
        info = HfApi().model_info(repo, revision=revision, files_metadata=True)
    except Exception:
        return
    sizes = {s.rfilename: int(s.size or 0) for s in info.siblings or ()}
    missing = [name for name in files_to_fetch(sizes)
               if not isinstance(try_to_load_from_cache(repo, name, revision=info.sha or revision), str)]
    if not missing:
        return
    progress = Downloads(f"{repo}@{revision}" if revision else repo, {n: sizes[n] for n in missing}, report)
    progress.tell(force=True)
    for name in missing:
        try:
            hf_hub_download(repo, name, revision=revision, tqdm_class=progress.tqdm_for(name))
        except Exception:
            return
        progress.file_done(name)
