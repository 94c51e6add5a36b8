"""Visual QA on tiny random models (ViLT classifies, BLIP generates; structure only): scored answers, the
shown AutoClass code executed and compared, the bounds, the live server and a broken upload in the CLI;
against transformers 4.57.6's visual-question-answering pipeline (ViLT's top_k answers and scores, BLIP's
greedy answer)."""

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
from demos.multimodal.visual_question_answering import TASK, answer_length
from tests.v4 import image, run_v4, v4_folder

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


# (model, image, question, top_k)
V4_CASES = (
    ("vilt-vqa", "chelsea", "What animal is this?", 1),
    ("vilt-vqa", "chelsea", "What animal is this?", 3),
    ("vilt-vqa", "astronaut", "Is the person smiling?", 5),  # every answer of the list
    ("vilt-vqa", "coffee", "What is in the cup?", 10),  # more than the 5 answers: all of them
    ("vilt-vqa", "astronaut", "How many people are in this photo and what color is the sky?", 2),
    ("blip-vqa", "chelsea", "What animal is this?", 1),
    ("blip-vqa", "astronaut", "Is the person smiling?", 1),
    ("blip-vqa", "coffee", "what is in the cup", 1),
    ("blip-vqa", "chelsea", "How many cats are in the picture?", 1),
)


@pytest.fixture(scope="module")
def against_v4(manager, tiny):
    """[(case, the app's answers, 4.57.6's answers)], all cases in one 4.x call."""
    runs, cases = [], []
    for name, picture_name, question, top_k in V4_CASES:
        inputs = {"image": picture(picture_name), "question": question}
        runs.append(manager.run(VQA, str(tiny[name]), inputs, {"top_k": top_k}))
        cases.append({"task": "visual-question-answering", "model": str(v4_folder(tiny[name])),
                      "inputs": image(picture(picture_name)), "call": {"question": question, "top_k": top_k}})
    return list(zip(V4_CASES, runs, run_v4(cases)))


@pytest.mark.v4
def test_vilt_answers_and_scores_equal_4x(against_v4):
    for case, result, v4 in against_v4:
        if case[0] != "vilt-vqa":
            continue
        assert [a["answer"] for a in result.output] == [a["answer"] for a in v4], case
        assert len(v4) == min(case[3], 5)
        for ours, theirs in zip(result.output, v4):
            assert ours["score"] == pytest.approx(theirs["score"], rel=1e-4, abs=1e-5), case
        assert "matches transformers 4.57.6's visual-question-answering pipeline" in result.code


@pytest.mark.v4
def test_blip_answer_equals_4x(against_v4):
    answers = set()
    for case, result, v4 in against_v4:
        if case[0] != "blip-vqa":
            continue
        [ours] = result.output
        assert [{"answer": ours["answer"]}] == v4, case  # 4.x gives BLIP's answer without a score
        assert 0 <= ours["score"] <= 1
        answers.add(ours["answer"])
        assert "max_new_tokens=256" in result.code and "4.57.6" in result.code
    assert len(answers) > 1  # the answers depend on the input


def test_blip_answer_length_is_the_4x_pipelines():
    assert answer_length({"max_length": 20}) == {"max_new_tokens": 256}
    assert answer_length({"max_length": 12}) == {"max_length": 12}
    assert answer_length({"max_new_tokens": 8, "max_length": 12}) == {"max_new_tokens": 8}


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
