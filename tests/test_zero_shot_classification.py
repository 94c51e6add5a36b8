"""Zero-shot classification on a tiny random NLI model (structure only): every candidate scored, batches,
the long-text note, bounds, transformers' names, the shown code, the API and the browser."""

from __future__ import annotations

import pytest

from core.errors import UserError
from core.jsonable import jsonable
from demos.text.zero_shot_classification import MAX_PAIRS, TASK
from tests.text_reading import LONG, close, example_run, printed_by, value_of


def run(manager, tiny, inputs, **params):
    return manager.run(TASK, str(tiny["bert-nli"]), inputs, {**TASK.defaults(), **params})


def test_zero_shot_scores_every_candidate(manager, tiny):
    out = run(manager, tiny, {"text": "I love this movie.", "candidate_labels": "positive, negative, neutral"}).output
    assert out["sequence"] == "I love this movie."
    assert sorted(out["labels"]) == ["negative", "neutral", "positive"]
    assert sum(out["scores"]) == pytest.approx(1.0, abs=1e-4) and out["scores"] == sorted(out["scores"], reverse=True)
    many = run(manager, tiny, {"text": "a\nb\nc", "candidate_labels": ["x", "y"]}, multi_label=True, batch_size=2).output
    assert [r["sequence"] for r in many] == ["a", "b", "c"]
    assert all(0 <= s <= 1 for r in many for s in r["scores"])
    with pytest.raises(UserError, match="hypothesis_template"):
        run(manager, tiny, {"text": "a", "candidate_labels": "x"}, hypothesis_template="no placeholder")
    with pytest.raises(UserError, match="Candidate labels"):
        run(manager, tiny, {"text": "a", "candidate_labels": " , "})


def test_zero_shot_long_text_note(manager, tiny):
    inputs = {"text": f"short\n{LONG}", "candidate_labels": "a, b"}
    result = run(manager, tiny, inputs)
    assert result.output[1]["sequence"] == LONG
    (note,) = result.notes
    assert note.text().startswith("⚠️ Line 2 ")
    assert note.text("ko").startswith("⚠️ 2번째 줄에 가설 문장을")
    assert run(manager, tiny, {"text": "short", "candidate_labels": "a, b"}).notes == ()


def test_zero_shot_takes_transformers_names(manager, tiny):
    """`sequences` is the pipeline's name for the texts; `multi_class` its old name for multi_label."""
    result = run(manager, tiny, {"sequences": "I love it.", "candidate_labels": "good, bad"}, multi_class="true")
    assert result.inputs["text"] == ["I love it."] and result.params["multi_label"] is True
    assert "multi_label=True" in result.code


@pytest.mark.parametrize("inputs,params,key", [
    ({"text": "a", "candidate_labels": ",".join(f"l{i}" for i in range(51))}, {}, "too_large"),
    ({"text": "a", "candidate_labels": "x" * 101}, {}, "too_large"),
    ({"text": "\n".join(["a"] * 65), "candidate_labels": "x"}, {}, "too_large"),
    ({"text": "a" * 20_001, "candidate_labels": "x"}, {}, "too_large"),
    ({"text": "a", "candidate_labels": "x"}, {"hypothesis_template": "{}" + "x" * 300}, "too_large"),
    ({"text": "a", "candidate_labels": "x"}, {"batch_size": 33}, "bad_param"),
    ({"text": "a", "candidate_labels": "x"}, {"multi_label": "sometimes"}, "bad_param"),
])
def test_zero_shot_bounds(manager, tiny, inputs, params, key):
    with pytest.raises(UserError) as err:
        run(manager, tiny, inputs, **params)
    assert err.value.key == key


def test_zero_shot_pairs_are_capped(manager, tiny):
    texts = "\n".join(f"text {i}" for i in range(64))
    labels = ", ".join(f"label {i}" for i in range(MAX_PAIRS // 64 + 1))
    with pytest.raises(UserError, match=f"pairs to score; at most {MAX_PAIRS}") as err:
        run(manager, tiny, {"text": texts, "candidate_labels": labels})
    assert err.value.key == "too_large"


def test_the_shown_code_prints_the_apps_result(manager, tiny):
    result = run(manager, tiny, {"text": "I love it.\nI hate it.", "candidate_labels": "good, bad"},
                 multi_label=True, batch_size=2)
    printed, stdout = printed_by(result.code)
    assert close(jsonable(printed), jsonable(result.output)), (printed, result.output)
    assert stdout.strip()


def test_api_endpoint(client, tiny):
    zs = client.predict(text="I love it.\nI hate it.", candidate_labels="good, bad", hypothesis_template="It is {}.",
                        multi_label=False, batch_size=2, model=str(tiny["bert-nli"]),
                        api_name="/zero_shot_classification")
    label, table, notes, raw, code, details = map(value_of, zs)
    assert {c["label"] for c in label["confidences"]} == {"good", "bad"} and len(table["data"]) == 2
    assert not notes and details["task"] == "zero-shot-classification"


@pytest.mark.browser
def test_browser_example_run(page, base_url, tiny, shoot):
    from playwright.sync_api import expect

    example_run(page, base_url, "Zero-shot classification", "zero_shot_classification",
                "The team scored in the last minute", "text", tiny["bert-nli"])
    expect(page.locator("#zero_shot_classification_label")).to_contain_text("sports")
    expect(page.locator("#zero_shot_classification_table [role=row]")).to_have_count(3)
    expect(page.locator("#zero_shot_classification_labels textarea")).to_have_value("sports, politics, economics")
    shoot(page, "text_zero_shot_classification")


# ---- the same scores as transformers 4.57.6's pipeline ----------------------------------------------------
def v4_cases() -> list[dict]:
    """multi_label off and on, a custom hypothesis template, Korean labels and template, a batch, a long text."""
    cases = []

    def case(texts, labels, params, call):
        cases.append({"model": "bert-nli", "inputs": {"text": "\n".join(texts), "candidate_labels": ",".join(labels)},
                      "params": params,
                      "v4": {"task": "zero-shot-classification", "inputs": texts if len(texts) > 1 else texts[0],
                             "call": {"candidate_labels": labels, **call}}})

    topics = ["politics", "economics", "sports", "technology"]
    case(["I love this movie, it is wonderful and great."], topics, {}, {})
    case(["I love this movie, it is wonderful and great."], topics, {"multi_label": True}, {"multi_label": True})
    case(["Paris is the capital of France.", "The quick brown fox jumps over the lazy dog."], ["city", "animal"],
         {"hypothesis_template": "In short, it is about {}!", "batch_size": 2},
         {"hypothesis_template": "In short, it is about {}!", "batch_size": 2})
    case(["오늘 날씨가 좋네요. 커피 한 잔 어때요?"], ["날씨", "커피", "정치"],
         {"hypothesis_template": "이 글은 {}에 관한 것이다.", "multi_label": True},
         {"hypothesis_template": "이 글은 {}에 관한 것이다.", "multi_label": True})
    case([" ".join(["Hugging Face is a French company based in New York City."] * 60)], ["business", "travel"], {}, {})
    return cases


@pytest.fixture(scope="module")
def zero_shot_v4(manager, tiny):
    from tests.text_reading import against_v4

    return against_v4(manager, TASK, v4_cases(), tiny)


@pytest.mark.v4
def test_scores_equal_4x(zero_shot_v4):
    for case, result, v4 in zero_shot_v4:
        assert close(result.output, v4, tol=1e-5), case["inputs"]
