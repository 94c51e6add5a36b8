"""Where one API request's time goes: prints a per-stage breakdown in ms, asserts nothing.

Starts the app in-process on the offline pack, and beside it gradio's floor (a bare gradio app with a trivial
function behind the same kind of event), then for /embed (MiniLM, one short sentence),
/image_classification (EfficientNet-Lite0, cheetah.jpg) and /project (the Embeddings tab's Run, five rows):

1. over HTTP: N sequential gradio_client requests to each, their round trips (median), the time the client
   spends downloading output files, and the size of the answer's data;
2. in this thread, N runs of gradio's process_api for the same event (no HTTP; gradio's hops to worker threads
   run inline), each stage timed in CPU time of this thread, so that other processes on the machine do not
   inflate them: the manager's parse, the model call, details, the Code panel, render, the panels, gradio's
   postprocess per output component and its file caching. "app's own work" is all of process_api but the
   model call; the floor's process_api is what gradio costs for a trivial event.

    python benchmarks/profile_request.py [--pack pack] [--requests 30] [--lang en|ko] [--cprofile embed]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import shutil
import socket
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

SENTENCE = "The cat sleeps on the sofa."
ROWS = ("animal | The cat sleeps on the sofa.\nanimal | 고양이가 소파 위에서 자고 있다.\n"
        "money | Stocks fell sharply today.\nmoney | 오늘 주식 시장이 크게 하락했다.\nfood | I baked bread.")
TIMES: dict[str, list[float]] = defaultdict(list)
SIZES: list[int] = []
_LOCK = threading.Lock()
CLOCK = [time.perf_counter]  # time.thread_time while the in-thread runs are timed

FLOOR = """
import gradio as gr
def build():
    with gr.Blocks() as demo:
        text = gr.Textbox(label="Text")
        image = gr.Image(type="filepath", label="Image")
        vectors = gr.JSON(label="Vectors")
        label = gr.Label(label="Label")
        text.submit(lambda t: [[0.5]], text, vectors, api_name="embed_floor")
        image.change(lambda path: {"cheetah": 1.0}, image, label, api_name="image_floor")
    return demo
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(name: str, fn):
    """fn wrapped so each call's duration (by CLOCK) goes to TIMES[name]; sync or async."""
    def add(start: float) -> None:
        with _LOCK:
            TIMES[name].append(CLOCK[0]() - start)

    if asyncio.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def async_wrapper(*args, **kwargs):
            start = CLOCK[0]()
            try:
                return await fn(*args, **kwargs)
            finally:
                add(start)
        return async_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        start = CLOCK[0]()
        try:
            return fn(*args, **kwargs)
        finally:
            add(start)
    return wrapper


def instrument() -> None:
    """Timers around the app's and gradio's stages (before the app is built)."""
    import gradio as gr
    from gradio import blocks, processing_utils
    from gradio_client.client import Endpoint

    import core.models
    import core.ui
    from core.registry import TaskSpec

    mm = core.models.ModelManager
    mm.run = timed("app: manager.run (all)", mm.run)
    mm.code = timed("app: code() (Code panel)", mm.code)
    mm._all_details = timed("app: details", mm._all_details)
    TaskSpec.parse = timed("app: parse inputs", TaskSpec.parse)
    core.ui.localized_table = timed("app: localized_table", core.ui.localized_table)
    core.ui.Panels.values = timed("app: panels.values", core.ui.Panels.values)
    wire = core.ui.wire

    def timed_wire(ctx, task, trigger, fields, model, render, panels, outputs, **kw):
        if task.id in ("embed", "image-classification", "project"):
            object.__setattr__(task, "run", timed("app: task.run (the model)", task.run))
            if task.batch is not None:
                object.__setattr__(task, "batch", timed("app: task.run (the model)", task.batch))
            render = timed("app: render()", render)
        return wire(ctx, task, trigger, fields, model, render, panels, outputs, **kw)

    core.ui.wire = timed_wire
    for cls in (gr.Label, gr.Dataframe, gr.File, gr.JSON, gr.Markdown, gr.Code, gr.Plot, gr.Textbox, gr.Image):
        cls.postprocess = timed(f"gradio: {cls.__name__}.postprocess", cls.postprocess)
    processing_utils.async_move_files_to_cache = timed("gradio: move_files_to_cache",
                                                       processing_utils.async_move_files_to_cache)
    B = blocks.Blocks
    B.preprocess_data = timed("gradio: preprocess_data", B.preprocess_data)
    B.call_function = timed("gradio: call_function (the event's fn)", B.call_function)
    B.postprocess_data = timed("gradio: postprocess_data (all)", B.postprocess_data)
    process_api = timed("gradio: process_api (all)", B.process_api)

    async def sized(self, *args, **kwargs):
        out = await process_api(self, *args, **kwargs)
        with _LOCK:
            SIZES.append(len(json.dumps(out.get("data"), default=str)))
        return out

    B.process_api = sized
    Endpoint._download_file = timed("client: downloading output files", Endpoint._download_file)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("--pack", default=str(ROOT / "pack"))
    args.add_argument("--requests", type=int, default=30)
    args.add_argument("--only", default="embed,image_classification,project")
    args.add_argument("--lang", default="en", help="the requests' Accept-Language: en or ko")
    args.add_argument("--cprofile", default="", help="an endpoint whose in-thread runs cProfile prints")
    opts = args.parse_args()
    pack = Path(opts.pack).resolve()

    instrument()
    import gradio as gr
    from gradio import utils
    from gradio_client import Client, handle_file

    from app import build_app
    from core.models import ModelManager
    from core.settings import Settings
    from demos.vision.common import sample

    settings = Settings(offline=True, device="cpu", models_dirs=(pack,), port=free_port(), warmup=False)
    built = build_app(settings, ModelManager(settings))
    built.launch(server_name="127.0.0.1", server_port=settings.port, quiet=True)
    namespace: dict = {}
    exec(FLOOR, namespace)
    floor = namespace["build"]()
    floor_port = free_port()
    floor.launch(server_name="127.0.0.1", server_port=floor_port, quiet=True, prevent_thread_lock=True)
    accept = "ko-KR,ko;q=0.9" if opts.lang == "ko" else "en-US,en;q=0.9"
    client = Client(f"http://127.0.0.1:{settings.port}/", verbose=False, headers={"Accept-Language": accept})
    floor_client = Client(f"http://127.0.0.1:{floor_port}/", verbose=False, headers={"Accept-Language": accept})
    minilm, effnet = str(pack / "all-MiniLM-L6-v2"), str(pack / "efficientnet_lite0")
    upload = Path(utils.get_upload_folder()) / "profile" / "cheetah.jpg"  # as if uploaded (gradio's checks)
    upload.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(sample("cheetah"), upload)
    image = {"path": str(upload), "orig_name": "cheetah.jpg", "meta": {"_type": "gradio.FileData"}}
    endpoints = {
        "embed": dict(
            app=lambda: client.predict(text=SENTENCE, file=None, images=None, model=minilm, api_name="/embed"),
            floor=lambda: floor_client.predict(SENTENCE, api_name="/embed_floor"),
            inline=(built.demo, "embed", [SENTENCE, None, None, "auto", -1, False, 32, minilm]),
            floor_inline=(floor, "embed_floor", [SENTENCE])),
        "project": dict(  # the Embeddings tab's Run: the map (and, on the page, the heatmap and the vectors)
            app=lambda: client.predict(text=ROWS, file=None, images=None, model=minilm, api_name="/project"),
            floor=lambda: floor_client.predict(ROWS, api_name="/embed_floor"),
            inline=(built.demo, "project", [ROWS, None, None, "auto", -1, False, 32, "PCA", "2", 0, 30.0, 15, 0.1,
                                            "cosine", minilm]),
            floor_inline=(floor, "embed_floor", [ROWS])),
        "image_classification": dict(
            app=lambda: client.predict(image=handle_file(sample("cheetah")), model=effnet,
                                       api_name="/image_classification"),
            floor=lambda: floor_client.predict(handle_file(sample("cheetah")), api_name="/image_floor"),
            inline=(built.demo, "image_classification", [image, 5, effnet]),
            floor_inline=(floor, "image_floor", [image])),
    }
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {opts.requests} requests per "
          f"endpoint; Accept-Language {accept}")
    request = gr.Request(headers={"accept-language": accept})
    for name in opts.only.split(","):
        e = endpoints[name]
        for _ in range(4):  # loads the model, warms both paths
            e["app"](), e["floor"]()
        http = measure_http(e["app"], e["floor"], opts.requests)
        inline = {side: measure_inline(*e[key], opts.requests, request)
                  for side, key in (("floor", "floor_inline"), ("app", "inline"))}
        report(name, opts.requests, http, inline)
        if opts.cprofile == name:
            profile_inline(*e["inline"], opts.requests, request)
    built.demo.close()
    floor.close()


def measure_http(app, floor, n: int) -> dict:
    """Wall times of n requests to the app and n to the floor, alternated (the machine's load drifts)."""
    out = {side: {"wall": [], "times": defaultdict(list), "sizes": []} for side in ("app", "floor")}
    for _ in range(n):
        for side, call in (("floor", floor), ("app", app)):
            TIMES.clear()
            SIZES.clear()
            start = time.perf_counter()
            call()
            out[side]["wall"].append(time.perf_counter() - start)
            for k, v in TIMES.items():
                out[side]["times"][k] += v
            model = sum(TIMES.get("app: task.run (the model)", ()))
            out[side].setdefault("without model", []).append(out[side]["wall"][-1] - model)
            out[side]["sizes"] += SIZES
    return out


def _runner(demo, api_name: str, inputs: list, request):
    """An async function running the event n times through process_api in this thread."""
    import anyio.to_thread
    from gradio.state_holder import SessionState

    async def inline(fn, *args, **kwargs):
        return fn(*args)

    anyio.to_thread.run_sync = inline  # gradio's hops to worker threads run here
    block_fn = next(f for f in demo.fns.values() if f.api_name == api_name)
    inputs = [*inputs, *[None] * (len(block_fn.inputs) - len(inputs))]  # model_2 / model_3 (no comparison)
    request.session_hash = f"profile-{api_name}"
    state = SessionState(demo)  # one per browser session: built on its first request

    async def runs(n: int):
        for _ in range(n):
            await demo.process_api(block_fn, list(inputs), state=state, request=request,
                                   session_hash=request.session_hash)

    return runs


def measure_inline(demo, api_name: str, inputs: list, n: int, request) -> dict:
    runs = _runner(demo, api_name, inputs, request)
    asyncio.run(runs(3))
    TIMES.clear()
    CLOCK[0] = time.thread_time
    try:
        asyncio.run(runs(n))
    finally:
        CLOCK[0] = time.perf_counter
    return {"times": {k: list(v) for k, v in TIMES.items()}}


def profile_inline(demo, api_name: str, inputs: list, n: int, request) -> None:
    import cProfile
    import pstats

    runs = _runner(demo, api_name, inputs, request)
    asyncio.run(runs(3))
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(runs(n))
    profiler.disable()
    print(f"\n== cProfile of {n} in-thread runs of /{api_name} ==")
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(60)


def per_request(times: dict, key: str, n: int) -> float:
    return sum(times.get(key, ())) / n * 1000


def report(name: str, n: int, http: dict, inline: dict) -> None:
    app, floor = http["app"], http["floor"]
    a, f = statistics.median(app["wall"]) * 1000, statistics.median(floor["wall"]) * 1000
    print(f"\n== /{name} ==")
    server = statistics.median(app["times"]["gradio: process_api (all)"]) * 1000
    model = statistics.median(app["times"]["app: task.run (the model)"]) * 1000
    floor_server = statistics.median(floor["times"]["gradio: process_api (all)"]) * 1000
    print(f"over HTTP, median of {n} sequential gradio_client requests (alternating): app {a:.1f} ms, gradio floor "
          f"{f:.1f} ms, the app's model call {model:.1f} ms, so the app adds {a - f - model:.1f} ms; of it, "
          f"process_api {server - model - floor_server:.1f} ms over the floor's; the client downloading output files "
          f"{per_request(app['times'], 'client: downloading output files', n):.1f} ms; answer's data "
          f"{statistics.median(app['sizes']):.0f} bytes (floor {statistics.median(floor['sizes']):.0f})")
    rest, floor_rest = app["without model"], floor["without model"]
    print(f"  per request, the round trip without its model call: app median {statistics.median(rest) * 1000:.1f} ms "
          f"(fastest {min(rest) * 1000:.1f}), floor median {statistics.median(floor_rest) * 1000:.1f} ms (fastest "
          f"{min(floor_rest) * 1000:.1f}): the app adds {(statistics.median(rest) - statistics.median(floor_rest)) * 1000:.1f}"
          f" ms (fastest to fastest {(min(rest) - min(floor_rest)) * 1000:.1f} ms)")
    times, floor_times = inline["app"]["times"], inline["floor"]["times"]
    model = per_request(times, "app: task.run (the model)", n)
    own = per_request(times, "gradio: process_api (all)", n) - model
    floor_total = per_request(floor_times, "gradio: process_api (all)", n)
    print(f"in this thread, CPU ms per request (mean of {n}): app's process_api without the model call {own:.2f}, "
          f"gradio floor's process_api {floor_total:.2f}, so the app adds {own - floor_total:.2f} ms; "
          f"the model call {model:.2f}")
    print(f"  {'stage':44s} {'app':>8s} {'floor':>8s} {'calls':>6s}")
    for key in sorted(set(times) | set(floor_times)):
        calls = len(times.get(key, ())) / n
        print(f"  {key:44s} {per_request(times, key, n):8.2f} {per_request(floor_times, key, n):8.2f} {calls:6.1f}")


if __name__ == "__main__":
    main()
