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
    with pytest.raises(UserError, match=r"mask token <mask> \(1 to 8 times\) \(\[MASK\] is another model's\)"):
        run(manager, tiny, {"text": "Paris is the [MASK] of France."})
    with pytest.raises(UserError, match="found 9"):
        run(manager, tiny, {"text": " and ".join(["<mask>"] * 9)})
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


def test_api_several_masks_in_one_text(client, tiny):
    """The pipeline fills each mask on its own: the table numbers the masks, the bars show the first."""
    fm = client.predict(text="<mask> is the <mask> of France.", top_k=2, targets="", batch_size=1,
                        model=str(tiny["roberta-mlm"]), api_name="/fill_mask")
    label, table, notes, raw, code, details = map(value_of, fm)
    assert len(raw) == 2 and all(len(per) == 2 for per in raw)
    assert table["headers"][0] == "mask" and [row[0] for row in table["data"]] == ["1", "1", "2", "2"]
    assert [c["label"] for c in label["confidences"]] == [c["token_str"].strip() or repr(c["token_str"])
                                                          for c in raw[0]]


def test_api_error_is_one_line(client, tiny):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=r"mask token <mask> \(1 to 8 times\)"):
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


# ---- the same candidates as transformers 4.57.6's pipeline ------------------------------------------------
def v4_cases() -> list[dict]:
    """top_k, targets (one a multi-token word: 4.x warns and keeps its first token), several masks in one
    text, a batch, a Korean line."""
    cases = []

    def case(texts, params, call):
        cases.append({"model": "roberta-mlm", "inputs": {"text": "\n".join(texts)}, "params": params,
                      "v4": {"task": "fill-mask", "inputs": texts if len(texts) > 1 else texts[0],
                             "call": {**call, "tokenizer_kwargs": {"truncation": True}}}})

    case(["The goal of life is <mask>."], {"top_k": 7}, {"top_k": 7})
    case(["Paris is the <mask> of France."], {"top_k": 3, "targets": "capital,city,Transformers"},
         {"top_k": 3, "targets": ["capital", "city", "Transformers"]})
    case(["<mask> is the <mask> of <mask>."], {"top_k": 4}, {"top_k": 4})
    case(["I love this <mask>, it is wonderful.", "허깅페이스는 <mask>에 있는 회사입니다.", "The <mask> <mask> fox."],
         {"top_k": 2, "batch_size": 2}, {"top_k": 2, "batch_size": 2})
    case(["The goal of life is <mask>. " + LONG], {"top_k": 3}, {"top_k": 3})
    return cases


@pytest.fixture(scope="module")
def candidates_v4(manager, tiny):
    from tests.text_reading import against_v4

    return against_v4(manager, TASK, v4_cases(), tiny)


@pytest.mark.v4
def test_candidates_equal_4x(candidates_v4):
    for case, result, v4 in candidates_v4:
        assert close(result.output, v4, tol=1e-5), case["inputs"]
    several = candidates_v4[2][1].output
    assert len(several) == 3 and all(len(per) == 4 for per in several)
