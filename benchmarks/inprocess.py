"""In process: N threads call the model manager at once, one item each, next to the raw transformers pipeline
called with the whole list (batch_size=N) and called item by item; no HTTP, no gradio. Prints figures,
asserts nothing.

Workloads: the embed task on the pack's all-MiniLM-L6-v2 (raw reference: the feature-extraction pipeline
returning tensors; the task, an AutoClass one, adds pooling and normalisation, and its own batch function
called on the whole list is shown too) with a distinct short sentence per caller, and
image-classification on the pack's efficientnet_lite0 with gradio's cheetah photo. Rows, per workload:
- raw pipeline, the whole list at once (`pipe(items, batch_size=N)`),
- raw pipeline, one item per call,
- the manager, N threads at once (cross-request batching with the given --max-batch / --batch-window-ms),
- the manager, one caller, one item per call.
Each figure is the median items/s over --rounds rounds, the rows of a round measured one after another.

    python benchmarks/inprocess.py [--pack pack] [--threads 16] [--rounds 5] [--only embed,image] [--quick]
                                   [--max-batch 16] [--batch-window-ms 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", default=str(ROOT / "pack"))
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="embed,image")
    ap.add_argument("--max-batch", type=int, default=16)
    ap.add_argument("--batch-window-ms", type=float, default=5.0)
    ap.add_argument("--quick", action="store_true", help="2 rounds")
    args = ap.parse_args()
    n = max(1, min(args.threads, 64))
    rounds = 2 if args.quick else max(1, min(args.rounds, 50))
    pack = Path(args.pack).resolve()
    os.environ.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", TRANSFORMERS_VERBOSITY="error")

    from transformers import pipeline

    from core.models import ModelManager
    from core.registry import all_tasks, discover
    from core.settings import Settings

    settings = Settings(offline=True, device="cpu", models_dirs=(pack,), warmup=False, max_batch=args.max_batch,
                        batch_window_ms=args.batch_window_ms)
    manager = ModelManager(settings)
    tasks = {name: task for name, (_, task) in all_tasks(discover()).items()}
    image = str(Path(find_spec("gradio").origin).parent / "media_assets" / "images" / "cheetah.jpg")
    minilm, effnet = str(pack / "all-MiniLM-L6-v2"), str(pack / "efficientnet_lite0")
    workloads = {
        "embed": (tasks["embed"], minilm, pipeline("feature-extraction", model=minilm, device="cpu", return_tensors=True),
                  [f"Student {i} asks what a cat is." for i in range(n)], "text"),
        "image": (tasks["image-classification"], effnet, pipeline("image-classification", model=effnet, device="cpu"),
                  [image] * n, "image"),
    }

    def crowd(task, model, items, field) -> None:
        barrier = threading.Barrier(len(items))
        errors = []

        def one(item) -> None:
            barrier.wait()
            try:
                manager.run(task, model, {field: item}, {})
            except Exception as exc:  # a figure with failures is no figure
                errors.append(exc)

        threads = [threading.Thread(target=one, args=(item,)) for item in items]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise SystemExit(f"{task.id}: {len(errors)} of {len(items)} concurrent runs failed: {errors[0]}")

    def rate(fn, count: int) -> float:
        start = time.perf_counter()
        fn()
        return count / (time.perf_counter() - start)

    print(f"in process: {os.cpu_count()} cores, {n} items, median of {rounds} rounds; "
          f"--max-batch {args.max_batch} --batch-window-ms {args.batch_window_ms:g}", flush=True)
    print("| workload | how | items/s | ms/item | vs raw batched |")
    print("|---|---|---|---|---|")
    def measure(name, task, model, pipe, items, field) -> None:
        for item in items[:2]:  # load, warm up
            pipe(item)
            manager.run(task, model, {field: item}, {})
        fns = {"raw pipeline, whole list (batch_size=N)": lambda: pipe(items, batch_size=n),
               "raw pipeline, one item per call": lambda: [pipe(x) for x in items],
               "manager, N threads at once": lambda: crowd(task, model, items, field),
               "manager, one caller, item by item": lambda: [manager.run(task, model, {field: x}, {}) for x in items]}
        if task.batch is not None:  # an AutoClass task: its own list function, called directly, is the model work
            bundle = manager.get(task.loader, model, task=task)[0].obj
            parsed = [task.parse({field: x}, {}) for x in items]
            fns["the task's batch function, whole list"] = lambda: task.batch(bundle, [i for i, _ in parsed], parsed[0][1])
        rows: dict[str, list[float]] = {how: [] for how in fns}
        for _ in range(rounds):
            for how, fn in fns.items():
                rows[how].append(rate(fn, len(items)))
        batched = statistics.median(rows["raw pipeline, whole list (batch_size=N)"])
        for how, values in rows.items():
            r = statistics.median(values)
            print(f"| {name} | {how.replace('N', str(n))} | {r:.1f} | {1000 / r:.1f} | {r / batched:.2f}x |",
                  flush=True)

    for name, workload in workloads.items():
        if name in args.only.split(","):
            measure(name, *workload)

if __name__ == "__main__":
    main()
