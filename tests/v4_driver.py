"""Runs transformers 4.x pipelines for tests/v4.py, in a subprocess whose PYTHONPATH starts at an oracle folder.

Reads a JSON list of cases on stdin and writes one JSON result per case on stdout (with --serve: one list per
line, until stdin closes). A case is
{"task", "model", "init": {...}, "inputs": ..., "call": {...}, "generation": {...}}. Tagged inputs:
{"$image": path} (PIL image), {"$audio": path.npy, "sampling_rate": sr} (the 4.x raw-audio dict),
{"$table": {column: [cells]}} (pandas DataFrame), {"$npy": path} (numpy array). Outputs come back plain:
images as {"$image": {"mode", "size", "pixels"}}, arrays and tensors as {"$array": nested lists, "shape"}.
Imports nothing from the app: this process must see only the oracle's transformers.
"""

from __future__ import annotations

import json
import sys
import traceback


def decode(value):
    import numpy as np

    if isinstance(value, dict):
        if "$image" in value:
            from PIL import Image

            return Image.open(value["$image"]).convert(value.get("mode", "RGB"))
        if "$audio" in value:
            return {"raw": np.load(value["$audio"]), "sampling_rate": value["sampling_rate"]}
        if "$table" in value:
            import pandas as pd

            return pd.DataFrame(value["$table"])
        if "$npy" in value:
            return np.load(value["$npy"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def encode(value):
    import numpy as np
    import torch
    from PIL import Image

    if isinstance(value, Image.Image):
        return {"$image": {"mode": value.mode, "size": list(value.size), "pixels": np.asarray(value).tolist()}}
    if isinstance(value, torch.Tensor):
        value = value.detach().float().cpu().numpy()
    if isinstance(value, np.ndarray):
        return {"$array": value.tolist(), "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value


def run_cases(cases: list[dict]) -> list[dict]:
    """One result per case; the pipelines are made anew for each batch, as in a process of its own."""
    import torch
    import transformers

    pipes: dict[str, object] = {}
    results = []
    for case in cases:
        try:
            key = json.dumps([case["task"], case["model"], case.get("init", {}), case.get("generation", {})],
                             sort_keys=True)
            if key not in pipes:
                pipe = transformers.pipeline(case["task"], model=case["model"], device="cpu", **case.get("init", {}))
                for name, value in case.get("generation", {}).items():
                    setattr(pipe.model.generation_config, name, value)
                    # pipelines that call generate keep their own copy, made at init, and pass it to generate
                    if getattr(pipe, "generation_config", None) is not None:
                        setattr(pipe.generation_config, name, value)
                pipes[key] = pipe
            torch.manual_seed(0)
            out = pipes[key](decode(case["inputs"]), **decode(case.get("call", {})))
            results.append({"output": encode(out)})
        except Exception as exc:  # noqa: BLE001 - the test shows what 4.x raised
            results.append({"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()})
    return results


def main() -> None:
    """One batch on stdin, its answer on stdout; with --serve, one batch per line and one answer per line, until
    stdin closes (tests/v4.py keeps one such process per release for the session: the imports are paid once)."""
    import torch
    import transformers

    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    if "--serve" not in sys.argv[1:]:
        json.dump({"version": transformers.__version__, "results": run_cases(json.load(sys.stdin))}, sys.stdout)
        return
    answers, sys.stdout = sys.stdout, sys.stderr  # anything 4.x prints stays out of the answers
    for line in sys.stdin:
        if line.strip():
            results = run_cases(json.loads(line))
            answers.write(json.dumps({"version": transformers.__version__, "results": results}) + "\n")
            answers.flush()


if __name__ == "__main__":
    main()
