"""Dataset mode (issue 15): throughput next to the raw pipeline, and peak memory over many rows. Prints figures,
asserts nothing.

1. Throughput: the same CSV of short texts through the app's dataset run (core.datasets_run.run_dataset,
   writing JSON Lines) and through the study notes' raw `pipe(KeyDataset(ds, "text"), batch_size=N, **kwargs)`
   on the same model, loaded once each, with the keyword arguments the task's Code panel shows; measured in
   one run, rounds alternating, the ratio of medians (goal >= 0.9x). Model: the pack's rampart
   (token-classification, a BERT of MiniLM's size: 384 hidden, 12 layers).
2. Peak RSS: `run_dataset` over --rows short text rows (100 000 by default) in a fresh subprocess, writing
   JSON Lines, on a tiny random BERT classifier (the model's size is not what is measured: memory must stay
   flat in the number of rows), next to the same subprocess over a tenth of the rows.

    python benchmarks/dataset.py [--pack pack] [--items 256] [--batch-size 16] [--rounds 3] [--rows 100000]
                                 [--only throughput,memory] [--quick]

--quick: 64 items, 1 round, 10 000 rows (a loaded machine: the figures are rough).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORDS = ["John", "Smith", "lives", "at", "221", "Elm", "Street", "in", "Boston", "Massachusetts", "call",
         "555-0100", "Mary", "works", "for", "Acme", "today", "and", "the", "weather", "is", "calm"]


def texts(n: int) -> list[str]:
    """n short, distinct sentences (5-9 words)."""
    return [" ".join(WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(5 + i % 5)) + f" {i}." for i in range(n)]


def write_csv(path: Path, n: int) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        writer.writerows([i, t] for i, t in enumerate(texts(n)))
    return path


def throughput(args, folder: Path) -> None:
    from transformers import pipeline
    from transformers.pipelines.pt_utils import KeyDataset

    from core.dataset_code import _calls_to, _literal, placeholder_inputs
    from core.datasets_run import open_source, open_writer, run_dataset
    from core.limits import Limits
    from core.models import ModelManager
    from core.settings import Settings
    from demos.text.token_classification import TASK

    model = str(Path(args.pack).resolve() / "rampart")
    data = write_csv(folder / "texts.csv", args.items)
    settings = Settings(offline=True, device="cpu", models_dirs=(Path(args.pack).resolve(),), warmup=False,
                        limits=Limits.off())
    manager = ModelManager(settings)
    # the raw side gets the keyword arguments the task's own snippet passes its pipeline
    inputs, params = TASK.parse(placeholder_inputs(TASK), {})
    call = _calls_to(__import__("ast").parse(TASK.code(manager.resolve(model), inputs, params, manager.place)), "pipe")[0]
    kwargs = {k.arg: _literal(k.value) for k in call.keywords if k.arg != "batch_size"}
    pipe = pipeline("token-classification", model=model, device="cpu")
    import datasets

    datasets.disable_progress_bars()
    ds = datasets.load_dataset("csv", data_files=str(data), split="train")

    def raw() -> None:
        with open(folder / "raw.jsonl", "w", encoding="utf-8") as f:
            for row, out in zip(ds, pipe(KeyDataset(ds, "text"), batch_size=args.batch_size, **kwargs)):
                f.write(json.dumps({"text": row["text"], "output": out}, default=float) + "\n")

    def app() -> None:
        source = open_source(str(data), offline=True)
        try:
            with open_writer(folder / "app.jsonl") as writer:
                run = run_dataset(manager, TASK, model, source, columns={"text": "text"}, params={},
                                  batch_size=args.batch_size, sink=writer.write)
        finally:
            source.close()
        if run.failed or run.done != args.items:
            raise SystemExit(f"the dataset run failed {run.failed} of {run.done} rows")

    for fn in (raw, app):  # load and warm up, once each
        fn()
    rates: dict[str, list[float]] = {"raw": [], "app": []}
    for _ in range(args.rounds):
        for name, fn in (("raw", raw), ("app", app)):
            start = time.perf_counter()
            fn()
            rates[name].append(args.items / (time.perf_counter() - start))
    raw_rate, app_rate = statistics.median(rates["raw"]), statistics.median(rates["app"])
    print(f"throughput: {args.items} short texts, batch_size={args.batch_size}, rampart (token-classification, "
          f"kwargs {kwargs}), median of {args.rounds} round(s)")
    print("| how | items/s | vs raw |")
    print("|---|---|---|")
    print(f"| raw `pipe(KeyDataset(ds, 'text'), batch_size={args.batch_size})` + JSON Lines | {raw_rate:.1f} | 1.00x |")
    print(f"| dataset mode (run_dataset + JSON Lines writer) | {app_rate:.1f} | {app_rate / raw_rate:.2f}x (goal >= 0.9x) |",
          flush=True)


CHILD = r"""
import resource, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from core.datasets_run import open_source, open_writer, run_dataset
from core.limits import Limits
from core.models import ModelManager
from core.settings import Settings
from demos.text.text_classification import TASK
model, data, out, batch = {model!r}, {data!r}, {out!r}, {batch}
manager = ModelManager(Settings(offline=True, device="cpu", models_dirs=(Path(model).parent,), warmup=False,
                                limits=Limits.off()))
source = open_source(data, offline=True)
start = time.perf_counter()
with open_writer(Path(out)) as writer:
    run = run_dataset(manager, TASK, model, source, columns={{"text": "text"}}, params={{"top_k": 1}},
                      batch_size=batch, sink=writer.write)
source.close()
print(run.done, run.failed, round(time.perf_counter() - start, 1), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def memory(args, folder: Path) -> None:
    from tests.tiny import build_all

    model = build_all(folder / "tiny", ["bert-seqcls"])["bert-seqcls"]
    print(f"peak RSS: run_dataset over short text rows in a subprocess, JSON Lines out, tiny BERT classifier, "
          f"batch_size={args.batch_size}")
    print("| rows | done | failed | seconds | peak RSS (MB) |")
    print("|---|---|---|---|---|")
    for n in (args.rows // 10, args.rows):
        data = write_csv(folder / f"rows-{n}.csv", n)
        code = CHILD.format(root=str(ROOT), model=str(model), data=str(data), out=str(folder / f"out-{n}.jsonl"),
                            batch=args.batch_size)
        env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", TRANSFORMERS_VERBOSITY="error")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(done.stderr[-2000:])
        rows, failed, seconds, rss_kb = done.stdout.split()[-4:]
        print(f"| {n:,} | {int(rows):,} | {failed} | {seconds} | {int(rss_kb) / 1024:.0f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", default=str(ROOT / "pack"))
    ap.add_argument("--items", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--only", default="throughput,memory")
    ap.add_argument("--quick", action="store_true", help="64 items, 1 round, 10 000 rows")
    args = ap.parse_args()
    if args.quick:
        args.items, args.rounds, args.rows = 64, 1, 10_000
    os.environ.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", TRANSFORMERS_VERBOSITY="error")
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    with tempfile.TemporaryDirectory(prefix="dataset-bench-") as tmp:
        if "throughput" in args.only:
            throughput(args, Path(tmp))
        if "memory" in args.only:
            memory(args, Path(tmp))


if __name__ == "__main__":
    main()
