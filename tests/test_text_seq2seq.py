"""Summarization, translation, text2text-generation: the removed 5.x pipelines, run as AutoModelForSeq2SeqLM +
generate on tiny random models (structure only), through the server, the CLI, the shown code and the browser."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest

from core.errors import UserError
from demos.text import seq2seq
from tests.conftest import ROOT

TASKS = {t.id: t for t, _ in seq2seq.TASKS}
KEYS = {"summarization": "summary_text", "translation": "translation_text", "text2text-generation": "generated_text"}
SHORT = "The Transformer is based on attention."
LONG = " ".join(["The Transformer is a sequence transduction model based entirely on attention."] * 120)


def run(manager, tiny, task_id, model, text, **params):
    task = TASKS[task_id]
    return manager.run(task, str(tiny[model]), {"text": text}, {**task.params, **params})


def printed_by(code: str):
    """Execute a Code panel snippet in a fresh namespace; returns its `result`."""
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace["result"]


@pytest.mark.parametrize("task_id", list(KEYS))
@pytest.mark.parametrize("model", ["bart-seq2seq", "t5-seq2seq", "marian-seq2seq"])
def test_one_result_per_line_in_batches(manager, tiny, task_id, model):
    """Three lines with batch_size=2 (two generate calls, padded): three results, in order, each flagged."""
    result = run(manager, tiny, task_id, model, f"{SHORT}\nHello world.\n\nA third line.", batch_size=2,
                 **({"max_length": 8} if task_id != "text2text-generation" else {"max_new_tokens": 8}))
    assert isinstance(result.output, list) and len(result.output) == 3
    for item in result.output:
        assert set(item) == {KEYS[task_id], "truncated"}
        assert isinstance(item[KEYS[task_id]], str) and item["truncated"] is False
    assert result.details["model_class"].endswith(("ForConditionalGeneration", "MTModel"))


def test_long_input_is_truncated_with_a_flag_not_a_crash(manager, tiny):
    result = run(manager, tiny, "summarization", "bart-seq2seq", f"{LONG}\n{SHORT}", max_length=8, batch_size=2)
    assert [item["truncated"] for item in result.output] == [True, False]


def test_the_shown_code_prints_the_apps_result(manager, tiny):
    """The AutoClass snippets (single batch and the batch loop, with T5's task prefix) reproduce the raw output."""
    cases = [
        ("summarization", "bart-seq2seq", f"{LONG}\n{SHORT}", {"max_length": 8, "num_beams": 2}),
        ("translation", "t5-seq2seq", "Hello world.\nThe house is wonderful.\nGood night.",
         {"max_length": 8, "batch_size": 2}),
        ("text2text-generation", "bart-seq2seq", SHORT,
         {"max_new_tokens": 6, "do_sample": True, "seed": 3, "repetition_penalty": 1.2}),
    ]
    for task_id, model, text, params in cases:
        result = run(manager, tiny, task_id, model, text, **params)
        code = result.code
        assert f'pipeline("{task_id}")' in code and "KeyError" in code and "AutoModelForSeq2SeqLM" in code
        assert printed_by(code) == result.output, task_id
    looped = run(manager, tiny, "translation", "t5-seq2seq", "a\nb\nc", batch_size=2, max_length=4).code
    assert "for start in range(0, len(texts), 2)" in looped


def test_the_4x_one_liner_really_raises_key_error(tiny):
    """What the Code panel's note says: pipeline("summarization") and friends are gone in transformers 5."""
    from transformers import pipeline

    for task_id in KEYS:
        with pytest.raises(KeyError, match="removed"):
            pipeline(task_id, model=str(tiny["t5-seq2seq"]))


class Vocab:
    def __init__(self, *tokens):
        self.tokens = {t: i for i, t in enumerate(tokens)}

    def get_vocab(self):
        return self.tokens


T5_PARAMS = {"translation_en_to_fr": {"prefix": "translate English to French: ", "num_beams": 4},
             "translation_en_to_de": {"prefix": "translate English to German: "},
             "summarization": {"prefix": "summarize: "}}


def test_translation_prefix_per_kind_of_model():
    t5 = SimpleNamespace(task_specific_params=T5_PARAMS)
    assert seq2seq.translation_prefix(Vocab("a"), t5, "en", "fr") == ("translate English to French: ", {"num_beams": 4})
    assert seq2seq.translation_prefix(Vocab("a"), t5, "en", "de")[0] == "translate English to German: "
    with pytest.raises(UserError, match="en→de, en→fr"):
        seq2seq.translation_prefix(Vocab("a"), t5, "ko", "en")
    multi = SimpleNamespace()
    assert seq2seq.translation_prefix(Vocab(">>kor<<", ">>jpn<<", "a"), multi, "en", "kor") == (">>kor<< ", {})
    with pytest.raises(UserError, match="jpn, kor"):
        seq2seq.translation_prefix(Vocab(">>kor<<", ">>jpn<<"), multi, "en", "fr")
    assert seq2seq.translation_prefix(Vocab("a", "b"), multi, "ko", "en") == ("", {}), "single pair: no prefix"


def test_t5_task_prefix_reaches_the_model(manager, tiny, monkeypatch):
    """The prefix from task_specific_params goes before the text, once (the notes' example already has it)."""
    entry, _ = manager.get(seq2seq.LOADER, str(tiny["t5-seq2seq"]))
    bundle = entry.obj
    seen = []
    original = bundle.processor.__class__.__call__

    def spy(self, text, *args, **kwargs):
        seen.append(text)
        return original(self, text, *args, **kwargs)

    monkeypatch.setattr(bundle.processor.__class__, "__call__", spy)
    monkeypatch.setattr(bundle.model.config, "task_specific_params", T5_PARAMS, raising=False)
    texts = ["Hello world.", "translate English to French: Hugging Face is a platform."]
    out = seq2seq.run_translation(bundle, {"text": "\n".join(texts)}, {**seq2seq.TRANSLATION_PARAMS, "max_length": 5,
                                                                          "batch_size": 2})
    assert len(out) == 2
    assert seen[-1] == ["translate English to French: Hello world.", texts[1]]


def test_parameter_errors_are_one_clear_line(manager, tiny):
    with pytest.raises(UserError, match="Please give some input"):
        run(manager, tiny, "summarization", "bart-seq2seq", " \n ")
    with pytest.raises(UserError, match="min_length"):
        run(manager, tiny, "summarization", "bart-seq2seq", SHORT, min_length=30, max_length=10)
    with pytest.raises(UserError, match="batch_size"):
        run(manager, tiny, "translation", "t5-seq2seq", SHORT, batch_size=0)


def test_api_endpoints(client, tiny):
    """/summarization, /translation, /text2text_generation: drawn text, raw JSON, code, details."""
    calls = {
        "/summarization": dict(text=f"{SHORT}\nHello world.", min_length=0, max_length=8, num_beams=0, batch_size=2,
                               model=str(tiny["bart-seq2seq"])),
        "/translation": dict(text=SHORT, src_lang="en", tgt_lang="fr", max_length=8, num_beams=0, batch_size=1,
                             model=str(tiny["t5-seq2seq"])),
        "/text2text_generation": dict(text=SHORT, **{**seq2seq.TEXT2TEXT_PARAMS, "max_new_tokens": 6},
                                      model=str(tiny["t5-seq2seq"])),
    }
    for api_name, kwargs in calls.items():
        shown, note, table, raw, code, details = client.predict(**kwargs, api_name=api_name)
        lines = kwargs["text"].splitlines()
        assert isinstance(raw, list) and len(raw) == len(lines), api_name
        key = next(iter(raw[0]))
        assert shown == "\n".join(item[key] for item in raw)
        assert "AutoModelForSeq2SeqLM" in code and details["task"] == api_name[1:].replace("_", "-")


def test_truncation_note_follows_the_browsers_language(base_url, tiny):
    """The note under the result is made per request: Korean for a Korean browser, English for an English one."""
    from gradio_client import Client

    call = dict(text=f"{SHORT}\n{LONG}", min_length=0, max_length=8, num_beams=0, batch_size=2,
                model=str(tiny["bart-seq2seq"]), api_name="/summarization")
    korean = Client(base_url, verbose=False, headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    note = korean.predict(**call)[1]
    note = note["value"] if isinstance(note, dict) else note
    assert "2번째 줄" in note and "잘렸습니다" in note and "truncated to its limit" not in note
    english = Client(base_url, verbose=False, headers={"Accept-Language": "en-US,en;q=0.9"})
    note = english.predict(**call)[1]
    note = note["value"] if isinstance(note, dict) else note
    assert "Line 2 was longer than the model takes and was truncated to its limit" in note


def test_cli_runs_summarization(tiny):
    env = dict(os.environ, PLAYGROUND_NO_WARMUP="1")
    out = subprocess.run([sys.executable, "app.py", "run", "summarization", f"{SHORT}\n{LONG}", "--model",
                          str(tiny["bart-seq2seq"]), "--offline", "--param", "max_length=20", "--param", "batch_size=2"],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert [item["truncated"] for item in result] == [False, True]
    assert all(isinstance(item["summary_text"], str) for item in result)


def open_task(page, title: str) -> None:
    """Open the Text tab, then the task's sub-tab (from the "More tabs" menu when the row overflows)."""
    page.get_by_role("tab", name="Text", exact=True).click()
    tab = page.get_by_role("tab", name=title, exact=True)
    if tab.count() and tab.is_visible():
        tab.click()
        return
    page.locator("#tab_text").get_by_role("button", name="More tabs").click()
    page.locator("#tab_text .overflow-dropdown").get_by_role("button", name=title, exact=True).click()


EXAMPLES = {
    "summarization": ("Summarization", "The dominant sequence transduction models", "bart-seq2seq"),
    "translation": ("Translation", "translate English to French: Hugging Face", "t5-seq2seq"),
    "text2text_generation": ("Text2Text generation", "Answer the following question", "t5-seq2seq"),
}


@pytest.mark.browser
@pytest.mark.parametrize("api_name", list(EXAMPLES))
def test_browser_example_run(page, base_url, tiny, shoot, api_name):
    from playwright.sync_api import expect

    title, example, model_name = EXAMPLES[api_name]
    page.goto(base_url)
    open_task(page, title)
    tab = page.locator(f"#task_{api_name}")
    tab.get_by_text(example).first.click()
    expect(page.locator(f"#{api_name}_text textarea")).to_have_value(re.compile(re.escape(example)))
    model = page.locator(f"#{api_name}_model input")
    model.fill(str(tiny[model_name]))
    model.press("Enter")
    if api_name != "text2text_generation":
        tab.get_by_label("max_length").first.fill("8")
        tab.get_by_label("max_length").first.press("Enter")
    else:
        tab.get_by_label("max_new_tokens").first.fill("8")
        tab.get_by_label("max_new_tokens").first.press("Enter")
    tab.get_by_role("button", name="Run").click()
    expect(page.locator(f"#{api_name}_code")).to_contain_text("AutoModelForSeq2SeqLM", timeout=60_000)
    expect(page.locator(f"#{api_name}_code")).to_contain_text("raises KeyError")
    expect(page.locator(f"#{api_name}_result textarea")).to_be_visible()
    tab.get_by_text("Raw output (JSON)").click()
    key = {"summarization": "summary_text", "translation": "translation_text"}.get(api_name, "generated_text")
    expect(page.locator(f"#{api_name}_raw")).to_contain_text(key)
    expect(page.locator(f"#{api_name}_raw")).to_contain_text("truncated")
    shoot(page, f"text_{api_name}")
