"""Load: many gradio_client clients against one app for a while, with a mixed workload on the offline pack's
real models. Prints figures, asserts nothing; traffic goes to 127.0.0.1 only, bounded in clients and time.

Each client loops over the endpoints (embeddings on MiniLM, image classification on EfficientNet-Lite0,
tokenization, a short bad request that must be refused) until the time is up. Printed: requests and failures
per endpoint, p50/p95 latency, requests/s in all, and the server's resident memory (start, peak, end).

    python benchmarks/load.py [--pack pack] [--clients 20] [--seconds 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench import free_port  # noqa: E402


def workload(pack: Path):
    from gradio_client import handle_file

    from core.registry import all_tasks, discover

    tasks = {task.api_name: task for _, task in all_tasks(discover()).values()}

    def call(api: str, **values):
        """client.predict on the endpoint, with the file inputs not given sent as None."""
        values = {**{name: None for name in tasks[api].file_inputs}, **values}
        return lambda c: c.predict(**values, api_name="/" + api)

    image = Path(find_spec("gradio").origin).parent / "media_assets" / "images" / "cheetah.jpg"
    minilm, effnet = str(pack / "all-MiniLM-L6-v2"), str(pack / "efficientnet_lite0")
    return {
        "/embed": (lambda c, i: call("embed", text=f"sentence number {i} about cats", model=minilm)(c), True),
        "/image_classification": (lambda c, i: call("image_classification", image=handle_file(str(image)),
                                                    model=effnet)(c), True),
        "/tokenize": (lambda c, i: call("tokenize", text=f"토크나이저 test {i}", model=minilm)(c), True),
        "/text_classification (refused)": (lambda c, i: call("text_classification", text="x", top_k=10**9)(c), False),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", default=str(ROOT / "pack"))
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    clients, seconds = max(1, min(args.clients, 64)), max(1.0, min(args.seconds, 300.0))
    pack = Path(args.pack).resolve()

    import psutil
    from gradio_client import Client

    port = free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_OFFLINE="1")
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--models-dir", str(pack), "--offline"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                Client(url, verbose=False)
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the app did not start") from None
                time.sleep(0.3)
        server = psutil.Process(proc.pid)
        jobs = workload(pack)
        warm = Client(url, verbose=False)
        for call, ok in jobs.values():  # load each model once, outside the measurement
            try:
                call(warm, 0)
            except Exception:
                if ok:
                    raise
        rss_start = server.memory_info().rss
        peak = [rss_start]
        times: dict[str, list[float]] = {name: [] for name in jobs}
        failures: dict[str, int] = {name: 0 for name in jobs}
        lock = threading.Lock()
        stop_at = time.monotonic() + seconds

        def client_loop(k: int) -> None:
            client = Client(url, verbose=False)
            i = 0
            names = list(jobs)
            while time.monotonic() < stop_at:
                name = names[(k + i) % len(names)]
                call, should_work = jobs[name]
                start = time.perf_counter()
                try:
                    call(client, i)
                    worked = True
                except Exception:
                    worked = False
                elapsed = time.perf_counter() - start
                with lock:
                    times[name].append(elapsed)
                    if worked != should_work:
                        failures[name] += 1
                i += 1

        def sample() -> None:
            while time.monotonic() < stop_at:
                peak[0] = max(peak[0], server.memory_info().rss)
                time.sleep(0.5)

        threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(clients)]
        threads.append(threading.Thread(target=sample))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = sum(len(v) for v in times.values())
        print(f"load: {clients} clients x {seconds:.0f} s, {total} requests ({total / seconds:.1f}/s), "
              f"{sum(failures.values())} failures")
        for name, values in times.items():
            if values:
                q = statistics.quantiles(values, n=20) if len(values) > 1 else values * 19
                print(f"  {name:32} {len(values):5} requests, {failures[name]} failures, "
                      f"p50 {statistics.median(values) * 1000:.0f} ms, p95 {q[18] * 1000:.0f} ms")
        mb = 2**20
        print(f"  server RSS: start {rss_start / mb:.0f} MB, peak {peak[0] / mb:.0f} MB, "
              f"end {server.memory_info().rss / mb:.0f} MB")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
