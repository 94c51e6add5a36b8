"""Shared pieces of the Text tab's reading-task tests (token classification, question answering, zero-shot,
table QA, fill-mask): a long text, running a Code panel snippet, nested comparison, the CLI and the browser
steps."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

NER_SENTENCE = "Hugging Face is a French company based in New York City."
LONG = " ".join([NER_SENTENCE] * 30)  # ~750 tokens


def run(manager, task, model, inputs, **params):
    """manager.run(task, model, inputs, defaults overridden by params)."""
    return manager.run(task, str(model), inputs, {**task.defaults(), **params})


def note_texts(result) -> str:
    """A run's notes, in English, one per line."""
    return "\n".join(n.text() for n in result.notes)


def printed_by(code: str):
    """Execute a Code panel snippet in a fresh namespace; returns (its `result`, what it printed)."""
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace["result"], out.getvalue()


def close(a, b, tol=1e-4) -> bool:
    """Nested equality with a tolerance for floats."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) <= tol
    return a == b


def value_of(output):
    """An output's value: components updated with gr.update(...) come back as {"value": ..., other props}."""
    return output["value"] if isinstance(output, dict) and "value" in output else output


def cli(*args):
    """`python app.py run ARGS --offline`, with the folder holding the --model given as a --models-dir (typed
    paths load only from there)."""
    env = dict(os.environ, PLAYGROUND_NO_WARMUP="1")
    args = list(args)
    if "--model" in args:
        args += ["--models-dir", str(Path(args[args.index("--model") + 1]).parent)]
    return subprocess.run([sys.executable, "app.py", "run", *args, "--offline"], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=300)


# ---- the browser ------------------------------------------------------------------------------------------
def open_task(page, base_url, title: str, api_name: str):
    page.goto(base_url)
    page.get_by_role("tab", name="Text", exact=True).click()
    page.get_by_role("tab", name=title, exact=True).click()
    return page.locator(f"#task_{api_name}")


def pick_model(page, api_name: str, folder) -> None:
    model = page.locator(f"#{api_name}_model input")
    model.fill(str(folder))
    model.press("Enter")


def run_and_wait(page, tab, api_name: str):
    """Click Run and wait for the Code panel to fill; an error toast fails the test with its text."""
    from playwright.sync_api import expect

    tab.get_by_role("button", name="Run").click()
    code = page.locator(f"#{api_name}_code")
    done = code.locator(".cm-content").filter(has_text="from transformers import")
    toast = page.locator("[data-testid='toast-body']")
    expect(done.or_(toast).first).to_be_visible(timeout=60_000)
    if not done.count():
        raise AssertionError(f"the run failed: {toast.all_inner_texts()}")
    return code


def example_run(page, base_url, title: str, api_name: str, example: str, field: str, folder):
    """Open the sub-tab, click the example, pick the model and run; returns the Code panel."""
    from playwright.sync_api import expect

    tab = open_task(page, base_url, title, api_name)
    tab.get_by_text(example).first.click()
    expect(page.locator(f"#{api_name}_{field} textarea")).to_have_value(re.compile(re.escape(example)))
    pick_model(page, api_name, folder)
    return run_and_wait(page, tab, api_name)


# ---- the differential layer (transformers 4.57.6) ----------------------------------------------------------
def against_v4(manager, task, cases: list[dict], tiny: dict) -> list[tuple[dict, object, object]]:
    """Each case run by the app and by the 4.x pipeline (one run_v4 call for all): [(case, app run, 4.x output)].

    A case: {"model": tiny name, "inputs": app inputs, "params": app params, "v4": {"task", "inputs", "call",
    "init"}}; the 4.x side loads a v4_folder copy of the same model folder."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.v4 import run_v4, v4_folder

    v4_cases = [{"task": c["v4"]["task"], "model": str(v4_folder(tiny[c["model"]])), "inputs": c["v4"]["inputs"],
                 "call": c["v4"].get("call", {}), "init": c["v4"].get("init", {})} for c in cases]
    with ThreadPoolExecutor(max_workers=1) as pool:  # 4.x works in its own process while the app runs here
        v4 = pool.submit(run_v4, v4_cases)
        runs = [run(manager, task, tiny[c["model"]], c["inputs"], **c.get("params", {})) for c in cases]
        outputs = v4.result()
    return list(zip(cases, runs, outputs))
