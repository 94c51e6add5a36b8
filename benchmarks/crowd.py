"""Crowd: N gradio_client clients send one item each at the same moment to the same model, end to end over HTTP.
Prints figures, asserts nothing; traffic goes to 127.0.0.1 only.

Three servers answer the same calls, one after the other, in one run:
- the app (`python app.py --models-dir PACK --offline`, with --max-batch / --batch-window-ms as given),
- gradio's floor: a bare gradio app whose event takes the same inputs (a text or an uploaded image, and the
  model name) and returns a fixed answer at once,
- a naive gradio app, as a student writes it from the notes: the transformers pipeline called per request
  (feature-extraction on MiniLM, mean-pooled and normalised; image-classification on EfficientNet-Lite0).
Both gradio apps use gradio's defaults (one event at a time, as `gr.Blocks` gives it).

Workloads: `/embed` with one short distinct sentence per client on the pack's all-MiniLM-L6-v2, and
`/image_classification` with gradio's cheetah photo on the pack's efficientnet_lite0. The three servers run at
once and take turns, round by round (so a change in the machine's load hits each alike). Each round starts
every client at once (a barrier) and ends with the last answer; throughput = clients / that time, the median
of the rounds; p50/p95 over every request of every round.

    python benchmarks/crowd.py [--pack pack] [--clients 16,32] [--rounds 3] [--only embed,image] [--quick]
                               [--app-args "--max-batch 16 --batch-window-ms 5"]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench import free_port  # noqa: E402

FLOOR = """
import gradio as gr
with gr.Blocks() as demo:
    model = gr.Textbox(label="Model")
    text = gr.Textbox(label="Text")
    image = gr.Image(type="filepath", label="Image")
    vector = gr.JSON(label="Vectors")
    label = gr.Label(label="Label")
    gr.on([text.submit], lambda text, model: [[0.0] * 384], [text, model], vector, api_name="embed")
    gr.on([image.change], lambda image, model: {{"cheetah": 1.0}}, [image, model], label,
          api_name="image_classification")
demo.queue().launch(server_name="127.0.0.1", server_port={port}, ssr_mode=False)
"""

NAIVE = """
import gradio as gr
import numpy as np
from transformers import pipeline

embedder = pipeline("feature-extraction", model={minilm!r}, device="cpu")
classifier = pipeline("image-classification", model={effnet!r}, device="cpu")


def embed(text, model):
    tokens = np.asarray(embedder(text)[0])  # [tokens, 384]
    vector = tokens.mean(axis=0)
    return [(vector / np.linalg.norm(vector)).round(6).tolist()]


def classify(image, model):
    return {{d["label"]: d["score"] for d in classifier(image, top_k=5)}}


with gr.Blocks() as demo:
    model = gr.Textbox(label="Model")
    text = gr.Textbox(label="Text")
    image = gr.Image(type="filepath", label="Image")
    vector = gr.JSON(label="Vectors")
    label = gr.Label(label="Label")
    gr.on([text.submit], embed, [text, model], vector, api_name="embed")
    gr.on([image.change], classify, [image, model], label, api_name="image_classification")
demo.queue().launch(server_name="127.0.0.1", server_port={port}, ssr_mode=False)
"""

ENV = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_OFFLINE="1",
           TOKENIZERS_PARALLELISM="false")


def cheetah() -> Path:
    return Path(find_spec("gradio").origin).parent / "media_assets" / "images" / "cheetah.jpg"


class Server:
    """A server process on a free port and a ready gradio_client, stopped on exit."""

    def __init__(self, cmd: list[str], port: int):
        self.cmd, self.port = cmd, port
        self.url = f"http://127.0.0.1:{port}/"

    def __enter__(self):
        from gradio_client import Client

        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 180
        while True:
            try:
                Client(self.url, verbose=False)
                return self
            except Exception:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise SystemExit(f"{self.cmd} did not start") from None
                time.sleep(0.3)

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def calls(pack: Path, server: str):
    """workload -> call(client, i) for one kind of server."""
    from gradio_client import handle_file

    minilm, effnet, image = str(pack / "all-MiniLM-L6-v2"), str(pack / "efficientnet_lite0"), str(cheetah())
    if server == "app":
        from core.registry import all_tasks, discover

        tasks = {task.api_name: task for _, task in all_tasks(discover()).values()}

        def call(api: str, **values):
            values = {**{name: None for name in tasks[api].file_inputs}, **values}
            return lambda c: c.predict(**values, api_name="/" + api)

        return {
            "embed": lambda c, i: call("embed", text=f"Student {i} asks what a cat is.", model=minilm)(c),
            "image": lambda c, i: call("image_classification", image=handle_file(image), model=effnet)(c),
        }
    return {
        "embed": lambda c, i: c.predict(text=f"Student {i} asks what a cat is.", model=minilm, api_name="/embed"),
        "image": lambda c, i: c.predict(image=handle_file(image), model=effnet, api_name="/image_classification"),
    }


def crowd(url: str, call, clients: int, rounds: int) -> tuple[float, list[float], int]:
    """(median requests/s over the rounds, every request's seconds, failures): clients at once, one item each."""
    from gradio_client import Client

    # gradio_client posts each request with httpx's 5 s default timeout, which a browser does not have: a crowd
    # on 2 cores can take longer than that to be let into the queue
    conns = [Client(url, verbose=False, httpx_kwargs={"timeout": 120}) for _ in range(clients)]
    rates, times, failures = [], [], 0
    lock = threading.Lock()
    errors: list[str] = []
    for r in range(rounds):
        barrier = threading.Barrier(clients + 1)

        def one(k: int, barrier=barrier, r=r) -> None:
            nonlocal failures
            barrier.wait()
            start = time.perf_counter()
            try:
                call(conns[k], r * clients + k)
                ok = True
            except Exception as exc:
                ok = False
                import traceback

                where = traceback.extract_tb(exc.__traceback__)
                errors.append(f"{type(exc).__name__}: {str(exc)[:200]} (in {', '.join(f.name for f in where[:-6][-8:])})")
            elapsed = time.perf_counter() - start
            with lock:
                times.append(elapsed)
                failures += not ok

        threads = [threading.Thread(target=one, args=(k,)) for k in range(clients)]
        for t in threads:
            t.start()
        barrier.wait()
        start = time.perf_counter()
        for t in threads:
            t.join()
        rates.append(clients / (time.perf_counter() - start))
    if errors:
        print(f"    {len(errors)} failed, e.g. {errors[0]}", flush=True)
    for c in conns:
        try:
            c.close()
        except Exception:
            pass
    return statistics.median(rates), times, failures


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", default=str(ROOT / "pack"))
    ap.add_argument("--clients", default="16,32", help="comma-separated crowd sizes")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="embed,image")
    ap.add_argument("--app-args", default="", help="extra flags for app.py, e.g. '--max-batch 1' (no batching)")
    ap.add_argument("--servers", default="floor,naive,app", help="which servers to measure (ratios need floor)")
    ap.add_argument("--quick", action="store_true", help="16 clients, 1 round")
    args = ap.parse_args()
    sizes = [16] if args.quick else [max(1, min(int(n), 64)) for n in args.clients.split(",")]
    rounds = 1 if args.quick else max(1, min(args.rounds, 20))
    workloads = [w for w in ("embed", "image") if w in args.only.split(",")]
    pack = Path(args.pack).resolve()
    for name in ("all-MiniLM-L6-v2", "efficientnet_lite0"):
        if not (pack / name).is_dir():
            raise SystemExit(f"{pack / name} missing: run `python app.py offline-pack {pack}` first")

    results: dict[tuple[str, int], dict[str, tuple]] = {}
    names = [k for k in ("floor", "naive", "app") if k in args.servers.split(",")]
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        from gradio_client import Client

        urls, jobs = {}, {}
        for server in names:  # all up at once: their rounds alternate, so a change of load hits each alike
            port = free_port()
            if server == "app":
                cmd = [sys.executable, "app.py", "--port", str(port), "--models-dir", str(pack), "--offline",
                       "--no-warmup", *shlex.split(args.app_args)]
            else:
                script = Path(tmp) / f"{server}.py"
                source = FLOOR if server == "floor" else NAIVE
                script.write_text(source.format(port=port, minilm=str(pack / "all-MiniLM-L6-v2"),
                                                effnet=str(pack / "efficientnet_lite0")))
                cmd = [sys.executable, str(script)]
            urls[server] = stack.enter_context(Server(cmd, port)).url
            jobs[server] = calls(pack, server)
            warm = Client(urls[server], verbose=False, httpx_kwargs={"timeout": 120})
            for w in workloads:
                for i in range(2):  # load the model and warm it, outside the measurement
                    jobs[server][w](warm, -1 - i)
        for w in workloads:
            for n in sizes:
                got = {server: ([], [], 0) for server in names}
                for _ in range(rounds):
                    for server in names:
                        rate, times, failures = crowd(urls[server], jobs[server][w], n, 1)
                        rates, all_times, failed = got[server]
                        got[server] = ([*rates, rate], [*all_times, *times], failed + failures)
                results[(w, n)] = {server: (statistics.median(r), t, f) for server, (r, t, f) in got.items()}
                print(f"  {w:5} {n:2} clients: " + ", ".join(f"{k} {v[0]:.1f} req/s" for k, v in
                                                            results[(w, n)].items()), flush=True)

    print(f"\ncrowd: {os.cpu_count()} cores, {rounds} round(s) per row, one item per client; "
          f"app flags: {args.app_args or '(defaults)'}")
    print("| workload | clients | server | req/s | p50 ms | p95 ms | failures | vs floor |")
    print("|---|---|---|---|---|---|---|---|")
    for (w, n), by_server in results.items():
        floor = by_server["floor"][0] if "floor" in by_server else None
        for server, (rate, times, failures) in by_server.items():
            ratio = f"{rate / floor:.2f}x" if floor else "-"
            print(f"| {w} | {n} | {server} | {rate:.1f} | {statistics.median(times) * 1000:.0f} | "
                  f"{pct(times, 95) * 1000:.0f} | {failures} | {ratio} |")


if __name__ == "__main__":
    main()
