"""The differential layer's oracle: the real transformers 4.x pipelines, run in a subprocess beside the app.

`scripts/setup.sh --dev` installs each release of requirements-oracle.txt into `.oracle/<folder>` (never into
.venv); `run_v4(cases)` runs a batch of pipeline calls there (tests/v4_driver.py, one process per release for the
session) and returns their outputs.
`v4_folder(folder)` is a copy of a model folder saved by 5.x with the few JSON fixes 4.x needs to load it.
A missing oracle is a failure, not a skip: the differential tests are part of CI.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LATEST = "4.57.6"  # the last 4.x release: what the app matches by default
QA_BEFORE_453 = "4.52.4"  # QA decoding as it was before 4.53


def oracle_dir(version: str = LATEST) -> Path:
    base = Path(os.environ.get("PLAYGROUND_ORACLE_DIR") or ROOT / ".oracle")
    folder = base / f"transformers-{version}"
    if not (folder / ".done").is_file():
        pytest.fail(f"transformers {version} oracle missing in {folder}: run `bash scripts/setup.sh --dev`")
    return folder


def run_v4(cases: list[dict], version: str = LATEST) -> list:
    """Each case's 4.x output (see tests/v4_driver.py for the case format); a 4.x error fails the test."""
    results = run_v4_raw(cases, version)
    for case, result in zip(cases, results):
        if "error" in result:
            pytest.fail(f"transformers {version} failed on {case['task']}: {result['error']}\n{result['traceback']}")
    return [r["output"] for r in results]


def run_v4_raw(cases: list[dict], version: str = LATEST) -> list[dict]:
    """Like run_v4, but a case's 4.x error comes back as {"error": ...} instead of failing."""
    proc = _driver(version)
    log = proc.stderr
    log.seek(0, os.SEEK_END)
    start = log.tell()
    timer = threading.Timer(900, proc.kill)
    timer.start()
    try:
        proc.stdin.write(json.dumps(cases) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
    except OSError:
        line = ""
    finally:
        timer.cancel()
    if not line:
        proc.kill()
        proc.wait()
        _DRIVERS.pop(version, None)
        log.seek(start)
        pytest.fail(f"transformers {version} driver crashed:\n{log.read()[-4000:]}")
    answer = json.loads(line)
    assert answer["version"] == version, f"the oracle imported transformers {answer['version']}, not {version}"
    return answer["results"]


_DRIVERS: dict[str, subprocess.Popen] = {}


def _driver(version: str) -> subprocess.Popen:
    """The session's tests/v4_driver.py --serve process for a release (started at its first batch): each test
    module's batch used to start one, paying ~5-10 s of torch and transformers imports each time."""
    proc = _DRIVERS.get(version)
    if proc is not None and proc.poll() is None:
        return proc
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(oracle_dir(version)), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               TRANSFORMERS_VERBOSITY="error", TOKENIZERS_PARALLELISM="false")
    log = tempfile.TemporaryFile("w+", encoding="utf-8")  # a file, not a pipe: 4.x's warnings never block it
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "v4_driver.py"), "--serve"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, env=env,
                            cwd=tempfile.gettempdir())
    proc.stderr = log  # read back when the driver dies
    _DRIVERS[version] = proc
    return proc


def start(version: str = LATEST) -> None:
    """Start the release's driver now (it imports torch and transformers while other tests run); a missing
    oracle is left to the tests, which fail on it."""
    base = Path(os.environ.get("PLAYGROUND_ORACLE_DIR") or ROOT / ".oracle")
    if (base / f"transformers-{version}" / ".done").is_file():
        _driver(version)


@atexit.register
def _stop_drivers() -> None:
    for proc in _DRIVERS.values():
        try:
            proc.stdin.close()  # the driver's loop ends
            proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()


_COPIES: dict[tuple[str, str], Path] = {}


def v4_folder(folder: str | Path, version: str = LATEST) -> Path:
    """A copy of a 5.x-saved model folder that 4.x loads (made once per session and version)."""
    folder = Path(folder).resolve()
    key = (str(folder), version)
    if key not in _COPIES:
        dest = Path(tempfile.mkdtemp(prefix=f"v4-{folder.name}-"))
        shutil.copytree(folder, dest, dirs_exist_ok=True)
        _fix_for_v4(dest)
        _COPIES[key] = dest
    return _COPIES[key]


def _edit(path: Path, fix) -> None:
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        if fix(data) is not False:
            path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def _fix_for_v4(folder: Path) -> None:
    def special_tokens(data):
        extra = data.get("extra_special_tokens")
        if isinstance(extra, list):
            data.pop("extra_special_tokens")
            data.setdefault("additional_special_tokens", extra)
            return None
        return False

    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        _edit(folder / name, special_tokens)
    processor = folder / "processor_config.json"
    if processor.is_file() and not (folder / "preprocessor_config.json").is_file():
        data = json.loads(processor.read_text(encoding="utf-8"))
        nested = data.get("image_processor") or data.get("feature_extractor")
        if isinstance(nested, dict):
            (folder / "preprocessor_config.json").write_text(json.dumps(nested, indent=2), encoding="utf-8")

    def swin2sr(data):
        # 4.57 reads size_divisor (pad_size only when size_divisor is None, and its default is 8); 4.52 pad_size
        if data.get("image_processor_type", "").startswith("Swin2SR") and "size_divisor" in data:
            data["pad_size"] = data["size_divisor"]
            return None
        return False

    _edit(folder / "preprocessor_config.json", swin2sr)

    def blip_inputs(data):
        # 5.x's BLIP processor drops token_type_ids itself; 4.x passes them to generate(), which refuses them
        if str(data.get("processor_class", "")).startswith("Blip") and "model_input_names" not in data:
            data["model_input_names"] = ["input_ids", "attention_mask"]
            return None
        return False

    _edit(folder / "tokenizer_config.json", blip_inputs)


def image(path) -> dict:
    return {"$image": str(path)}


def audio(array, sampling_rate: int, tmp: Path) -> dict:
    """The 4.x raw-audio dict for a numpy array (saved beside the test)."""
    import numpy as np

    path = Path(tmp) / f"audio-{abs(hash(array.tobytes()))}.npy"
    np.save(path, np.asarray(array, dtype=np.float32))
    return {"$audio": str(path), "sampling_rate": sampling_rate}


def table(frame) -> dict:
    return {"$table": {str(c): [str(v) for v in frame[c]] for c in frame.columns}}
