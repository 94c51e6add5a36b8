"""Text2text generation: the removed 5.x pipeline, run as AutoModelForSeq2SeqLM + generate on tiny random
models (structure only), through the server, the shown code (sampling with a seed) and the browser."""

from __future__ import annotations

import pytest

from core.errors import UserError
from demos.text.text2text_generation import TASK
from tests.text_generation_helpers import browser_example_run, printed_by, value_of

SHORT = "The Transformer is based on attention."


def run(manager, tiny, model, text, **params):
    return manager.run(TASK, str(tiny[model]), {"text": text}, {**TASK.defaults(), **params})


@pytest.mark.parametrize("model", ["bart-seq2seq", "t5-seq2seq", "marian-seq2seq"])
def test_one_result_per_line_in_batches(manager, tiny, model):
    """Three lines with batch_size=2 (two generate calls, padded): three results, in order, each flagged."""
    result = run(manager, tiny, model, f"{SHORT}\nHello world.\n\nA third line.", batch_size=2, max_new_tokens=8)
    assert isinstance(result.output, list) and len(result.output) == 3
    for item in result.output:
        assert set(item) == {"generated_text", "truncated"}
        assert isinstance(item["generated_text"], str) and item["truncated"] is False
    assert result.details["model_class"].endswith(("ForConditionalGeneration", "MTModel"))


def test_the_shown_code_prints_the_apps_result(manager, tiny):
    """The AutoClass snippet, sampling with a seed, reproduces the raw output."""
    result = run(manager, tiny, "bart-seq2seq", SHORT, max_new_tokens=6, do_sample=True, seed=3,
                 repetition_penalty=1.2)
    code = result.code
    assert 'pipeline("text2text-generation")' in code and "KeyError" in code and "AutoModelForSeq2SeqLM" in code
    assert "set_seed(3)" in code
    assert printed_by(code) == result.output


def test_the_4x_one_liner_really_raises_key_error(tiny):
    """What the Code panel's note says: pipeline("text2text-generation") is gone in transformers 5."""
    from transformers import pipeline

    with pytest.raises(KeyError, match="removed"):
        pipeline("text2text-generation", model=str(tiny["t5-seq2seq"]))


@pytest.mark.parametrize(("name", "value", "key"), [
    ("max_new_tokens", 1025, "bad_param"), ("max_new_tokens", 0, "bad_param"), ("num_beams", 9, "bad_param"),
    ("temperature", 0, "bad_param"), ("temperature", 2.5, "bad_param"), ("top_p", 0, "bad_param"),
    ("top_k", 201, "bad_param"), ("repetition_penalty", 0.5, "bad_param"), ("seed", -1, "bad_param"),
    ("seed", 2**32, "bad_param"), ("do_sample", "maybe", "bad_param"), ("text", "a\n" * 65, "too_large"),
])
def test_bounds(name, value, key):
    with pytest.raises(UserError) as err:
        TASK.parse({"text": SHORT} if name != "text" else {}, {name: value})
    assert err.value.key == key


def test_api_endpoint(client, tiny):
    """/text2text_generation: drawn text, notes, raw JSON, code, details."""
    shown, table, notes, raw, code, details = map(value_of, client.predict(
        text=SHORT, **{**TASK.defaults(), "max_new_tokens": 6}, model=str(tiny["t5-seq2seq"]),
        api_name="/text2text_generation"))
    assert isinstance(raw, list) and len(raw) == 1
    assert shown == "\n".join(item["generated_text"] for item in raw)
    assert "AutoModelForSeq2SeqLM" in code and details["task"] == "text2text-generation"


def test_api_rejects_an_out_of_range_parameter(client, tiny):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="max_new_tokens"):
        client.predict(text=SHORT, **{**TASK.defaults(), "max_new_tokens": 100_000}, model=str(tiny["t5-seq2seq"]),
                       api_name="/text2text_generation")


@pytest.mark.browser
def test_browser_example_run(page, base_url, tiny, shoot):
    browser_example_run(page, base_url, str(tiny["t5-seq2seq"]), api_name="text2text_generation",
                        title="Text2Text generation", example="Answer the following question", length="max_new_tokens",
                        key="generated_text")
    shoot(page, "text_text2text_generation")
