"""Image captioning on a tiny random BLIP (structure only): with and without a prompt, the shown
image-text-to-text code executed and compared, transformers' argument names, the bounds, the API and the CLI."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import subprocess
import sys

import pytest

from core.errors import UserError
from core.ui import jsonable
from demos.multimodal.common import picture
from demos.multimodal.image_to_text import TASK

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAPTION = TASK
CAT = picture("chelsea")


def value_of(output):
    """An output's value: components updated with gr.update(...) come back as {"value": ..., other props}."""
    return output["value"] if isinstance(output, dict) and "value" in output else output


def run_code(code: str) -> object:
    """Execute a Code panel snippet in a fresh namespace; returns what it printed, parsed back."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<snippet>", "exec"), {"__name__": "__snippet__"})
    return ast.literal_eval(out.getvalue().strip())


def test_captioning_with_and_without_a_prompt(manager, tiny):
    model = str(tiny["blip-caption"])
    for prompt in ("", "a picture of"):
        result = manager.run(CAPTION, model, {"image": CAT, "text": prompt}, {"max_new_tokens": 6})
        [out] = result.output
        assert out["input_text"] == prompt and out["generated_text"].startswith(prompt)
        assert "pipeline('image-text-to-text'" in result.code.replace('"', "'")
        assert jsonable(run_code(result.code)) == jsonable(result.output)


def test_transformers_names_and_bounds(manager, tiny):
    model = str(tiny["blip-caption"])
    [out] = manager.run(CAPTION, model, {"images": CAT, "prompt": "a picture of"}, {"max_new_tokens": 3}).output
    assert out["input_text"] == "a picture of"
    for inputs, params, key in (({"image": CAT}, {"max_new_tokens": 101}, "bad_param"),
                                ({"image": CAT}, {"max_new_tokens": 0}, "bad_param"),
                                ({"image": CAT, "text": "x" * 1001}, {}, "too_large"),
                                ({"image": None}, {}, "empty_input")):
        with pytest.raises(UserError) as err:
            manager.run(CAPTION, model, inputs, params)
        assert err.value.key == key, (inputs, params)


def test_api_continues_the_prompt(client, tiny):
    from gradio_client import handle_file

    caption, notes, raw, code, details = map(value_of, client.predict(
        image=handle_file(CAT), text="a picture of", max_new_tokens=5, model=str(tiny["blip-caption"]),
        api_name="/image_to_text"))
    assert raw[0]["generated_text"].startswith("a picture of") and caption[0]["token"] == "a picture of"


def test_cli_captions_a_photo(tiny, tiny_root):
    env = {**os.environ, "PLAYGROUND_NO_WARMUP": "1"}
    out = subprocess.run([sys.executable, "app.py", "run", "image-to-text", CAT, "--model", str(tiny["blip-caption"]),
                          "--offline", "--models-dir", str(tiny_root), "--param", "text=a picture of", "--param", "max_new_tokens=3"],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=180)
    assert out.returncode == 0, out.stderr
    [result] = json.loads(out.stdout)
    assert result["generated_text"].startswith("a picture of")
