"""First use without surprises, in the browser at 1280x800, in English and Korean: every sub-tab in sight (no
"More tabs" menu, a click keeps the order), examples that fit the chosen model (Decode and Look-up ids from
its tokenizer, the backbone's stages, text classification by its labels), a note saying why a generation is
empty, one error per failed run, and Korean choices, field names, table headers and toast headings.
Screenshots: screenshots/first_use_*.png."""

from __future__ import annotations

import re

import pytest

from demos.text import text_classification
from demos.tokenizer import decode
from demos.vision import image_backbone
from tests.test_vision_common import CAT
from tests.text_generation_helpers import eos_at_once_model

pytestmark = pytest.mark.browser

LOCALES = {"en": "en-US", "ko": "ko-KR"}
WORDS = {"en": {"Run": "Run", "Text": "Text", "Vision": "Vision", "Tokenizer": "Tokenizer", "Train": "Train"},
         "ko": {"Run": "실행", "Text": "텍스트", "Vision": "비전", "Tokenizer": "토크나이저", "Train": "학습"}}


@pytest.fixture(params=list(LOCALES))
def lang(request):
    return request.param


@pytest.fixture
def view(browser, base_url, lang):
    """A page at 1280x800 in the language of the test, on the app."""
    from playwright.sync_api import expect

    context = browser.new_context(locale=LOCALES[lang], viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(base_url)
    expect(page.locator("#title")).to_be_visible(timeout=30_000)
    yield page
    context.close()


def open_sub_tab(page, tab_id: str, task_api: str) -> None:
    page.locator(f"#tab_{tab_id}-button").click()
    page.locator(f"#task_{task_api}-button").click()


def table_text(page, task_api: str) -> str:
    return page.locator(f"#task_{task_api} table").first.inner_text()


def pick(page, api_name: str, value) -> None:
    box = page.locator(f"#{api_name}_model input")
    box.fill(str(value))
    box.press("Enter")


# ---- every sub-tab in sight -------------------------------------------------------------------------------
def test_every_sub_tab_is_in_sight_and_keeps_its_place(view, app, lang, shoot):
    from playwright.sync_api import expect

    page = view
    top = [t for t in page.get_by_role("tab").all() if (t.get_attribute("id") or "").startswith("tab_")]
    assert len(top) == 7
    counts = {}
    for tab in top:
        tab.click()
        panel = page.locator(f"#{tab.get_attribute('aria-controls')}")
        if tab.get_attribute("id") == "tab_train-button":  # one page, no sub-tabs
            expect(panel.get_by_role("button", name=WORDS[lang]["Train"], exact=True)).to_be_visible()
            continue
        buttons = panel.locator("[role=tablist]").first.get_by_role("tab")
        names = [b.inner_text() for b in buttons.all()]
        counts[tab.get_attribute("id")] = len(names)
        assert panel.get_by_role("button", name="More tabs").filter(visible=True).count() == 0
        for button in buttons.all():
            box = button.bounding_box()
            assert button.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= 1280, button.inner_text()
        buttons.last.click()
        expect(buttons.last).to_have_attribute("aria-selected", "true")
        assert [b.inner_text() for b in buttons.all()] == names  # picking the last one reshuffles nothing
        if tab.get_attribute("id") in ("tab_vision-button", "tab_text-button"):
            shoot(page, f"first_use_subtabs_{tab.get_attribute('id').split('_')[1].removesuffix('-button')}_{lang}")
    # the task sub-tabs and each task tab's Dataset sub-tab
    assert counts["tab_vision-button"] == 12 and counts["tab_text-button"] == 11
    assert page.get_by_role("button", name="More tabs").filter(visible=True).count() == 0


# ---- examples that fit the model --------------------------------------------------------------------------
def test_decode_and_lookup_examples_come_from_the_chosen_tokenizer(view, app, pack_dir, lang, shoot):
    from playwright.sync_api import expect
    from transformers import AutoTokenizer

    page = view
    _, default = app.ctx.models.choices(decode.TASK)
    first_ids = ", ".join(map(str, AutoTokenizer.from_pretrained(default)("I am a boy.")["input_ids"]))
    open_sub_tab(page, "tokenizer", "decode")
    expect(page.locator("#task_decode table").first).to_contain_text(first_ids)
    smol = AutoTokenizer.from_pretrained(str(pack_dir / "SmolLM2-135M-Instruct"))
    smol_ids = ", ".join(map(str, smol("I am a boy.")["input_ids"]))
    assert smol_ids != first_ids
    pick(page, "decode", pack_dir / "SmolLM2-135M-Instruct")
    expect(page.locator("#task_decode table").first).to_contain_text(smol_ids, timeout=60_000)
    assert first_ids not in table_text(page, "decode")
    page.locator("#task_decode table tbody tr").first.click()
    expect(page.locator("#decode_ids textarea")).to_have_value(smol_ids)
    page.locator("#task_decode").get_by_role("button", name=WORDS[lang]["Run"]).click()
    expect(page.locator("#decode_decoded textarea")).to_have_value("I am a boy.", timeout=60_000)
    shoot(page, f"first_use_decode_{lang}")

    open_sub_tab(page, "tokenizer", "token_lookup")
    pick(page, "token_lookup", pack_dir / "SmolLM2-135M-Instruct")
    words = " ".join(smol.tokenize("I am a boy"))
    expect(page.locator("#task_token_lookup table").first).to_contain_text(words, timeout=60_000)
    page.locator("#task_token_lookup table tbody tr").first.click()
    expect(page.locator("#token_lookup_tokens").locator("textarea, input").first).to_have_value(re.compile(r"\S"))
    page.locator("#task_token_lookup").get_by_role("button", name=WORDS[lang]["Run"]).click()
    expect(page.locator("#token_lookup_to_ids")).to_contain_text(words.split()[-1], timeout=60_000)
    yes = "yes" if lang == "en" else "예"
    table = page.locator("#token_lookup_to_ids").inner_text()
    assert table.count(yes) >= len(words.split()), table  # every token of the example is in the vocabulary
    shoot(page, f"first_use_lookup_{lang}")


def test_backbone_stages_follow_the_model(view, app, tiny, lang, shoot):
    from playwright.sync_api import expect

    page = view
    _, default = app.ctx.models.choices(image_backbone.TASK)
    names = image_backbone.stage_names_of(image_backbone.config_of(default))
    assert len(names) == 3  # offline, the first backbone is the tiny DINOv2: stem, stage1, stage2
    open_sub_tab(page, "vision", "image_backbone")
    indices = page.locator("#image_backbone_indices input")
    expect(indices).to_have_value("")
    expect(indices).to_have_attribute("placeholder", image_backbone.stages_hint(names))
    page.locator("#image_backbone_image input[type=file]").set_input_files(CAT)
    page.locator("#image_backbone_run").click()  # the default runs on the default model
    shapes = page.locator("#image_backbone_shapes")
    expect(shapes).to_contain_text("stage2", timeout=60_000)
    assert "stage3" not in shapes.inner_text()
    indices.fill("4")
    pick(page, "image_backbone", tiny["swin-backbone"])
    expect(page.locator("#task_image_backbone table").first).to_contain_text("1, 2, 3, 4", timeout=30_000)
    expect(indices).to_have_attribute("placeholder", "1, 2, 3, 4   (0=stem, 1=stage1, 2=stage2, 3=stage3, 4=stage4)")
    expect(indices).to_have_value("4")  # stage 4 exists on Swin: kept
    pick(page, "image_backbone", default)
    expect(indices).to_have_value("", timeout=30_000)  # not on DINOv2: cleared, so the run uses its stages
    expect(page.locator("#task_image_backbone table").first).to_contain_text("stage1, stage2")
    page.locator("#task_image_backbone table tbody tr").nth(1).click()
    expect(indices).to_have_value("1, 2")
    page.locator("#image_backbone_run").click()
    expect(shapes).to_contain_text("(1, 2)", timeout=60_000)
    shoot(page, f"first_use_backbone_{lang}")


def test_text_classification_examples_fit_the_labels(view, app, tiny, lang, shoot):
    from playwright.sync_api import expect

    page = view
    _, default = app.ctx.models.choices(text_classification.TASK)
    labels = text_classification.labels_of(app.ctx.models, default)
    assert "entailment" in labels  # offline, the first text classifier is the tiny NLI model
    page.get_by_role("tab", name=WORDS[lang]["Text"], exact=True).click()
    table = page.locator("#task_text_classification table").first
    expect(table).to_contain_text("A man is eating food.")
    assert "sliced bread" not in table.inner_text()  # no sentiment sentence under an NLI model
    page.locator("#task_text_classification table tbody tr").first.click()
    # an example's values come from the server when clicked: Run before they arrive would run empty boxes
    pair = page.locator("#text_classification_text_pair").locator("textarea, input").first
    expect(pair).to_have_value("A man is eating food.")
    page.locator("#task_text_classification").get_by_role("button", name=WORDS[lang]["Run"]).click()
    expect(page.locator("#text_classification_label")).to_contain_text("entailment", timeout=60_000)
    shoot(page, f"first_use_text_classification_nli_{lang}")
    pick(page, "text_classification", tiny["bert-seqcls"])  # NEGATIVE / POSITIVE
    expect(table).to_contain_text("sliced bread", timeout=30_000)
    assert "A man is eating food." not in table.inner_text()
    pick(page, "text_classification", tiny["bert-reranker"])  # one label: query / passage pairs
    expect(table).to_contain_text("What is the capital of France?", timeout=30_000)


# ---- empty outputs, one error -----------------------------------------------------------------------------
def test_an_empty_generation_says_why(view, tiny, tiny_root, lang, shoot):
    from playwright.sync_api import expect

    page = view
    model = eos_at_once_model(tiny["gpt2"], tiny_root / "gpt2-eos-at-once")
    page.get_by_role("tab", name=WORDS[lang]["Text"], exact=True).click()
    page.locator("#task_text_generation-button").click()
    page.locator("#text_generation_prompt textarea").fill("Three Rings for the Elven-kings")
    pick(page, "text_generation", model)
    page.locator("#text_generation_run").click()
    why = {"en": "first new token was the end-of-text token '<|endoftext|>', so generation stopped at once",
           "ko": "처음 생성한 토큰이 텍스트 끝 토큰 '<|endoftext|>'이어서 생성이 곧바로 멈췄습니다"}[lang]
    expect(page.locator("#text_generation_notes")).to_contain_text(why, timeout=60_000)
    shoot(page, f"first_use_empty_generation_{lang}")


def test_a_failed_run_shows_one_error(view, lang, shoot):
    from playwright.sync_api import expect

    page = view
    page.locator("#tab_embeddings-button").click()
    page.locator("#embeddings_text textarea").fill("")
    page.locator("#embeddings_run").click()
    line = {"en": "Please give some input first", "ko": "먼저 입력을 주세요"}[lang]
    expect(page.locator(".toast-body")).to_have_count(1, timeout=30_000)
    expect(page.locator(".toast-body")).to_contain_text(line)
    expect(page.locator(".toast-title")).to_have_text({"en": "Error", "ko": "오류"}[lang])
    page.wait_for_timeout(500)
    assert page.get_by_text(line).filter(visible=True).count() == 1
    badges = page.locator("[data-testid=status-tracker] .error")
    assert sum(b.is_visible() for b in badges.all()) == 0  # no "Error" stamped over each output
    shoot(page, f"first_use_one_error_{lang}")
