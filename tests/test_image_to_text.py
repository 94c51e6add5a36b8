"""Image captioning on a tiny random BLIP (structure only): with and without a prompt, the shown
image-text-to-text code executed and compared, transformers' argument names, the bounds, the API and the CLI;
against transformers 4.57.6's image-to-text pipeline (with and without a prompt and max_new_tokens)."""

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
from demos.multimodal.image_to_text import TASK, length_kwargs
from tests.v4 import image, run_v4, v4_folder

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


# (image, the app's prompt, the app's max_new_tokens (0: its default), 4.x's call: no prompt / no max_new_tokens
# when the app leaves them empty, as 4.x users called the pipeline)
V4_CASES = (
    ("chelsea", "", 0), ("chelsea", "", 5), ("chelsea", "a picture of", 7),
    ("chelsea", "A  Picture of", 0),  # 4.x decodes the prompt as the tokenizer reads it
    ("astronaut", "a photography of", 12), ("coffee", "", 1), ("astronaut", "what is", 0),
)


@pytest.fixture(scope="module")
def against_v4(manager, tiny):
    """[(case, the app's output, 4.57.6's output)], all cases in one 4.x call."""
    model = str(tiny["blip-caption"])
    runs, cases = [], []
    for name, prompt, tokens in V4_CASES:
        runs.append(manager.run(CAPTION, model, {"image": picture(name), "text": prompt}, {"max_new_tokens": tokens}))
        call = {"prompt": prompt} if prompt else {}
        if tokens:
            call["max_new_tokens"] = tokens
        cases.append({"task": "image-to-text", "model": str(v4_folder(model)), "inputs": image(picture(name)),
                      "call": call})
    return list(zip(V4_CASES, runs, run_v4(cases)))


@pytest.mark.v4
def test_captions_equal_4x(against_v4):
    lengths = set()
    for case, result, v4 in against_v4:
        [ours] = result.output
        assert [{"generated_text": ours["generated_text"]}] == v4, case
        assert ours["input_text"] == case[1]
        lengths.add(len(ours["generated_text"]))
        assert "4.57.6" in result.code
    assert len(lengths) > 3  # the cases are not all the same caption


def test_default_length_is_the_4x_pipelines():
    """0 = 4.57.6's image-to-text default: the model's max_new_tokens, its max_length unless it is 20, else 256."""
    assert length_kwargs(9, {"max_new_tokens": 40}) == {"max_new_tokens": 9}
    assert length_kwargs(0, {"max_length": 20}) == {"max_new_tokens": 256}
    assert length_kwargs(0, {}) == {"max_new_tokens": 256}
    assert length_kwargs(0, {"max_length": 40}) == {"generate_kwargs": {"max_length": 40}}
    assert length_kwargs(0, {"max_length": 40, "max_new_tokens": 30}) == {"max_new_tokens": 30}


def test_transformers_names_and_bounds(manager, tiny):
    model = str(tiny["blip-caption"])
    [out] = manager.run(CAPTION, model, {"images": CAT, "prompt": "a picture of"}, {"max_new_tokens": 3}).output
    assert out["input_text"] == "a picture of"
    for inputs, params, key in (({"image": CAT}, {"max_new_tokens": 257}, "bad_param"),
                                ({"image": CAT}, {"max_new_tokens": -1}, "bad_param"),
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
