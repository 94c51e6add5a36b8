"""Benchmark: training throughput of the Train tab's worker next to the same Trainer script run by hand. Prints
figures, asserts nothing.

Both fine-tune the same base model (the offline pack's all-MiniLM-L6-v2 by default) on the same generated
labelled CSV with the same parameters, one run each:

- the app: core.train_worker.TrainingQueue, as the Train tab and the CLI use it (a spawned worker process,
  progress events, the model card), submit to done;
- by hand: core.training.training_script (the Code panel's script for that run) saved to a file and run with
  `python script.py` in a fresh process; its `trainer.train()` result is printed to read the Trainer's own figure.

For each: the Trainer's train_samples_per_second (training steps only), and examples per second of the whole run
(rows x epochs over the wall time from start to the saved folder, with imports, loading and evaluation).

    python benchmarks/train.py [--pack pack] [--model DIR] [--rows 200] [--epochs 2] [--batch-size 16] [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOPICS = {
    "sports": ("The striker scored twice in the final", "Our team won the match on penalties",
               "The runner broke the national record", "A late goal decided the derby"),
    "weather": ("Heavy rain is expected over the weekend", "Strong winds knocked down trees",
                "The heatwave will last until Friday", "Snow closed the mountain roads"),
    "cooking": ("Simmer the sauce for ten minutes", "Knead the dough until it is smooth",
                "Roast the vegetables with olive oil", "Whisk the eggs with a pinch of salt"),
}
ENDINGS = ("", " today.", " again.", " this morning.", ", people said.", " at last.", " once more.")


def write_data(path: Path, rows: int, seed: int = 0) -> Path:
    """A CSV of `rows` short texts in three topics (text, label)."""
    import csv

    rng = random.Random(seed)
    labels = list(TOPICS)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for i in range(rows):
            label = labels[i % len(labels)]
            writer.writerow([rng.choice(TOPICS[label]) + rng.choice(ENDINGS), label])
    return path


def run_app(settings, request: dict) -> tuple[dict, float]:
    from core.models import ModelManager

    manager = ModelManager(settings)
    queue = manager.training
    start = time.perf_counter()
    job = queue.submit(request)
    status = queue.wait(job, timeout=3600)
    seconds = time.perf_counter() - start
    if status["state"] != "done":
        raise SystemExit(f"the app's job ended {status['state']}: {status.get('error')}")
    return status["result"], seconds


def run_by_hand(settings, request: dict, folder: Path) -> tuple[float, float]:
    """(the Trainer's train_samples_per_second, wall seconds) of the Code panel's script in a fresh process."""
    from core import training
    from core.models import ModelManager

    manager = ModelManager(settings)
    checked, data = manager.training.check(request)
    base = checked["source"]  # a folder: the script loads what the app loaded
    script = training.training_script(base, data, checked["params"], str(folder / "by-hand"),
                                      names={request["data"]: Path(request["data"]).name})
    if "trainer.train()\n" not in script:
        raise SystemExit("the script has no trainer.train() line to time")
    script = re.sub(r"^MODEL = .*$", f"MODEL = {str(base)!r}", script, count=1, flags=re.M)  # not the Hub id
    script = script.replace("trainer.train()\n", "_out = trainer.train()\n", 1)
    script += "print('TRAIN_METRICS', __import__('json').dumps(_out.metrics))\n"
    path = folder / "script.py"
    path.write_text(script, encoding="utf-8")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(path)], cwd=Path(request["data"]).parent, capture_output=True,
                          text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"the script failed:\n{done.stderr[-2000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("TRAIN_METRICS "))
    return float(json.loads(line.split(" ", 1)[1])["train_samples_per_second"]), seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pack", default=str(ROOT / "pack"), help="the offline pack (for its MiniLM)")
    p.add_argument("--model", help="base model folder (default: the pack's all-MiniLM-L6-v2)")
    p.add_argument("--rows", type=int, default=200, help="rows of the generated data (20%% held out)")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--quick", action="store_true", help="a short run (60 rows, 1 epoch)")
    args = p.parse_args()
    if args.quick:
        args.rows, args.epochs = 60, 1
    from core.settings import Settings, quiet_environment

    model = Path(args.model or Path(args.pack) / "all-MiniLM-L6-v2").resolve()
    with tempfile.TemporaryDirectory(prefix="train-bench-") as tmp:
        folder = Path(tmp)
        data = write_data(folder / "topics.csv", args.rows)
        settings = Settings(offline=True, device="cpu", models_dirs=(model.parent,), warmup=False, any_local_path=True,
                            trained_dir=folder / "trained")
        quiet_environment(settings)
        params = {"epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": 5e-5, "seed": 0,
                  "max_length": 64}
        request = {"task": "text-classification", "model": str(model), "data": str(data), "text_column": "text",
                   "label_column": "label", "params": params, "name": "by-the-app"}
        result, app_seconds = run_app(settings, request)
        hand_rate, hand_seconds = run_by_hand(settings, request, folder)
    examples = result["train_rows"] * args.epochs
    app_rate = float(result["examples_per_second"])
    print(f"base model {model.name}; {result['train_rows']} training rows x {args.epochs} epochs, "
          f"batch {args.batch_size}, max length 64; eval accuracy (app) {result['eval_accuracy']:.3f}")
    print(f"{'':34}{'app (worker)':>14}{'by hand':>12}{'ratio':>8}")
    print(f"{'Trainer train_samples_per_second':34}{app_rate:>14.1f}{hand_rate:>12.1f}{app_rate / hand_rate:>8.2f}")
    print(f"{'whole run: examples/s (wall)':34}{examples / app_seconds:>14.2f}{examples / hand_seconds:>12.2f}"
          f"{hand_seconds / app_seconds:>8.2f}")
    print(f"{'whole run: seconds':34}{app_seconds:>14.1f}{hand_seconds:>12.1f}")


if __name__ == "__main__":
    main()
