"""Comparing models (core.compare): each model's output in a comparison is its own single run, the differences
data is right, the limit and bad ids answer in one line, and the CLI and API contracts hold."""

from __future__ import annotations

import difflib
import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from core.compare import compare, differences, iou, kind_of, text_of, word_diff
from core.errors import UserError
from core.jsonable import jsonable
from core.limits import Limits
from core.models import ModelManager
from core.registry import all_tasks, discover
from demos.vision.common import sample
from tests.conftest import ROOT

SENTENCE = "Hugging Face is based in New York City."


@pytest.fixture(scope="module")
def tasks():
    return {name: task for name, (_, task) in all_tasks(discover()).items()}


@pytest.fixture(scope="module")
def tone(tmp_path_factory):
    import soundfile

    path = tmp_path_factory.mktemp("compare") / "tone.wav"
    t = np.arange(16000) / 16000
    soundfile.write(str(path), (0.3 * np.sin(2 * np.pi * 440 * t) * np.linspace(0, 1, t.size)).astype(np.float32), 16000)
    return path


# task, its two tiny checkpoints, inputs (a callable for files), params
CASES = {
    "text-classification": ("bert-seqcls", "bert-seqcls-b", {"text": SENTENCE}, {"top_k": 2}),
    "token-classification": ("bert-tokcls", "bert-tokcls-b", {"text": SENTENCE}, {"aggregation_strategy": "simple"}),
    "object-detection": ("detr", "detr-b", {"image": str(sample("chelsea"))}, {"threshold": 0.0}),
    "automatic-speech-recognition": ("whisper", "wav2vec2-ctc", "tone", {}),
    "text-generation": ("gpt2", "llama-chat", {"text": "Once upon a time"}, {"max_new_tokens": 8}),
}


@pytest.mark.parametrize("task_id", list(CASES))
def test_each_models_output_in_a_comparison_equals_its_single_run(manager, tasks, tiny, tone, task_id):
    first, second, inputs, params = CASES[task_id]
    if inputs == "tone":
        inputs = {"audio": str(tone)}
    task = tasks[task_id]
    models = [str(tiny[first]), str(tiny[second])]
    compared = compare(manager, task, models, inputs, params)
    assert [c.model for c in compared] == models
    singles = [jsonable(manager.run(task, m, inputs, params).output) for m in models]
    assert [jsonable(c.result.output) for c in compared] == singles
    assert singles[0] != singles[1], "the two checkpoints must answer differently, or the test is blind"
    assert [c.result.details["model"] for c in compared] == models
    assert all(c.result.details["parameters"] > 0 for c in compared)
    found = differences([c.result.output for c in compared])
    assert found["kind"] == {"text-classification": "labels", "token-classification": "entities",
                             "object-detection": "boxes", "automatic-speech-recognition": "text",
                             "text-generation": "text"}[task_id]


def test_labels_differences_follow_the_scores(manager, tasks, tiny):
    task = tasks["text-classification"]
    outputs = [c.result.output for c in compare(manager, task, [str(tiny["bert-seqcls"]), str(tiny["bert-seqcls-b"])],
                                                   {"text": f"{SENTENCE}\nI hate rain."}, {"top_k": 2})]
    found = differences(outputs)
    assert found["kind"] == "labels" and len(found["rows"]) == 2  # one row per line of the batch
    for line, row in enumerate(found["rows"]):
        per_model = [{d["label"]: d["score"] for d in out[line]} for out in outputs]
        assert set(row["labels"]) == set().union(*per_model)
        assert row["top"] == [max(s, key=s.get) for s in per_model]
        assert row["scores"] == [[s.get(label) for s in per_model] for label in row["labels"]]
        assert row["agree"] == (len(set(row["top"])) == 1)


def test_entities_differences_say_who_found_each():
    a = [{"entity_group": "PER", "word": "john", "start": 0, "end": 4, "score": 0.9}]
    b = [{"entity_group": "PER", "word": "john", "start": 0, "end": 4, "score": 0.8},
         {"entity_group": "LOC", "word": "paris", "start": 14, "end": 19, "score": 0.7}]
    found = differences([a, b])
    assert found["kind"] == "entities"
    [row] = found["rows"]
    assert [(e["word"], e["found_by"]) for e in row["entities"]] == [("john", [True, True]), ("paris", [False, True])]
    assert not row["agree"] and differences([a, a])["rows"][0]["agree"]


def test_answers_and_boxes_differences():
    found = differences([{"answer": "Paris", "score": 0.9, "start": 0, "end": 5}, {"answer": "Lyon", "score": 0.2}])
    assert found["kind"] == "answers" and found["rows"][0]["top"] == ["Paris", "Lyon"] and not found["rows"][0]["agree"]
    box = {"xmin": 0, "ymin": 0, "xmax": 10, "ymax": 10}
    assert iou(box, box) == 1.0 and iou(box, {"xmin": 5, "ymin": 0, "xmax": 15, "ymax": 10}) == pytest.approx(1 / 3)
    cat = {"label": "cat", "score": 0.9, "box": box}
    moved = {"label": "cat", "score": 0.5, "box": {"xmin": 5, "ymin": 0, "xmax": 15, "ymax": 10}}
    dog = {"label": "dog", "score": 0.9, "box": box}
    row = differences([[cat], [cat, dog], [moved]])["rows"][0]
    assert row["counts"] == [1, 2, 1]
    assert row["matched_with_first"] == [[[0, 0, 1.0]], [[0, 0, 1.0]], []]  # same box and label only; IoU 1/3 < 0.5
    assert not row["agree"] and differences([[cat], [cat]])["rows"][0]["agree"]
    assert differences([[], [cat]])["rows"][0]["counts"] == [0, 1]  # a model that found nothing still compares
    assert differences([[], []]) == {"kind": "other", "rows": []}


@pytest.mark.parametrize("a, b", [
    ("the cat sat on the mat", "the cat sat on a mat today"),
    ("", "words from nothing"),
    ("안녕하세요 여러분 반갑습니다", "안녕하세요 반갑습니다 모두"),
    ("same words", "same words"),
])
def test_word_diff_is_difflibs_over_words(a, b):
    ops = word_diff(a, b)
    expected = difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).get_opcodes()
    assert [(o["op"], o["a"], o["b"]) for o in ops] == [
        (op, " ".join(a.split()[i1:i2]), " ".join(b.split()[j1:j2])) for op, i1, i2, j1, j2 in expected]
    assert " ".join(o["a"] for o in ops if o["a"]) == " ".join(a.split())
    assert " ".join(o["b"] for o in ops if o["b"]) == " ".join(b.split())


def test_texts_are_read_from_every_text_output():
    assert text_of({"text": "a transcript", "chunks": []}) == "a transcript"
    assert text_of([{"generated_text": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}]) == "yo"
    assert text_of([{"summary_text": "short"}]) == "short"
    assert kind_of([{"translation_text": "Bonjour"}]) == "text"
    assert kind_of({"sequence": "x", "labels": ["a", "b"], "scores": [0.6, 0.4]}) == "labels"
    assert kind_of([[0.1, 0.2]]) == "other" and differences([[[0.1]], [[0.2]]]) == {"kind": "other", "rows": []}


def test_too_many_models_and_bad_ids_answer_in_one_line_before_loading(settings, tasks, tiny):
    tight = ModelManager(replace(settings, limits=replace(Limits(), models=2)))
    task = tasks["text-classification"]
    with pytest.raises(UserError) as caught:
        compare(tight, task, [str(tiny["bert-seqcls"])] * 3, {"text": SENTENCE}, {})
    assert caught.value.key == "limit" and "--max-compare-models" in caught.value.text()
    with pytest.raises(UserError) as caught:
        compare(tight, task, [str(tiny["bert-seqcls"]), "/nowhere/model"], {"text": SENTENCE}, {})
    assert caught.value.key == "not_local" and "\n" not in caught.value.text()
    assert tight.loads == 0, "a bad id is refused before any model loads"
    with pytest.raises(UserError, match="compares its models itself"):
        compare(tight, tasks["tokenizer-compare"], [str(tiny["bert-seqcls"])] * 2, {"text": SENTENCE}, {})


def test_cli_prints_one_object_per_model_in_order(manager, tasks, tiny, tiny_root):
    models = [str(tiny["bert-seqcls-b"]), str(tiny["bert-seqcls"])]
    proc = subprocess.run(
        [sys.executable, "app.py", "run", "text-classification", SENTENCE, "--model", models[0], "--model", models[1],
         "--models-dir", str(tiny_root), "--offline"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    assert [sorted(item) for item in printed] == [["details", "model", "output"]] * 2
    assert [item["model"] for item in printed] == models
    task = tasks["text-classification"]
    assert [item["output"] for item in printed] == [jsonable(manager.run(task, m, {"text": SENTENCE}, {}).output)
                                                    for m in models]
    assert all(item["details"]["model"] == m for item, m in zip(printed, models))


def test_cli_show_steps_prints_each_models_stages(manager, tasks, tiny, capsys):
    """--show steps with several --model: one JSON list on stderr, an object per model (its name and its stages)."""
    from core.cli import run_command

    models = [str(tiny["bert-seqcls-b"]), str(tiny["bert-seqcls"])]
    assert run_command(discover(), manager, "text-classification", SENTENCE, models, [], "steps") == 0
    out, err = capsys.readouterr()
    printed = json.loads(out)
    steps = json.loads(err[("\n" + err).rfind("\n[\n"):])
    assert [s["model"] for s in steps] == models and [p["model"] for p in printed] == models
    for one in steps:
        tensors = {name for stage in one["steps"] for name in stage["tensors"]}
        assert {"input_ids", "logits"} <= tensors, one["model"]


def test_cli_refuses_a_bad_id_in_one_line(manager, tiny, capsys):
    from core.cli import run_command

    code = run_command(discover(), manager, "text-classification", SENTENCE,
                       [str(tiny["bert-seqcls"]), "not a model!"], [])
    err = capsys.readouterr()
    assert code == 2 and err.out == "" and err.err.count("\n") == 1 and err.err.startswith("error: ")


def test_api_model_2_gives_each_models_single_run(client, tiny):
    a, b = str(tiny["bert-tokcls"]), str(tiny["bert-tokcls-b"])
    call = dict(text=SENTENCE, aggregation_strategy="simple", api_name="/token_classification")
    single = [client.predict(**call, model=m) for m in (a, b)]
    both = client.predict(**call, model=a, model_2=b)
    raw = both[-3]
    assert len(both) == len(single[0]), "a comparison adds no API output (its view is drawn for the page only)"
    assert [item["model"] for item in raw] == [a, b]
    assert [item["output"] for item in raw] == [s[-3] for s in single]
    assert both[:-3] == single[0][:-3], "the first model's result fills the usual outputs"
    assert single[0][-3] != single[1][-3]


def test_a_comparison_card_draws_maps_and_heatmaps_as_svg():
    """The Embeddings views' figures (plotly JSON) drawn small in a card: a point per row, a cell per pair."""
    import re

    from core.compare_ui import plot_svg
    from demos.embeddings import plots
    from demos.embeddings.rows import Row

    rows = [Row("A cat sleeps.", "animal"), Row("A dog runs.", "animal"), Row("Soup is hot.", "food")]
    output = {"method": "pca", "dimensions": 2, "points": [[0.1, 0.2], [0.4, -0.3], [-0.5, 0.0]]}
    svg = plot_svg(plots.scatter(output, rows, "map"))
    assert svg.count("<circle") == 3 and "A dog runs." in svg and "● food" in svg
    matrix = [[1.0, 0.5, -0.2], [0.5, 1.0, 0.1], [-0.2, 0.1, 1.0]]
    svg = plot_svg(plots.heatmap(matrix, rows, "similarity"))
    assert svg.count("<rect") == 9
    assert re.search(r"fill='rgba\(33,102,172,0\.20\)'", svg)  # a negative cosine in blue, as strong as it is
    assert plot_svg(None) == "" and plot_svg({"data": [{"type": "bar", "x": [1], "y": [2]}]}) == ""
