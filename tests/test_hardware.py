"""core.hardware: off a ZeroGPU Space nothing is wrapped and nothing imports `spaces`; on one (its environment
set, the real `spaces` package installed into a temporary --target folder) every task's event runs under
spaces.GPU, spaces comes before torch, models go to cuda and batching across requests is off."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from core import hardware

ROOT = Path(__file__).resolve().parent.parent
SPACES = "spaces==0.51.3"

# Runs in a fresh interpreter: builds the app as `python app.py` would (prepare, then build_app), reports what
# got wrapped; with "call", launches it and calls /tokenize through gradio_client.
DRIVER = r"""
import inspect, json, os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
before = {"torch": "torch" in sys.modules, "spaces": "spaces" in sys.modules}
reports = []
if os.environ.get("SPACES_ZERO_GPU"):
    class DeviceAPI(BaseHTTPRequestHandler):  # the ZeroGPU device API's startup report, which launch() posts
        def do_POST(self):
            reports.append(self.path)
            self.send_response(200)
            self.end_headers()
        def log_message(self, *args):
            pass
    api = ThreadingHTTPServer(("127.0.0.1", 0), DeviceAPI)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    os.environ["SPACES_ZERO_DEVICE_API_URL"] = f"http://127.0.0.1:{api.server_port}/"
from core.settings import Settings
from core.hardware import prepare
import app
settings = prepare(Settings(offline=True, models_dirs=(Path(sys.argv[1]),), warmup=False, port=int(sys.argv[2])))
after_prepare = {"torch": "torch" in sys.modules, "spaces": "spaces" in sys.modules}
cuda = None
if after_prepare["torch"]:
    import torch
    cuda = torch.cuda.is_available()
built = app.build_app(settings)
from core.registry import all_tasks, discover
tasks = {t.api_name: t for _, t in all_tasks(discover()).values()}
events = {}
for f in built.demo.fns.values():
    if f.fn is None:  # a front-end-only event
        continue
    gpu = getattr(f.fn, "gpu", None)
    events[f.api_name or str(f._id)] = {
        "task": f.api_name in tasks, "wrapped": hasattr(gpu, "zerogpu"),
        "generator": inspect.isgeneratorfunction(f.fn),
        "streams": f.api_name in tasks and tasks[f.api_name].stream is not None,
        "params": list(inspect.signature(f.fn).parameters),
        "outputs": [type(o).__name__ for o in f.outputs]}
out = {"before": before, "after_prepare": after_prepare, "cuda": cuda, "events": events,
       "settings": {"device": settings.device, "max_batch": settings.max_batch, "timeout": settings.timeout},
       "spaces_loaded": "spaces" in sys.modules, "reports": reports}
if "call" in sys.argv:
    import spaces.zero.wrappers as w
    from gradio_client import Client
    w.forked = True  # what a ZeroGPU worker process sees: the GPU function runs in place, no device API
    built.launch(quiet=True)
    client = Client(f"http://127.0.0.1:{settings.port}/", verbose=False)
    model = str(Path(sys.argv[1]) / "all-MiniLM-L6-v2")
    out["tokenize"] = client.predict(text="Hello 토크나이저 world", model=model, api_name="/tokenize")
    out["reports"] = reports
    try:
        client.predict(text="", model=model, api_name="/tokenize")
        out["refused"] = None
    except Exception as exc:
        out["refused"] = str(exc)
print("RESULT " + json.dumps(out, default=str))
"""


@pytest.fixture(scope="module")
def spaces_dir(tmp_path_factory) -> Path:
    """The real `spaces` package from PyPI in a temporary --target folder (never in .venv)."""
    target = tmp_path_factory.mktemp("spaces")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                           SPACES], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.skip(f"could not install {SPACES} from PyPI: {done.stderr.strip().splitlines()[-1:]}")
    return target


def drive(spaces_dir: Path, pack_dir: Path, *extra: str, zero_gpu: bool) -> dict:
    from tests.conftest import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPACES_", "PLAYGROUND_"))}
    env.update(PYTHONPATH=os.pathsep.join([str(spaces_dir), str(ROOT)]), HF_HUB_OFFLINE="1")
    if zero_gpu:
        env["SPACES_ZERO_GPU"] = "true"  # what a ZeroGPU Space sets (the driver stands in for its device API)
    done = subprocess.run([sys.executable, "-c", DRIVER, str(pack_dir), str(free_port()), *extra], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT "):])


@pytest.fixture(scope="module")
def drives(spaces_dir, pack_dir) -> list[dict]:
    """[off a Space, on ZeroGPU]: the two driver processes, side by side."""
    from tests.concurrency import two_at_a_time

    return two_at_a_time(lambda: drive(spaces_dir, pack_dir, "call", zero_gpu=False),
                         lambda: drive(spaces_dir, pack_dir, "call", zero_gpu=True))


@pytest.fixture(scope="module")
def off(drives) -> dict:
    return drives[0]


def untimed(value):
    """value without the details' timings (load and inference seconds differ between any two runs)."""
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if not k.endswith("seconds") and k != "load"}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


def test_off_a_space_nothing_changes(monkeypatch, off):
    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)
    from core.settings import Settings

    def handler():
        return 1

    settings = Settings()
    assert hardware.gpu_wrapped(handler, []) is handler
    assert hardware.prepare(settings) is settings
    # spaces importable, but not on a Space: the app neither imports it nor wraps anything
    out = off
    assert not out["spaces_loaded"] and not out["after_prepare"]["spaces"]
    assert not any(e["wrapped"] for e in out["events"].values())
    assert out["settings"]["max_batch"] == Settings().max_batch and out["settings"]["device"] == "auto"


def test_on_zero_gpu_every_task_event_runs_under_spaces_gpu(drives, off):
    out = drives[1]
    assert out["before"] == {"torch": False, "spaces": False}
    assert out["after_prepare"] == {"torch": True, "spaces": True}  # spaces imported torch itself, patched
    assert out["cuda"] is True  # ZeroGPU's patched torch in the main process, on this CPU-only machine
    assert out["settings"] == {"device": "cuda", "max_batch": 1, "timeout": 60}
    events = out["events"]
    task_events = {name: e for name, e in events.items() if e["task"]}
    assert len(task_events) >= 40
    assert all(e["wrapped"] for e in task_events.values())
    assert not any(e["wrapped"] for e in events.values() if not e["task"])
    for name, e in task_events.items():  # gradio still sees the handler's parameters and its streaming
        assert e["generator"] == e["streams"], name
        assert e["params"][-2:] == ["request", "progress"] and "model" in e["params"], name
    # the downloads a follow-up event makes elsewhere come with the answer (a worker process keeps nothing)
    assert "File" not in off["events"]["embed"]["outputs"] and "File" in events["embed"]["outputs"]
    assert [o for o in events["embed"]["outputs"] if o != "File"] == off["events"]["embed"]["outputs"]
    assert out["reports"] == ["/startup-report"]  # spaces found GPU functions when the app launched
    # through spaces.GPU's wrapper (as a worker process runs it) the API answers as it does off a Space
    assert untimed(out["tokenize"]) == untimed(off["tokenize"]) and "토" in json.dumps(out["tokenize"], ensure_ascii=False)
    assert out["refused"] == off["refused"] and out["refused"]


def test_outputs_cross_a_process_by_position():
    """A handler's {component: value} result does not pickle (gradio components do not); by position it does,
    and comes back keyed by the same components."""
    import gradio as gr

    with gr.Blocks():
        text, table = gr.Textbox(), gr.JSON()
    result = {table: {"a": [1, 2]}, text: gr.update(value="x", visible=True)}
    with pytest.raises((AttributeError, TypeError, pickle.PicklingError)):
        pickle.dumps(result)
    outputs = [text, table]
    sent = hardware._to_positions(result, {id(c): i for i, c in enumerate(outputs)})
    back = hardware._from_positions(pickle.loads(pickle.dumps(sent)), outputs)
    assert back == result  # the same component objects as keys, the same values
    assert hardware._from_positions("plain", outputs) == "plain"
