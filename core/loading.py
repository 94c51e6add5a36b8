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
