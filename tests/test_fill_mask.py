"""Fill-mask on a tiny random RoBERTa (structure only): candidates filling the sentence, batches, targets, the
mask token errors, the long-text note, bounds, the model's own mask token, the shown code, the API and the
browser."""

from __future__ import annotations

import pytest

from core.errors import UserError
from core.jsonable import jsonable
from demos.text import fill_mask as FM
from demos.text.fill_mask import TASK
from tests.text_reading import LONG, close, example_run, note_texts, open_task, pick_model, printed_by, value_of


def run(manager, tiny, inputs, **params):
    return manager.run(TASK, str(tiny["roberta-mlm"]), inputs, {**TASK.defaults(), **params})


def test_fill_mask_candidates_fill_the_sentence(manager, tiny):
    text = "The goal of life is <mask>."
    out = run(manager, tiny, {"text": text}, top_k=3).output
    assert len(out) == 3 and [c["score"] for c in out] == sorted((c["score"] for c in out), reverse=True)
    for c in out:
        assert set(c) == {"score", "token", "token_str", "sequence"} and "<mask>" not in c["sequence"]
        assert c["sequence"].startswith("The goal of life is") and c["sequence"].endswith(".")
    two = run(manager, tiny, {"text": f"{text}\nParis is the <mask> of France."}, top_k=2, batch_size=2).output
    assert len(two) == 2 and all(len(c) == 2 for c in two)
    targets = run(manager, tiny, {"text": text}, top_k=5, targets="Paris, London").output
    assert len(targets) == 2  # top_k is capped by the number of targets


def test_fill_mask_mask_errors_and_long_text(manager, tiny):
    with pytest.raises(UserError, match=r"mask token <mask> exactly once \(\[MASK\] is another model's\)"):
        run(manager, tiny, {"text": "Paris is the [MASK] of France."})
    with pytest.raises(UserError, match="found 2"):
        run(manager, tiny, {"text": "<mask> and <mask>"})
    with pytest.raises(UserError, match="move <mask> nearer the start"):
        run(manager, tiny, {"text": LONG + " <mask>."})
    long = "The goal of life is <mask>. " + LONG
    result = run(manager, tiny, {"text": long}, top_k=2)
    assert len(result.output) == 2  # cut, not a crash
    assert "truncated" in note_texts(result)
    assert note_texts(run(manager, tiny, {"text": "The goal of life is <mask>."})) == ""


@pytest.mark.parametrize("inputs,params,key", [
    ({"text": "<mask>"}, {"top_k": 0}, "bad_param"), ({"text": "<mask>"}, {"top_k": 21}, "bad_param"),
    ({"text": "<mask>"}, {"batch_size": 33}, "bad_param"), ({"text": "<mask>"}, {"top_k": "1e9"}, "bad_param"),
    ({"text": "<mask>"}, {"targets": ",".join(f"w{i}" for i in range(51))}, "too_large"),
    ({"text": "<mask> " * 10_000}, {}, "too_large"), ({"text": "\n".join(["<mask>"] * 257)}, {}, "too_large"),
])
def test_fill_mask_bounds(manager, tiny, inputs, params, key):
    with pytest.raises(UserError) as err:
        run(manager, tiny, inputs, **params)
    assert err.value.key == key


def test_mask_token_lookup_is_the_models_own(tiny):
    """Read from the tokenizer files (a local folder or the Hugging Face cache): no model is loaded for it."""
    assert FM.mask_token_from_files(tiny["roberta-mlm"]) == "<mask>"
    assert FM.mask_token_from_files(tiny["bert-tokcls"]) == "[MASK]"
    assert FM.mask_token_of(str(tiny["roberta-mlm"])) == "<mask>"
    assert FM.mask_token_of(str(tiny["bert-tokcls"])) == "[MASK]"
    assert FM.mask_token_of("nobody/not-cached") == ""
    assert FM.mask_token_of("nobody/not-cached@main") == ""
    assert FM.mask_token_of("/no/such/folder") == ""
    assert FM.mask_token_of(None) == ""


def test_the_shown_code_prints_the_apps_result(manager, tiny):
    result = run(manager, tiny, {"text": "The goal of life is <mask>."}, top_k=3)
    printed, stdout = printed_by(result.code)
    assert close(jsonable(printed), jsonable(result.output)), (printed, result.output)
    assert stdout.strip()


def test_api_endpoint(client, tiny):
    fm = client.predict(text="The goal of life is <mask>.", top_k=3, targets="", batch_size=1,
                        model=str(tiny["roberta-mlm"]), api_name="/fill_mask")
    label, table, notes, raw, code, details = map(value_of, fm)
    assert len(label["confidences"]) <= 3 and [row[2] for row in table["data"]] == [c["sequence"] for c in raw]
    assert not notes and details["task"] == "fill-mask"


def test_api_error_is_one_line(client, tiny):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="mask token <mask> exactly once"):
        client.predict(text="no mask", top_k=3, targets="", batch_size=1, model=str(tiny["roberta-mlm"]),
                       api_name="/fill_mask")


@pytest.mark.browser
def test_browser_example_run(page, base_url, tiny, shoot):
    from playwright.sync_api import expect

    example_run(page, base_url, "Fill mask", "fill_mask", "Hugging Face is a community-based open-source <mask>",
                "text", tiny["roberta-mlm"])
    expect(page.locator("#fill_mask_label")).to_contain_text("%")
    expect(page.locator("#fill_mask_table")).to_contain_text("for machine learning.")
    shoot(page, "text_fill_mask")


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
