"""Launch settings: read once from the command line and the environment, then passed down frozen."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from core import limits as limits_policy
from core.limits import Limits

ENV_PREFIX = "PLAYGROUND_"
DEVICES = ("auto", "cpu", "cuda", "mps")
DTYPES = ("auto", "float32", "float16", "bfloat16")
MAX_WINDOW_MS = 1000.0
MAX_BATCH = 256


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 7860
    share: bool = False
    auth: tuple[str, str] | None = None
    device: str = "auto"
    dtype: str = "auto"
    device_map: str | None = None
    models_dirs: tuple[Path, ...] = ()
    offline: bool = False
    cache_models: int = 0
    cache_gib: float | None = None
    trust_remote_code: bool = False
    max_file_mb: int = 100
    max_body_mb: float = 2.0
    timeout: float = 180.0
    limits: Limits = Limits()
    warmup: bool = True
    any_local_path: bool = False
    batch_window_ms: float = 5.0
    max_batch: int = 16
    trained_dir: Path = Path(__file__).resolve().parent.parent / "models" / "trained"
    training: bool = True  # the Train tab may train (--no-training / PLAYGROUND_TRAINING=0 switch it off)

    @property
    def max_file_size(self) -> int:
        return self.max_file_mb * 1024 * 1024


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(ENV_PREFIX + name, default)


def _env_bool(name: str, default: bool = False) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by `serve` and `run`: where models come from and how they are placed."""
    parser.add_argument(
        "--device", choices=DEVICES, default=_env("DEVICE", "auto"),
        help="where models run; auto = cuda, then mps, then cpu (env PLAYGROUND_DEVICE)",
    )
    parser.add_argument(
        "--dtype", choices=DTYPES, default=_env("DTYPE", "auto"),
        help="model dtype; auto = float32 on cpu, the checkpoint's dtype on cuda/mps (env PLAYGROUND_DTYPE)",
    )
    parser.add_argument(
        "--device-map", choices=("auto",), default=_env("DEVICE_MAP"),
        help="let accelerate spread big models over GPUs and CPU (device_map='auto'; env PLAYGROUND_DEVICE_MAP)",
    )
    parser.add_argument(
        "--models-dir", action="append", default=None, metavar="DIR",
        help="folder of local model folders, offered in every model picker they fit; repeatable "
        "(env PLAYGROUND_MODELS_DIR, separated by ':')",
    )
    parser.add_argument(
        "--offline", action="store_true", default=_env_bool("OFFLINE") or os.environ.get("HF_HUB_OFFLINE") == "1",
        help="never touch the Hub: only local folders and cached models (env PLAYGROUND_OFFLINE=1)",
    )
    parser.add_argument(
        "--cache-models", type=int, default=int(_env("CACHE_MODELS", "0")), metavar="N",
        help="keep at most N models in memory, least recently used evicted first; 0 = no count limit, only "
             "--cache-gib's (env PLAYGROUND_CACHE_MODELS; 0)",
    )
    parser.add_argument(
        "--cache-gib", type=float, default=float(v) if (v := _env("CACHE_GIB")) else None, metavar="GIB",
        help="and at most this many GiB of weights; default: half the machine's memory (half the GPU's on CUDA) "
             "(env PLAYGROUND_CACHE_GIB)",
    )
    parser.add_argument(
        "--batch-window-ms", type=float, default=float(_env("BATCH_WINDOW_MS", "5")), metavar="MS",
        help="how long a request waits, at most, for the others already in flight on its model (same settings) "
             "to run them as one batch; one that comes alone does not wait "
             f"(0 to {MAX_WINDOW_MS:g}; env PLAYGROUND_BATCH_WINDOW_MS; 5)",
    )
    parser.add_argument(
        "--max-batch", type=int, default=int(_env("MAX_BATCH", "16")), metavar="N",
        help=f"most requests (or their lines) in one batch (1 to {MAX_BATCH}; 1 = no batching across requests; "
             "env PLAYGROUND_MAX_BATCH; 16)",
    )
    limits_policy.add_options(parser, _env)
    parser.add_argument(
        "--timeout", type=float, default=float(_env("TIMEOUT", "180")), metavar="SECONDS",
        help="stop a run after this many seconds so the queue moves on; 0 = no limit (env PLAYGROUND_TIMEOUT; 180)",
    )
    parser.add_argument(
        "--any-local-path", action="store_true", default=_env_bool("ANY_LOCAL_PATH"),
        help="let a typed path load any folder on this machine, not only those under --models-dir, the Hugging "
             "Face cache and the trained-models folder (only for a server you use alone; env PLAYGROUND_ANY_LOCAL_PATH=1)",
    )
    parser.add_argument(
        "--trust-remote-code", action="store_true", default=_env_bool("TRUST_REMOTE_CODE"),
        help="allow models that run their own Python code from the Hub (off by default; only for models you trust)",
    )


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """Options of the web server."""
    parser.add_argument(
        "--host", default=_env("HOST") or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1",
        help="address to listen on; 0.0.0.0 for every interface (env PLAYGROUND_HOST or GRADIO_SERVER_NAME)",
    )
    parser.add_argument(
        "--port", type=int, default=int(_env("PORT") or os.environ.get("GRADIO_SERVER_PORT") or 7860),
        help="port (env PLAYGROUND_PORT or GRADIO_SERVER_PORT; default 7860)",
    )
    parser.add_argument(
        "--share", action="store_true", default=_env_bool("SHARE"),
        help="also make a temporary public link through Gradio's share server (env PLAYGROUND_SHARE=1)",
    )
    parser.add_argument(
        "--auth", default=_env("AUTH"), metavar="USER:PASS",
        help="require this user name and password (env PLAYGROUND_AUTH)",
    )
    parser.add_argument(
        "--max-file-mb", type=int, default=int(_env("MAX_FILE_MB", "100")), metavar="MB",
        help="largest upload accepted (env PLAYGROUND_MAX_FILE_MB; default 100)",
    )
    parser.add_argument(
        "--max-body-mb", type=float, default=float(_env("MAX_BODY_MB", "2")), metavar="MB",
        help="largest request body besides uploads: API calls and form data (env PLAYGROUND_MAX_BODY_MB; default 2)",
    )
    parser.add_argument(
        "--no-warmup", dest="warmup", action="store_false", default=not _env_bool("NO_WARMUP"),
        help="do not import torch/transformers in the background after the page is served",
    )
    parser.add_argument(
        "--no-training", dest="training", action="store_false",
        default=(_env("TRAINING", "1") or "1").strip().lower() not in ("0", "false", "no", "off"),
        help="switch the Train tab's training off (env PLAYGROUND_TRAINING=0)",
    )


def _bounded(flag: str, value: float, low: float, high: float) -> float:
    if not low <= value <= high:  # NaN fails too
        raise SystemExit(f"{flag} must be between {low:g} and {high:g} (got {value:g})")
    return value


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Build the frozen Settings from parsed arguments (server options may be absent)."""
    dirs = args.models_dir
    if dirs is None:
        env_dirs = _env("MODELS_DIR")
        dirs = [d for d in env_dirs.split(os.pathsep) if d] if env_dirs else []
    auth = None
    raw_auth = getattr(args, "auth", None)
    if raw_auth:
        user, sep, password = raw_auth.partition(":")
        if not sep or not user:
            raise SystemExit("--auth needs USER:PASS")
        auth = (user, password)
    return Settings(
        host=getattr(args, "host", "127.0.0.1"),
        port=getattr(args, "port", 7860),
        share=getattr(args, "share", False),
        auth=auth,
        device=args.device,
        dtype=args.dtype,
        device_map=args.device_map,
        models_dirs=tuple(Path(d).expanduser().resolve() for d in dirs),
        offline=args.offline,
        cache_models=max(0, args.cache_models),
        batch_window_ms=_bounded("--batch-window-ms", args.batch_window_ms, 0.0, MAX_WINDOW_MS),
        max_batch=int(_bounded("--max-batch", args.max_batch, 1, MAX_BATCH)),
        cache_gib=args.cache_gib,
        trust_remote_code=args.trust_remote_code,
        max_file_mb=getattr(args, "max_file_mb", 100),
        max_body_mb=getattr(args, "max_body_mb", 2.0),
        warmup=getattr(args, "warmup", True),
        training=getattr(args, "training", True),
        any_local_path=args.any_local_path,
        timeout=max(0.0, args.timeout),
        limits=limits_policy.from_args(args),
    )


def quiet_environment(settings: Settings | None = None) -> None:
    """Turn off telemetry and update checks (and the Hub, when offline) before gradio/transformers load."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # events without their own concurrency_limit (pickers' follow-ups...) run two at a time; a task's event
    # sets its own (core.ui.wire: more for tasks that batch). Said by environment, not by demo.queue(), which
    # would build gradio's server app once more at start-up
    os.environ.setdefault("GRADIO_DEFAULT_CONCURRENCY_LIMIT", "2")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    if settings is not None and settings.offline:
        os.environ["HF_HUB_OFFLINE"] = "1"
