"""Token classification, question answering, zero-shot classification, table QA and fill-mask on tiny random
models (structure only), QA's span decoding on hand-made logits (real values), the API, the CLI, the shown
code and the browser."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys

import pytest

from core.errors import UserError
from core.ui import jsonable
from demos.text import extraction as X
from tests.conftest import ROOT

NER_SENTENCE = "Hugging Face is a French company based in New York City."
NOTES_QUESTION, NOTES_CONTEXT = X.NOTES_QA
LONG = " ".join(["Hugging Face is a French company based in New York City."] * 30)  # ~750 tokens
MODELS = {"token-classification": "bert-tokcls", "question-answering": "bert-qa",
          "zero-shot-classification": "bert-nli", "table-question-answering": "tapas", "fill-mask": "roberta-mlm"}
TASKS = {task.id: task for task, _ in X.TASKS}


def run(manager, tiny, task_id, inputs, **params):
    task = TASKS[task_id]
    return manager.run(task, str(tiny[MODELS[task_id]]), inputs, {**task.params, **params})


def loaded(manager, tiny, task_id):
    entry, _ = manager.get(TASKS[task_id].loader, str(tiny[MODELS[task_id]]))
    return entry.obj


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


# ---- token-classification -----------------------------------------------------------------------------
def test_ner_entities_point_into_the_text(manager, tiny):
    out = run(manager, tiny, "token-classification", {"text": NER_SENTENCE}, ignore_labels="").output
    assert out and all(set(e) == {"entity_group", "score", "word", "start", "end"} for e in out)
    assert {e["entity_group"] for e in out} <= {"O", "PER", "ORG", "LOC", "MISC"}
    for e in out:
        assert 0 <= e["start"] < e["end"] <= len(NER_SENTENCE) and 0 <= float(e["score"]) <= 1
    # nothing ignored: the groups cover every word of the sentence
    covered = "".join(NER_SENTENCE[e["start"]:e["end"]] for e in out).replace(" ", "")
    assert covered == NER_SENTENCE.replace(" ", "")


def test_ner_none_tags_tokens_and_ignores_o(manager, tiny):
    out = run(manager, tiny, "token-classification", {"text": NER_SENTENCE + "\nMy name is Sarah."},
              aggregation_strategy="none", batch_size=2).output
    assert isinstance(out, list) and len(out) == 2
    for tokens in out:
        for t in tokens:
            assert {"entity", "index", "word", "start", "end", "score"} <= set(t) and t["entity"] != "O"
            assert re.fullmatch(r"[BI]-(PER|ORG|LOC|MISC)", t["entity"])


def test_ner_reads_a_long_text_whole_with_stride_and_notes_it(manager, tiny):
    """stride > 0: tags reach the end of a text longer than the model's 512 tokens; stride 0: they stop early."""
    whole = run(manager, tiny, "token-classification", {"text": LONG}, ignore_labels="").output
    cut = run(manager, tiny, "token-classification", {"text": LONG}, ignore_labels="", stride=0).output
    assert max(e["end"] for e in whole) == len(LONG)
    assert max(e["end"] for e in cut) < len(LONG) * 0.8
    pipe = loaded(manager, tiny, "token-classification")
    assert "overlapping windows (stride=32)" in X.note_token_classification(pipe, {"text": LONG}, X.TOKEN_PARAMS)
    assert "truncated" in X.note_token_classification(pipe, {"text": LONG}, {**X.TOKEN_PARAMS, "stride": 0})
    assert X.note_token_classification(pipe, {"text": NER_SENTENCE}, X.TOKEN_PARAMS) == ""


def test_ner_bad_parameters_are_one_line(manager, tiny):
    with pytest.raises(UserError, match="aggregation_strategy"):
        run(manager, tiny, "token-classification", {"text": NER_SENTENCE}, aggregation_strategy="longest")
    with pytest.raises(UserError, match="stride"):
        run(manager, tiny, "token-classification", {"text": NER_SENTENCE}, stride=600)
    with pytest.raises(UserError, match="empty"):
        run(manager, tiny, "token-classification", {"text": "  \n "})


# ---- question-answering ----------------------------------------------------------------------------------
def test_best_spans_decodes_like_the_4x_pipeline():
    """Real values on hand-made logits: the best span, the max_answer_len limit, context-only spans, no-answer."""
    import torch

    start = torch.full((8,), -10.0)
    end = torch.full((8,), -10.0)
    start[3], end[5] = 5.0, 5.0  # the span 3..5
    start[1], end[1] = 9.0, 9.0  # a stronger span on a question token: not allowed
    in_context = torch.tensor([False, False, False, True, True, True, True, False])
    spans, no_answer = X.best_spans(start, end, in_context, top_k=1, max_answer_len=15)
    (s, e, score), = spans
    # softmax over [CLS] and the 4 context tokens
    p = torch.exp(torch.tensor(5.0)) / (torch.exp(torch.tensor(5.0)) + 4 * torch.exp(torch.tensor(-10.0)))
    assert (s, e) == (3, 5) and score == pytest.approx(p.item() ** 2, rel=1e-5)
    assert 0 < no_answer < 1e-6
    spans, _ = X.best_spans(start, end, in_context, top_k=1, max_answer_len=2)
    assert spans[0][1] - spans[0][0] < 2  # a 3-token span is too long now
    spans, _ = X.best_spans(start, end, in_context, top_k=50, max_answer_len=15)
    assert all(3 <= s <= e <= 6 for s, e, _ in spans) and len(spans) == 10  # 4+3+2+1 spans in the context
    assert [sc for _, _, sc in spans] == sorted((sc for _, _, sc in spans), reverse=True)


def test_qa_answers_are_spans_of_the_context(manager, tiny):
    out = run(manager, tiny, "question-answering", {"question": NOTES_QUESTION, "context": NOTES_CONTEXT},
              top_k=3).output
    assert 1 <= len(out) <= 3
    for a in out:
        assert set(a) == {"score", "start", "end", "answer"} and 0 < a["score"] <= 1
        assert a["answer"] == NOTES_CONTEXT[a["start"]:a["end"]] and a["answer"]
        # widened to whole words, as the 4.x pipeline did
        assert a["start"] == 0 or NOTES_CONTEXT[a["start"] - 1] in " /"
    assert [a["score"] for a in out] == sorted((a["score"] for a in out), reverse=True)


def test_qa_several_questions_long_context_and_no_answer(manager, tiny):
    out = run(manager, tiny, "question-answering", {"question": "Where is it based?\nWhat is it?", "context": LONG},
              top_k=2, handle_impossible_answer=True, max_seq_len=128, doc_stride=32, batch_size=4).output
    assert len(out) == 2
    for answers in out:
        assert 1 <= len(answers) <= 2
        assert all(a["answer"] == LONG[a["start"]:a["end"]] for a in answers)
    bundle = loaded(manager, tiny, "question-answering")
    note = X.note_question_answering(bundle, {"question": "What?", "context": LONG},
                                     {**X.QA_PARAMS, "max_seq_len": 128, "doc_stride": 32})
    assert re.search(r"read in \d+ overlapping windows \(doc_stride=32\)", note)
    windows = X.qa_windows(bundle.model, bundle.processor, ["What?"], LONG, 128, 32)
    assert len(windows["input_ids"]) > 5  # the whole context is read, not just its start
    # handle_impossible_answer: "no answer" is a candidate with a probability
    out = run(manager, tiny, "question-answering", {"question": NOTES_QUESTION, "context": NOTES_CONTEXT},
              top_k=20, handle_impossible_answer=True).output
    assert [a for a in out if a["answer"] == "" and a["start"] == a["end"] == 0]


def test_qa_too_long_question_and_empty_context_are_one_line(manager, tiny):
    with pytest.raises(UserError, match="question"):
        run(manager, tiny, "question-answering", {"question": LONG, "context": NOTES_CONTEXT})
    with pytest.raises(UserError, match="Context"):
        run(manager, tiny, "question-answering", {"question": NOTES_QUESTION, "context": " "})


def test_qa_4x_one_liner_really_raises_key_error(tiny):
    from transformers import pipeline

    with pytest.raises(KeyError):
        pipeline("question-answering", model=str(tiny["bert-qa"]))


# ---- zero-shot-classification ------------------------------------------------------------------------------
def test_zero_shot_scores_every_candidate(manager, tiny):
    out = run(manager, tiny, "zero-shot-classification",
              {"text": "I love this movie.", "candidate_labels": "positive, negative, neutral"}).output
    assert out["sequence"] == "I love this movie."
    assert sorted(out["labels"]) == ["negative", "neutral", "positive"]
    assert sum(out["scores"]) == pytest.approx(1.0, abs=1e-4) and out["scores"] == sorted(out["scores"], reverse=True)
    many = run(manager, tiny, "zero-shot-classification", {"text": "a\nb\nc", "candidate_labels": ["x", "y"]},
               multi_label=True, batch_size=2).output
    assert [r["sequence"] for r in many] == ["a", "b", "c"]
    assert all(0 <= s <= 1 for r in many for s in r["scores"])
    with pytest.raises(UserError, match="hypothesis_template"):
        run(manager, tiny, "zero-shot-classification", {"text": "a", "candidate_labels": "x"},
            hypothesis_template="no placeholder")
    with pytest.raises(UserError, match="Candidate labels"):
        run(manager, tiny, "zero-shot-classification", {"text": "a", "candidate_labels": " , "})


def test_zero_shot_long_text_note(manager, tiny):
    pipe = loaded(manager, tiny, "zero-shot-classification")
    inputs = {"text": f"short\n{LONG}", "candidate_labels": "a, b"}
    assert run(manager, tiny, "zero-shot-classification", inputs).output[1]["sequence"] == LONG
    assert X.note_zero_shot_classification(pipe, inputs, X.ZERO_SHOT_PARAMS).startswith("⚠️ Line 2 ")


# ---- table-question-answering ---------------------------------------------------------------------------
def test_table_qa_answer_points_at_cells(manager, tiny):
    out = run(manager, tiny, "table-question-answering",
              {"query": "How many stars does the transformers repository have?", "table": X.NOTES_TABLE}).output
    assert set(out) == {"answer", "coordinates", "cells", "aggregator"}
    assert out["aggregator"] in ("NONE", "SUM", "AVERAGE", "COUNT")
    columns = list(X.NOTES_TABLE)
    assert out["cells"] == [X.NOTES_TABLE[columns[c]][r] for r, c in out["coordinates"]]
    many = run(manager, tiny, "table-question-answering",
               {"query": "How many stars?\nWhich language?", "table": "a,b\n1,2\n3,4\n"}).output
    assert isinstance(many, list) and len(many) == 2


def test_table_inputs_every_shape_as_strings(tmp_path):
    import pandas as pd

    expected = {"a": ["1", "x"], "b": ["2.5", ""]}
    csv = tmp_path / "t.csv"
    csv.write_text("a,b\n1,2.5\nx,\n,\n", encoding="utf-8")
    for value in (pd.DataFrame({"a": [1, "x"], "b": [2.5, None]}), {"headers": ["a", "b"], "data": [[1, 2.5], ["x", None]]},
                  "a,b\n1,2.5\nx,\n", str(csv), [{"a": 1, "b": 2.5}, {"a": "x", "b": None}]):
        assert X.table_of(value) == expected, value
    for bad, what in (("", "empty"), ("a,b\n", "empty"), ({"headers": ["a", "a"], "data": [["1", "2"]]}, "headers"),
                      (str(tmp_path / "missing.csv"), "no such file")):
        with pytest.raises(UserError, match=what):
            X.table_of(bad)


def test_csv_upload_fills_the_table_editor_with_text_cells(tmp_path):
    import gradio as gr

    csv = tmp_path / "repos.csv"
    csv.write_text("\ufeffRepository;Stars\nTransformers;36542\nDatasets;4512\n", encoding="utf-8")
    frame = X.read_csv_upload(str(csv))
    assert list(frame.columns) == ["Repository", "Stars"] and frame["Stars"].tolist() == ["36542", "4512"]
    with pytest.raises(gr.Error, match="Table"):
        X.read_csv_upload(str(tmp_path / "nothing.csv"))


def test_table_too_large_and_dropped_rows_note(manager, tiny):
    rows = 200
    big = {"city": [f"city {i}" for i in range(rows)], "people": [str(i * 1000) for i in range(rows)]}
    pipe = loaded(manager, tiny, "table-question-answering")
    note = X.note_table_question_answering(pipe, {"query": "How many people?", "table": big}, {})
    assert re.search(rf"only its first \d+ of {rows} rows were used", note)
    assert run(manager, tiny, "table-question-answering", {"query": "How many people?", "table": big}).output
    huge = {"n": [str(i) for i in range(300)]}
    with pytest.raises(UserError, match="at most 255 rows"):
        run(manager, tiny, "table-question-answering", {"query": "How many?", "table": huge})


# ---- fill-mask -------------------------------------------------------------------------------------------
def test_fill_mask_candidates_fill_the_sentence(manager, tiny):
    text = "The goal of life is <mask>."
    out = run(manager, tiny, "fill-mask", {"text": text}, top_k=3).output
    assert len(out) == 3 and [c["score"] for c in out] == sorted((c["score"] for c in out), reverse=True)
    for c in out:
        assert set(c) == {"score", "token", "token_str", "sequence"} and "<mask>" not in c["sequence"]
        assert c["sequence"].startswith("The goal of life is") and c["sequence"].endswith(".")
    two = run(manager, tiny, "fill-mask", {"text": f"{text}\nParis is the <mask> of France."}, top_k=2,
              batch_size=2).output
    assert len(two) == 2 and all(len(c) == 2 for c in two)
    targets = run(manager, tiny, "fill-mask", {"text": text}, top_k=5, targets="Paris, London").output
    assert len(targets) == 2  # top_k is capped by the number of targets


def test_fill_mask_mask_errors_and_long_text(manager, tiny):
    with pytest.raises(UserError, match=r"mask token <mask> exactly once \(\[MASK\] is another model's\)"):
        run(manager, tiny, "fill-mask", {"text": "Paris is the [MASK] of France."})
    with pytest.raises(UserError, match="found 2"):
        run(manager, tiny, "fill-mask", {"text": "<mask> and <mask>"})
    with pytest.raises(UserError, match="move <mask> nearer the start"):
        run(manager, tiny, "fill-mask", {"text": LONG + " <mask>."})
    long = "The goal of life is <mask>. " + LONG
    assert len(run(manager, tiny, "fill-mask", {"text": long}, top_k=2).output) == 2  # cut, not a crash
    assert "truncated" in X.note_fill_mask(loaded(manager, tiny, "fill-mask"), {"text": long}, X.FILL_PARAMS)


def test_mask_token_lookup_is_the_models_own(manager, tiny):
    from types import SimpleNamespace

    assert X.mask_token_from_files(tiny["roberta-mlm"]) == "<mask>"
    assert X.mask_token_from_files(tiny["bert-tokcls"]) == "[MASK]"
    assert X.initial_mask_token(str(tiny["roberta-mlm"])) == "<mask>"
    assert X.initial_mask_token("nobody/not-cached") == ""
    lookup = X.mask_token_lookup(SimpleNamespace(models=manager))
    assert lookup(str(tiny["roberta-mlm"])) == "<mask>"
    assert lookup("/no/such/folder") == ""


# ---- the shown code --------------------------------------------------------------------------------------
CODE_CASES = [
    ("token-classification", {"text": NER_SENTENCE}, {}),
    ("token-classification", {"text": f"{NER_SENTENCE}\nMy name is Sarah."},
     {"aggregation_strategy": "none", "batch_size": 2}),
    ("question-answering", {"question": NOTES_QUESTION, "context": NOTES_CONTEXT}, {"top_k": 2}),
    ("question-answering", {"question": "Where?\nWho?", "context": LONG},
     {"max_seq_len": 96, "doc_stride": 24, "handle_impossible_answer": True}),
    ("zero-shot-classification", {"text": "I love it.\nI hate it.", "candidate_labels": "good, bad"},
     {"multi_label": True, "batch_size": 2}),
    ("table-question-answering", {"query": "How many stars does the transformers repository have?",
                                  "table": X.NOTES_TABLE}, {}),
    ("fill-mask", {"text": "The goal of life is <mask>."}, {"top_k": 3}),
]


@pytest.mark.parametrize("task_id,inputs,params", CODE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CODE_CASES)])
def test_the_shown_code_prints_the_apps_result(manager, tiny, task_id, inputs, params):
    result = run(manager, tiny, task_id, inputs, **params)
    printed, stdout = printed_by(result.code)
    if task_id == "question-answering" and len(inputs["question"].splitlines()) == 1:
        printed = printed[0]  # the snippet prints result[0] for one question
    assert close(jsonable(printed), jsonable(result.output)), (printed, result.output)
    assert stdout.strip()


def test_qa_code_is_the_autoclass_code_with_the_keyerror_note(manager, tiny):
    code = run(manager, tiny, "question-answering", {"question": NOTES_QUESTION, "context": NOTES_CONTEXT}).code
    assert 'pipeline("question-answering")' in code and "KeyError" in code
    assert "AutoModelForQuestionAnswering.from_pretrained(" in code
    assert "def best_spans(" in code and "def answer_questions(" in code and "import pipeline" not in code


# ---- through the server ------------------------------------------------------------------------------------
def value_of(output):
    """An output's value: components updated with gr.update(...) come back as {"value": ..., other props}."""
    return output["value"] if isinstance(output, dict) and "value" in output else output


def test_api_endpoints(client, tiny):
    ner = client.predict(text=NER_SENTENCE, aggregation_strategy="simple", ignore_labels="O", stride=32, batch_size=1,
                         model=str(tiny["bert-tokcls"]), api_name="/token_classification")
    highlight, table, raw, code, details = map(value_of, ner)
    assert "".join(h["token"] for h in highlight) == NER_SENTENCE
    assert len(table["data"]) == len(raw) and details["task"] == "token-classification"

    qa = client.predict(question=NOTES_QUESTION, context=NOTES_CONTEXT, top_k=2, max_answer_len=15,
                        handle_impossible_answer=False, max_seq_len=384, doc_stride=128, batch_size=8,
                        model=str(tiny["bert-qa"]), api_name="/question_answering")
    answer, highlight, table, raw, code, details = map(value_of, qa)
    assert answer == raw[0]["answer"] and "".join(h["token"] for h in highlight) == NOTES_CONTEXT
    assert [h["class_or_confidence"] for h in highlight if h["class_or_confidence"]] == ["answer"]
    assert "AutoModelForQuestionAnswering" in code and details["model_class"] == "BertForQuestionAnswering"

    zs = client.predict(text="I love it.\nI hate it.", candidate_labels="good, bad", hypothesis_template="It is {}.",
                        multi_label=False, batch_size=2, model=str(tiny["bert-nli"]),
                        api_name="/zero_shot_classification")
    label, table, raw, code, details = map(value_of, zs)
    assert {c["label"] for c in label["confidences"]} == {"good", "bad"} and len(table["data"]) == 2

    tq = client.predict(query="How many stars?", table={"headers": list(X.NOTES_TABLE),
                                                        "data": [list(r) for r in zip(*X.NOTES_TABLE.values())]},
                        sequential=False, model=str(tiny["tapas"]), api_name="/table_question_answering")
    answer, aggregator, cells, per_query, raw, code, details = map(value_of, tq)
    assert aggregator == raw["aggregator"] and cells["headers"] == list(X.NOTES_TABLE)
    styled = {(r, c) for r, row in enumerate(cells["metadata"]["styling"]) for c, css in enumerate(row) if css}
    assert styled == {tuple(rc) for rc in raw["coordinates"]}

    fm = client.predict(text="The goal of life is <mask>.", top_k=3, targets="", batch_size=1,
                        model=str(tiny["roberta-mlm"]), api_name="/fill_mask")
    label, table, raw, code, details = map(value_of, fm)
    assert len(label["confidences"]) <= 3 and [row[2] for row in table["data"]] == [c["sequence"] for c in raw]


def test_api_error_is_one_line(client, tiny):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="mask token <mask> exactly once"):
        client.predict(text="no mask", top_k=3, targets="", batch_size=1, model=str(tiny["roberta-mlm"]),
                       api_name="/fill_mask")


# ---- CLI --------------------------------------------------------------------------------------------------
def cli(*args):
    env = dict(os.environ, PLAYGROUND_NO_WARMUP="1")
    return subprocess.run([sys.executable, "app.py", "run", *args, "--offline"], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=300)


def test_cli_ner_alias_and_a_clean_failure(tiny):
    out = cli("ner", NER_SENTENCE, "--model", str(tiny["bert-tokcls"]), "--param", "ignore_labels=",
              "--param", "aggregation_strategy=first")
    assert out.returncode == 0, out.stderr
    entities = json.loads(out.stdout)
    assert entities and all({"entity_group", "start", "end"} <= set(e) for e in entities)
    bad = cli("question-answering", NOTES_QUESTION, "--model", str(tiny["bert-qa"]), "--param", "top_k=two")
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "error: Invalid value for top_k: invalid literal for int() with base 10: 'two'"]


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


BROWSER = {  # api name: (sub-tab, example text to click, the input it fills, tiny model)
    "token_classification": ("Token classification (NER)", NER_SENTENCE, "text", "bert-tokcls"),
    "question_answering": ("Question answering", NOTES_QUESTION, "question", "bert-qa"),
    "zero_shot_classification": ("Zero-shot classification", "The team scored in the last minute", "text",
                                 "bert-nli"),
    "table_question_answering": ("Table question answering", "How many stars does the transformers", "query",
                                 "tapas"),
    "fill_mask": ("Fill mask", "Hugging Face is a community-based open-source <mask>", "text", "roberta-mlm"),
}


@pytest.mark.browser
@pytest.mark.parametrize("api_name", list(BROWSER))
def test_browser_example_run(page, base_url, tiny, shoot, api_name):
    from playwright.sync_api import expect

    title, example, field, model_name = BROWSER[api_name]
    tab = open_task(page, base_url, title, api_name)
    tab.get_by_text(example).first.click()
    expect(page.locator(f"#{api_name}_{field} textarea")).to_have_value(re.compile(re.escape(example)))
    pick_model(page, api_name, tiny[model_name])
    code = run_and_wait(page, tab, api_name)
    if api_name == "token_classification":
        highlight = page.locator("#token_classification_highlight")
        expect(highlight).to_contain_text("Hugging")
        expect(highlight.get_by_role("button", name=re.compile("^(PER|ORG|LOC|MISC)$")).first).to_be_visible()
        expect(page.locator("#token_classification_table [role=row]").nth(1)).to_be_visible()
    elif api_name == "question_answering":
        expect(page.locator("#question_answering_answer textarea")).not_to_have_value("")
        highlight = page.locator("#question_answering_highlight")
        expect(highlight).to_contain_text("The name of")  # the context, with the answer marked in it
        expect(highlight).to_contain_text("answer")
        expect(code).to_contain_text("raises KeyError")
    elif api_name == "zero_shot_classification":
        expect(page.locator("#zero_shot_classification_label")).to_contain_text("sports")
        expect(page.locator("#zero_shot_classification_table [role=row]")).to_have_count(3)
    elif api_name == "table_question_answering":
        expect(page.locator("#table_question_answering_aggregator textarea")).to_have_value(
            re.compile("NONE|SUM|AVERAGE|COUNT"))
        expect(page.locator("#table_question_answering_cells")).to_contain_text("Transformers")
    else:
        expect(page.locator("#fill_mask_label")).to_contain_text("%")
        expect(page.locator("#fill_mask_table")).to_contain_text("for machine learning.")
    shoot(page, f"text_{api_name}")


@pytest.mark.browser
def test_browser_fill_mask_inserts_the_models_mask_token(page, base_url, tiny, shoot):
    from playwright.sync_api import expect

    open_task(page, base_url, "Fill mask", "fill_mask")
    pick_model(page, "fill_mask", tiny["bert-tokcls"])  # a BERT vocabulary: its mask token is [MASK]
    expect(page.locator("#fill_mask_token textarea")).to_have_value("[MASK]", timeout=30_000)
    pick_model(page, "fill_mask", tiny["roberta-mlm"])
    expect(page.locator("#fill_mask_token textarea")).to_have_value("<mask>", timeout=30_000)
    text = page.locator("#fill_mask_text textarea")
    text.fill("Paris is the capital of France.")
    text.evaluate("el => el.setSelectionRange(13, 13)")  # the cursor before "capital"
    page.locator("#fill_mask_insert").click()
    expect(text).to_have_value("Paris is the <mask> capital of France.")


@pytest.mark.browser
def test_browser_long_text_note(page, base_url, tiny, shoot):
    from playwright.sync_api import expect

    open_task(page, base_url, "Token classification (NER)", "token_classification")
    page.locator("#token_classification_text textarea").fill(LONG)
    pick_model(page, "token_classification", tiny["bert-tokcls"])
    run_and_wait(page, page.locator("#task_token_classification"), "token_classification")
    expect(page.locator("#token_classification_note")).to_contain_text("overlapping windows", timeout=60_000)
    shoot(page, "text_token_classification_long")


def test_used_cells_are_highlighted_in_the_drawn_table():
    import gradio as gr

    drawn = gr.Dataframe(interactive=False).postprocess(X.styled_table(X.NOTES_TABLE, [(0, 1), (2, 1)]))
    styled = {(r, c) for r, row in enumerate(drawn.metadata["styling"]) for c, css in enumerate(row) if css}
    assert styled == {(0, 1), (2, 1)} and drawn.headers == list(X.NOTES_TABLE)
