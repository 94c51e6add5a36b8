"""Question answering on a tiny random model (structure only) and its span decoding on hand-made logits (real
values): answers as spans of the context, several questions, long contexts in windows with their note, bounds,
the shown AutoClass code, the API, the CLI and the browser."""

from __future__ import annotations

import re

import pytest

from core.errors import UserError
from core.jsonable import jsonable
from demos.text import question_answering as QA
from demos.text.question_answering import TASK
from tests.text_reading import LONG, cli, close, example_run, note_texts, printed_by, value_of

NOTES_QUESTION, NOTES_CONTEXT = QA.NOTES_QA


def run(manager, tiny, inputs, **params):
    return manager.run(TASK, str(tiny["bert-qa"]), inputs, {**TASK.defaults(), **params})


def loaded(manager, tiny):
    entry, _ = manager.get(TASK.loader, str(tiny["bert-qa"]))
    return entry.obj


def test_best_spans_decodes_like_the_4x_pipeline():
    """Real values on hand-made logits: the best span, the max_answer_len limit, context-only spans, no-answer."""
    import torch

    start = torch.full((8,), -10.0)
    end = torch.full((8,), -10.0)
    start[3], end[5] = 5.0, 5.0  # the span 3..5
    start[1], end[1] = 9.0, 9.0  # a stronger span on a question token: not allowed
    in_context = torch.tensor([False, False, False, True, True, True, True, False])
    spans, no_answer = QA.best_spans(start, end, in_context, top_k=1, max_answer_len=15)
    (s, e, score), = spans
    # softmax over [CLS] and the 4 context tokens
    p = torch.exp(torch.tensor(5.0)) / (torch.exp(torch.tensor(5.0)) + 4 * torch.exp(torch.tensor(-10.0)))
    assert (s, e) == (3, 5) and score == pytest.approx(p.item() ** 2, rel=1e-5)
    assert 0 < no_answer < 1e-6
    spans, _ = QA.best_spans(start, end, in_context, top_k=1, max_answer_len=2)
    assert spans[0][1] - spans[0][0] < 2  # a 3-token span is too long now
    spans, _ = QA.best_spans(start, end, in_context, top_k=50, max_answer_len=15)
    assert all(3 <= s <= e <= 6 for s, e, _ in spans) and len(spans) == 10  # 4+3+2+1 spans in the context
    assert [sc for _, _, sc in spans] == sorted((sc for _, _, sc in spans), reverse=True)


def test_qa_answers_are_spans_of_the_context(manager, tiny):
    out = run(manager, tiny, {"question": NOTES_QUESTION, "context": NOTES_CONTEXT}, top_k=3).output
    assert 1 <= len(out) <= 3
    for a in out:
        assert set(a) == {"score", "start", "end", "answer"} and 0 < a["score"] <= 1
        assert a["answer"] == NOTES_CONTEXT[a["start"]:a["end"]] and a["answer"]
        # widened to whole words, as the 4.x pipeline did
        assert a["start"] == 0 or NOTES_CONTEXT[a["start"] - 1] in " /"
    assert [a["score"] for a in out] == sorted((a["score"] for a in out), reverse=True)


def test_qa_several_questions_long_context_and_no_answer(manager, tiny):
    out = run(manager, tiny, {"question": "Where is it based?\nWhat is it?", "context": LONG},
              top_k=2, handle_impossible_answer=True, max_seq_len=128, doc_stride=32, batch_size=4).output
    assert len(out) == 2
    for answers in out:
        assert 1 <= len(answers) <= 2
        assert all(a["answer"] == LONG[a["start"]:a["end"]] for a in answers)
    bundle = loaded(manager, tiny)
    result = run(manager, tiny, {"question": "What?", "context": LONG}, max_seq_len=128, doc_stride=32)
    assert re.search(r"read in \d+ overlapping windows \(doc_stride=32\)", note_texts(result))
    windows = QA.qa_windows(bundle.model, bundle.processor, ["What?"], LONG, 128, 32)
    assert len(windows["input_ids"]) > 5  # the whole context is read, not just its start
    assert f"read in {len(windows['input_ids'])} overlapping windows" in note_texts(result)
    # handle_impossible_answer: "no answer" is a candidate with a probability
    out = run(manager, tiny, {"question": NOTES_QUESTION, "context": NOTES_CONTEXT},
              top_k=20, handle_impossible_answer=True).output
    assert [a for a in out if a["answer"] == "" and a["start"] == a["end"] == 0]


def test_qa_short_context_has_no_note_and_the_context_is_tokenized_once(manager, tiny, monkeypatch):
    calls = []
    original = QA.qa_windows
    monkeypatch.setattr(QA, "qa_windows", lambda *a, **k: calls.append(1) or original(*a, **k))
    result = run(manager, tiny, {"question": NOTES_QUESTION, "context": NOTES_CONTEXT})
    assert result.notes == () and calls == [1]
    assert result.facts["context"] == NOTES_CONTEXT


def test_qa_too_long_question_and_empty_context_are_one_line(manager, tiny):
    with pytest.raises(UserError, match="question"):
        run(manager, tiny, {"question": LONG, "context": NOTES_CONTEXT})
    with pytest.raises(UserError, match="Context"):
        run(manager, tiny, {"question": NOTES_QUESTION, "context": " "})


@pytest.mark.parametrize("params", [
    {"top_k": 0}, {"top_k": 21}, {"max_answer_len": 0}, {"max_answer_len": 101}, {"max_seq_len": 31},
    {"max_seq_len": 1025}, {"doc_stride": -1}, {"doc_stride": 513}, {"batch_size": 0}, {"batch_size": 33},
    {"max_seq_len": float("inf")}, {"handle_impossible_answer": "maybe"},
])
def test_qa_parameter_bounds(manager, tiny, params):
    with pytest.raises(UserError) as err:
        run(manager, tiny, {"question": NOTES_QUESTION, "context": NOTES_CONTEXT}, **params)
    assert err.value.key == "bad_param" and next(iter(params)) in str(err.value)


def test_qa_input_bounds(manager, tiny):
    """A 2 MB context took minutes: the context, the questions and the windows they make are capped."""
    for inputs, detail in (
        ({"question": NOTES_QUESTION, "context": "a " * 25_001}, "at most 50,000"),
        ({"question": "\n".join(["What?"] * 33), "context": NOTES_CONTEXT}, "33 lines"),
        ({"question": "What?", "context": " ".join([LONG] * 20)}, f"at most {QA.MAX_WINDOWS}"),
    ):
        with pytest.raises(UserError) as err:
            run(manager, tiny, inputs, max_seq_len=32, doc_stride=0)
        assert err.value.key == "too_large" and detail in str(err.value)


def test_qa_4x_one_liner_really_raises_key_error(tiny):
    from transformers import pipeline

    with pytest.raises(KeyError):
        pipeline("question-answering", model=str(tiny["bert-qa"]))


CODE_CASES = [
    ({"question": NOTES_QUESTION, "context": NOTES_CONTEXT}, {"top_k": 2}),
    ({"question": "Where?\nWho?", "context": LONG}, {"max_seq_len": 96, "doc_stride": 24, "handle_impossible_answer": True}),
]


@pytest.mark.parametrize("inputs,params", CODE_CASES, ids=["one", "two-long"])
def test_the_shown_code_prints_the_apps_result(manager, tiny, inputs, params):
    result = run(manager, tiny, inputs, **params)
    printed, stdout = printed_by(result.code)
    if len(inputs["question"].splitlines()) == 1:
        printed = printed[0]  # the snippet prints result[0] for one question
    assert close(jsonable(printed), jsonable(result.output)), (printed, result.output)
    assert stdout.strip()


def test_qa_code_is_the_autoclass_code_with_the_keyerror_note(manager, tiny):
    code = run(manager, tiny, {"question": NOTES_QUESTION, "context": NOTES_CONTEXT}).code
    assert 'pipeline("question-answering")' in code and "KeyError" in code
    assert "AutoModelForQuestionAnswering.from_pretrained(" in code
    assert "def best_spans(" in code and "def answer_questions(" in code and "import pipeline" not in code
    # every parameter, declared once, is passed by name with its default
    assert ("top_k=1, max_answer_len=15, handle_impossible_answer=False, max_seq_len=384, doc_stride=128, "
            "batch_size=8)") in code


def test_api_endpoint(client, tiny):
    qa = client.predict(question=NOTES_QUESTION, context=NOTES_CONTEXT, top_k=2, max_answer_len=15,
                        handle_impossible_answer=False, max_seq_len=384, doc_stride=128, batch_size=8,
                        model=str(tiny["bert-qa"]), api_name="/question_answering")
    answer, highlight, table, notes, raw, code, details = map(value_of, qa)
    assert answer == raw[0]["answer"] and "".join(h["token"] for h in highlight) == NOTES_CONTEXT
    assert [h["class_or_confidence"] for h in highlight if h["class_or_confidence"]] == ["answer"]
    assert "AutoModelForQuestionAnswering" in code and details["model_class"] == "BertForQuestionAnswering"
    assert not notes


def test_api_long_context_note(client, tiny):
    qa = client.predict(question="What?", context=LONG, top_k=1, max_answer_len=15, handle_impossible_answer=False,
                        max_seq_len=128, doc_stride=32, batch_size=8, model=str(tiny["bert-qa"]),
                        api_name="/question_answering")
    assert re.search(r"read in \d+ overlapping windows \(doc_stride=32\)", value_of(qa[3]))


def test_cli_a_clean_failure(tiny):
    bad = cli("question-answering", NOTES_QUESTION, "--model", str(tiny["bert-qa"]), "--param",
              f"context={NOTES_CONTEXT}", "--param", "top_k=two")
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "error: Invalid value for top_k: expected a whole number, got 'two'"]


@pytest.mark.browser
def test_browser_example_run(page, base_url, tiny, shoot):
    from playwright.sync_api import expect

    code = example_run(page, base_url, "Question answering", "question_answering", NOTES_QUESTION, "question",
                       tiny["bert-qa"])
    expect(page.locator("#question_answering_answer textarea")).not_to_have_value("")
    highlight = page.locator("#question_answering_highlight")
    expect(highlight).to_contain_text("The name of")  # the context, with the answer marked in it
    expect(highlight).to_contain_text("answer")
    expect(code).to_contain_text("raises KeyError")
    shoot(page, "text_question_answering")
