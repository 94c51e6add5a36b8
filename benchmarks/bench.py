"""Benchmark: prints figures, asserts nothing.

1. Startup: seconds from `python app.py` to the page being served (HTTP 200), next to a bare
   `gr.Blocks` hello-world app started the same way, in turns, median of --repeat runs; and the CPU seconds
   each process had used by then.
2. Per request: a real packaged model (the offline pack's EfficientNet-Lite0 on gradio's cheetah photo)
   called through the app's API with gradio_client, next to the same transformers pipeline called directly
   and to gradio's own floor (a bare app that takes the same upload and returns a fixed label).
3. The CLI: `python app.py run text-classification TEXT --model DIR` next to a plain five-line transformers
   script doing the same run (a tiny BERT classifier built on the spot), median of --repeat runs.

    python benchmarks/bench.py [--pack pack] [--repeat 3] [--requests 20] [--only startup,requests,cli] [--quick]

benchmarks/crowd.py (many clients at once, end to end) and benchmarks/inprocess.py (many threads on the model
manager) measure batching across requests.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELLO = """
import gradio as gr
with gr.Blocks() as demo:
    gr.Textbox(label="Hello")
demo.launch(server_name="127.0.0.1", server_port={port}, ssr_mode=False)
"""
ECHO = """
import gradio as gr
with gr.Blocks() as demo:
    image = gr.Image(type="filepath", label="Image")
    label = gr.Label(label="Label")
    image.change(lambda path: {{"cheetah": 1.0}}, image, label, api_name="echo")
demo.launch(server_name="127.0.0.1", server_port={port}, ssr_mode=False)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process so far (Linux /proc; nan elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_to_page(cmd: list[str], port: int, env: dict) -> tuple[float, float]:
    """(seconds from spawning cmd until http://127.0.0.1:port/ answers 200, the process's CPU seconds then):
    CPU seconds are less swayed than wall time by other work on the machine."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{cmd} exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - start, cpu_seconds(proc.pid)
            except OSError:
                time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def startup(repeat: int, env: dict) -> list[tuple]:
    """The app and a bare hello world started in turns (a change in the machine's load hits both alike)."""
    app_times, hello_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        hello = Path(tmp) / "hello.py"
        for _ in range(repeat):
            port = free_port()
            app_times.append(time_to_page([sys.executable, "app.py", "--port", str(port), "--no-warmup"], port, env))
            port = free_port()
            hello.write_text(HELLO.format(port=port))
            hello_times.append(time_to_page([sys.executable, str(hello)], port, env))
    a, b = (statistics.median(t for t, _ in times) for times in (app_times, hello_times))
    ca, cb = (statistics.median(c for _, c in times) for times in (app_times, hello_times))
    print(f"startup to HTTP 200 (median of {repeat}): app.py {a:.2f} s ({ca:.2f} s CPU), bare gr.Blocks hello "
          f"world {b:.2f} s ({cb:.2f} s CPU)", flush=True)
    return [(f"`python app.py` to HTTP 200 (median of {repeat})", f"{a:.2f} s",
             f"a bare `gr.Blocks` hello world: {b:.2f} s", f"{a / b:.2f}x (goal <= 1.2x)"),
            ("the same, CPU seconds of the process at HTTP 200 (user + system)", f"{ca:.2f} s", f"{cb:.2f} s",
             f"{ca / cb:.2f}x")]


def requests(pack: Path, n: int, env: dict) -> list[tuple]:
    from importlib.util import find_spec

    from gradio_client import Client, handle_file

    model = pack / "efficientnet_lite0"
    if not model.is_dir():
        raise SystemExit(f"{model} missing: run `python app.py offline-pack {pack}` first")
    image = Path(find_spec("gradio").origin).parent / "media_assets" / "images" / "cheetah.jpg"

    from transformers import pipeline

    pipe = pipeline("image-classification", model=str(model), device="cpu")
    pipe(str(image))
    direct = []
    for _ in range(n):
        start = time.perf_counter()
        pipe(str(image))
        direct.append(time.perf_counter() - start)

    def timed(cmd: list[str], port: int, call) -> tuple[float, list[float]]:
        """(first call's seconds, the next n calls' seconds) against the server cmd starts on port."""
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
            start = time.perf_counter()
            call(client)
            first = time.perf_counter() - start
            times = []
            for _ in range(n):
                start = time.perf_counter()
                call(client)
                times.append(time.perf_counter() - start)
            return first, times
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    port = free_port()
    first, api = timed([sys.executable, "app.py", "--port", str(port), "--models-dir", str(pack), "--offline"], port,
                       lambda c: c.predict(image=handle_file(str(image)), model=str(model),
                                           api_name="/image_classification"))
    with tempfile.TemporaryDirectory() as tmp:
        echo = Path(tmp) / "echo.py"
        port = free_port()
        echo.write_text(ECHO.format(port=port))
        _, floor = timed([sys.executable, str(echo)], port,
                         lambda c: c.predict(path=handle_file(str(image)), api_name="/echo"))
    d, a, f = (statistics.median(v) * 1000 for v in (direct, api, floor))
    print(f"image-classification, EfficientNet-Lite0, cheetah.jpg (median of {n}): "
          f"pipeline called directly {d:.0f} ms, through the app's API {a:.0f} ms "
          f"(first API request, including the model load: {first:.2f} s); "
          f"a bare gradio app's upload-and-answer round trip {f:.0f} ms", flush=True)
    return [(f"one image-classification API request, EfficientNet-Lite0, cheetah.jpg (median of {n})",
             f"{a:.0f} ms", f"gradio's upload-and-answer floor {f:.0f} ms + the pipeline called directly {d:.0f} ms",
             f"app adds {a - f - d:+.0f} ms (goal <= 10 ms)"),
            ("first API request, including loading the model", f"{first:.2f} s", "", "")]


PLAIN = """
import json, sys
from transformers import pipeline
pipe = pipeline("text-classification", model=sys.argv[1], device="cpu")
print(json.dumps(pipe(sys.argv[2], top_k=5, truncation=True), indent=2))
"""


def cli(repeat: int, env: dict) -> list[tuple]:
    """The CLI's wall time against a plain transformers script, both in fresh processes."""
    sys.path.insert(0, str(ROOT))
    from tests.tiny import build_all

    text = "Hugging Face is the best thing since sliced bread!"
    with tempfile.TemporaryDirectory() as tmp:
        model = build_all(Path(tmp), ["bert-seqcls"])["bert-seqcls"]
        plain = Path(tmp) / "plain.py"
        plain.write_text(PLAIN)

        def wall(cmd: list[str]) -> tuple[float, float]:
            """(wall seconds, CPU seconds of the process: user + system, less swayed by other load)."""
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
            seconds = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return seconds, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime

        app_times, plain_times = [], []
        for _ in range(repeat):
            app_times.append(wall([sys.executable, "app.py", "run", "text-classification", text, "--model", str(model),
                                   "--offline", "--models-dir", tmp]))
            plain_times.append(wall([sys.executable, str(plain), str(model), text]))
    a, b = (statistics.median(t for t, _ in times) for times in (app_times, plain_times))
    ca, cb = (statistics.median(c for _, c in times) for times in (app_times, plain_times))
    print(f"CLI text-classification (median of {repeat}): python app.py run {a:.2f} s ({ca:.2f} s CPU), "
          f"a plain transformers script {b:.2f} s ({cb:.2f} s CPU), ratio {a / b:.2f}x", flush=True)
    return [(f"`python app.py run text-classification TEXT --model DIR` (median of {repeat})", f"{a:.2f} s",
             f"a plain five-line transformers script: {b:.2f} s", f"{a / b:.2f}x (goal <= 1.15x)"),
            ("the same, CPU seconds (user + system)", f"{ca:.2f} s", f"{cb:.2f} s", f"{ca / cb:.2f}x")]


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("--pack", default=str(ROOT / "pack"))
    args.add_argument("--repeat", type=int, default=3)
    args.add_argument("--requests", type=int, default=20)
    args.add_argument("--only", default="startup,requests,cli", help="comma-separated parts to run")
    args.add_argument("--quick", action="store_true", help="1 repeat, 5 requests")
    opts = args.parse_args()
    repeat, n = (1, 5) if opts.quick else (max(1, opts.repeat), max(1, opts.requests))
    parts = set(opts.only.split(","))
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_OFFLINE="1")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    rows = []
    if "startup" in parts:
        rows += startup(repeat, env)
    if "requests" in parts:
        rows += requests(Path(opts.pack).resolve(), n, env)
    if "cli" in parts:
        rows += cli(repeat, env)
    print("\n| measure | app | reference in the same run | ratio |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
