"""Visual QA on tiny random models (ViLT classifies, BLIP generates; structure only): scored answers, the
shown AutoClass code executed and compared, the bounds, the live server and a broken upload in the CLI."""

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
from demos.multimodal.visual_question_answering import TASK

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VQA = TASK
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


@pytest.mark.parametrize("name", ["vilt-vqa", "blip-vqa"])
def test_vqa_answers_with_scores_and_the_code_matches(manager, tiny, name):
    model = str(tiny[name])
    labels = set(json.loads((tiny[name] / "config.json").read_text()).get("id2label", {}).values())
    for top_k in (1, 3):
        result = manager.run(VQA, model, {"image": CAT, "question": "What animal is this?"}, {"top_k": top_k})
        out = result.output
        assert len(out) == top_k and all(0 <= a["score"] <= 1 and isinstance(a["answer"], str) for a in out)
        assert [a["score"] for a in out] == sorted((a["score"] for a in out), reverse=True)
        if name == "vilt-vqa":
            assert {a["answer"] for a in out} <= labels
        assert 'pipeline("visual-question-answering")' in result.code and "KeyError" in result.code
        assert ("model.generate(" in result.code) == (name == "blip-vqa")
        # random weights give near-equal scores: compare answers with scores to 1e-5, ties in any order
        def answers(items):
            return sorted((round(a["score"], 5), a["answer"]) for a in jsonable(items))

        assert answers(run_code(result.code)) == answers(out)


def test_transformers_names_and_bounds(manager, tiny):
    """`images` (the pipelines' name) is the image; top_k and the question are bounded; the image is required."""
    model = str(tiny["vilt-vqa"])
    out = manager.run(VQA, model, {"images": CAT, "question": "What is it?"}, {"top_k": 2}).output
    assert len(out) == 2
    for inputs, params, key in (({"image": CAT, "question": "q"}, {"top_k": 11}, "bad_param"),
                                ({"image": CAT, "question": "q"}, {"top_k": 1e300}, "bad_param"),
                                ({"image": CAT, "question": "q" * 2001}, {}, "too_large"),
                                ({"image": CAT, "question": " "}, {}, "empty_input"),
                                ({"image": None, "question": "q"}, {}, "empty_input")):
        with pytest.raises(UserError) as err:
            manager.run(VQA, model, inputs, params)
        assert err.value.key == key, (inputs, params)


def test_api_answers_a_question_about_a_photo(client, tiny):
    from gradio_client import handle_file

    label, notes, raw, code, details = map(value_of, client.predict(
        image=handle_file(CAT), question="What animal is this?", top_k=2, model=str(tiny["vilt-vqa"]),
        api_name="/visual_question_answering"))
    assert len(raw) == 2 and label["label"] == raw[0]["answer"] and details["model_class"] == "ViltForQuestionAnswering"


def test_cli_broken_photo_is_one_line(tiny, tiny_root, tmp_path):
    env = {**os.environ, "PLAYGROUND_NO_WARMUP": "1"}
    broken = tmp_path / "photo.jpg"
    broken.write_bytes(b"\xff\xd8\xff this is no jpeg")
    bad = subprocess.run([sys.executable, "app.py", "run", "visual-question-answering", str(broken),
                          "--model", str(tiny["vilt-vqa"]), "--offline", "--models-dir", str(tiny_root), "--param", "question=What is it?"],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=180)
    assert bad.returncode == 2
    lines = [line for line in bad.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: Image could not be read:"), bad.stderr
