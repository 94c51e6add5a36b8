"""Runs transformers 4.x pipelines for tests/v4.py, in a subprocess whose PYTHONPATH starts at an oracle folder.

Reads a JSON list of cases on stdin and writes one JSON result per case on stdout. A case is
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


def main() -> None:
    import torch
    import transformers

    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    cases = json.load(sys.stdin)
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
    json.dump({"version": transformers.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
