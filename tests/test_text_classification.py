"""Text classification (the Text tab's reference task) on tiny random models: sentence pairs, batches, the
API, the CLI, the shown code and the browser with the study notes' sentence."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys

import pytest

from core.jsonable import jsonable
from demos.text.text_classification import TASK
from tests.conftest import ROOT

NOTES_SENTENCE = "Hugging Face is the best thing since sliced bread!"
BATCH = "I love this movie.\nI hate this film.\nThe weather is calm."


def value_of(output):
    """An output's value: components updated with gr.update(...) come back as {"value": ..., other props}."""
    return output["value"] if isinstance(output, dict) and "value" in output else output


def scored(output: list) -> list[tuple[str, float]]:
    """(label, score) pairs of one result (a list of dicts) or a batch (a list of lists), in order."""
    return [(d["label"], d["score"]) for row in output for d in (row if isinstance(row, list) else [row])]


def test_a_batch_gives_one_ranked_result_per_line(manager, tiny):
    out = manager.run(TASK, str(tiny["bert-seqcls"]), {"text": BATCH}, {**TASK.defaults(), "batch_size": 2}).output
    assert len(out) == 3
    for labels in out:
        assert {d["label"] for d in labels} == {"NEGATIVE", "POSITIVE"}
        assert sum(d["score"] for d in labels) == pytest.approx(1.0, abs=1e-4)
        assert labels[0]["score"] >= labels[1]["score"]


def test_a_text_pair_scores_the_pair(manager, tiny):
    """A reranker (one logit) scores (query, passage); the same pair in the other order scores differently."""
    def run(text, pair):
        return manager.run(TASK, str(tiny["bert-reranker"]), {"text": text, "text_pair": pair}, TASK.defaults()).output

    one = run("What is Hugging Face?", NOTES_SENTENCE)
    assert [d["label"] for d in one] == ["LABEL_0"] and 0 < one[0]["score"] < 1
    assert run(NOTES_SENTENCE, "What is Hugging Face?")[0]["score"] != pytest.approx(one[0]["score"], abs=1e-7)


def test_api_pair_and_batch(client, tiny):
    label, table, notes, raw, code, details = map(value_of, client.predict(
        text="What is Hugging Face?", text_pair=NOTES_SENTENCE, top_k=5, function_to_apply="default", batch_size=1,
        model=str(tiny["bert-reranker"]), api_name="/text_classification"))
    assert label["label"] == "LABEL_0" and raw[0]["label"] == "LABEL_0"
    assert "text_pair" in code and details["task"] == "text-classification"

    label, table, notes, raw, code, details = map(value_of, client.predict(
        text=BATCH, text_pair="", top_k=1, function_to_apply="softmax", batch_size=3,
        model=str(tiny["bert-seqcls"]), api_name="/text_classification"))
    assert len(raw) == 3 and all(len(r) == 1 for r in raw)
    assert [row[0] for row in table["data"]] == BATCH.splitlines()
    assert [row[1] for row in table["data"]] == [r[0]["label"] for r in raw]
    assert "batch_size=3" in code and "function_to_apply='softmax'" in code


def test_the_shown_code_prints_the_apps_result(manager, tiny):
    for model, inputs in (("bert-seqcls", {"text": BATCH}), ("bert-reranker", {"text": "a b", "text_pair": "c"})):
        result = manager.run(TASK, str(tiny[model]), inputs, {**TASK.defaults(), "batch_size": 2})
        namespace: dict = {}
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(result.code, "<snippet>", "exec"), namespace)
        printed, shown = jsonable(namespace["result"]), jsonable(result.output)
        assert [label for label, _ in scored(printed)] == [label for label, _ in scored(shown)]
        assert [score for _, score in scored(printed)] == pytest.approx([s for _, s in scored(shown)], abs=1e-5)


def test_cli_sentiment_analysis_alias(tiny, tiny_root):
    env = dict(os.environ, PLAYGROUND_NO_WARMUP="1")
    out = subprocess.run([sys.executable, "app.py", "run", "sentiment-analysis", NOTES_SENTENCE, "--model",
                          str(tiny["bert-seqcls"]), "--offline", "--param", "top_k=1", "--models-dir", str(tiny_root)],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert len(result) == 1 and result[0]["label"] in ("NEGATIVE", "POSITIVE") and 0.5 <= result[0]["score"] <= 1


@pytest.mark.browser
def test_browser_types_the_notes_sentence_and_sees_a_scored_label(page, base_url, tiny, shoot):
    import re

    from playwright.sync_api import expect

    page.goto(base_url)
    page.get_by_role("tab", name="Text", exact=True).click()
    page.get_by_role("tab", name="Text classification", exact=True).click()
    page.locator("#text_classification_text textarea").fill(NOTES_SENTENCE)
    model = page.locator("#text_classification_model input")
    model.fill(str(tiny["bert-seqcls"]))
    model.press("Enter")
    page.locator("#task_text_classification").get_by_role("button", name="Run").click()
    label = page.locator("#text_classification_label")
    expect(label).to_contain_text(re.compile(r"(POSITIVE|NEGATIVE)"), timeout=60_000)
    expect(label).to_contain_text(re.compile(r"\d+%"))
    shoot(page, "text_text_classification")


def test_examples_fit_the_models_labels(manager, tiny):
    """An NLI model gets sentence pairs, a one-label reranker query/passage pairs, any other model single texts
    (the sentiment sentence never sits under an NLI model); labels are read from the config, not loaded."""
    from demos.text.text_classification import NLI_EXAMPLES, RERANK_EXAMPLES, SINGLE_EXAMPLES, example_rows, labels_of

    assert labels_of(manager, str(tiny["bert-nli"])) == ("contradiction", "neutral", "entailment")
    assert example_rows(labels_of(manager, str(tiny["bert-nli"]))) == NLI_EXAMPLES
    assert example_rows(labels_of(manager, str(tiny["bert-seqcls"]))) == SINGLE_EXAMPLES
    assert example_rows(labels_of(manager, str(tiny["bert-reranker"]))) == RERANK_EXAMPLES
    assert example_rows(labels_of(manager, "FacebookAI/roberta-large-mnli")) == NLI_EXAMPLES
    assert example_rows(labels_of(manager, "someone/unknown-model")) == SINGLE_EXAMPLES
    assert all(pair for _, pair in NLI_EXAMPLES + RERANK_EXAMPLES)
    assert not any(pair for _, pair in SINGLE_EXAMPLES)
    assert not any("sliced bread" in text for text, _ in NLI_EXAMPLES + RERANK_EXAMPLES)
