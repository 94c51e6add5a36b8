"""Comparing models in a real browser (Debian's chromium): in one sub-tab of each tab, turn "Compare models"
on, pick a second tiny model, run once, and see both models drawn side by side with what differs; the first
model's result still fills the sub-tab's own widgets. Screenshots in English and Korean."""

from __future__ import annotations

import re

import pytest

from core.i18n import translate
from demos.vision.common import sample

pytestmark = pytest.mark.browser

SENTENCE = "Hugging Face is based in New York City."

# api name -> (tab, sub-tab title, first model, second model, what to give, the sub-tab's own result widget);
# SETTINGS: {label: value} to set first
CASES = {
    "automatic_speech_recognition": ("Audio", "Speech recognition", "wav2vec2-ctc", "whisper",
                                     {"audio": "speech"}, "#automatic_speech_recognition_text"),
    "object_detection": ("Vision", "Object detection", "detr", "detr-b", {"image": str(sample("chelsea"))},
                         "#object_detection_table"),
    "token_classification": ("Text", "Token classification (NER)", "bert-tokcls", "bert-tokcls-b",
                             {"text": SENTENCE}, "#token_classification_highlight"),
    "visual_question_answering": ("Multimodal", "Visual QA", "vilt-vqa", "blip-vqa",
                                  {"image": str(sample("chelsea")), "question": "What animal is it?"},
                                  "#visual_question_answering_answers"),
}
SETTINGS = {"object_detection": {"Score threshold": "0"}}
DIFFERS = {"automatic_speech_recognition": "against", "object_detection": "Boxes", "token_classification": "Entity",
           "visual_question_answering": "Answer"}


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    from tests.audio_files import shared_speech_files

    return shared_speech_files(tmp_path_factory)


def compare_in(page, base_url, tiny, speech, api: str, lang: str = "en"):
    from playwright.sync_api import expect

    tab, title, first, second, given, own = CASES[api]
    page.goto(base_url)
    page.get_by_role("tab", name=translate(tab, lang), exact=True).click()
    page.get_by_role("tab", name=translate(title, lang), exact=True).click()
    panel = page.locator(f"#task_{api}")
    for name, value in given.items():
        if name in ("image", "audio"):
            path = speech["wav16"] if value == "speech" else value
            page.locator(f"#{api}_{name} input[type=file]").set_input_files(str(path))
        else:
            page.locator(f"#{api}_{name} textarea, #{api}_{name} input").first.fill(value)
    for label, value in SETTINGS.get(api, {}).items():
        field = panel.get_by_label(translate(label, lang)).first
        field.fill(value)
        field.press("Enter")
    model = page.locator(f"#{api}_model input")
    model.fill(str(tiny[first]))
    model.press("Enter")
    extra = page.locator(f"#{api}_model_2")
    expect(extra).to_be_hidden()  # shown only while the switch is on
    page.locator(f"#{api}_compare_switch input").check()
    expect(extra).to_be_visible()
    picker = extra.locator("input")
    picker.fill(str(tiny[second]))
    picker.press("Enter")
    panel.get_by_role("button", name=translate("Run", lang), exact=True).click()
    view = page.locator(f"#{api}_compare")
    expect(view.locator(".cmp-card")).to_have_count(2, timeout=120_000)
    expect(view.locator(".cmp-card h4").first).to_have_text(first)
    expect(view.locator(".cmp-card h4").nth(1)).to_have_text(second)
    expect(view.locator(".cmp-meta").first).to_contain_text("파라미터" if lang == "ko" else "parameters")
    expect(view.locator(".cmp-diffs")).to_contain_text(translate(DIFFERS[api], lang))
    expect(page.locator(own)).to_be_visible()  # the first model fills the sub-tab's own widgets
    expect(page.locator(f"#{api}_code")).to_contain_text(str(tiny[first]))
    return view


@pytest.mark.parametrize("api", list(CASES))
def test_compare_two_models_in_each_tab(page, base_url, tiny, speech, shoot, api):
    from playwright.sync_api import expect

    view = compare_in(page, base_url, tiny, speech, api)
    if api == "object_detection":  # each model's boxes drawn on the picture
        expect(view.locator(".cmp-card img")).to_have_count(2)
    view.scroll_into_view_if_needed()
    shoot(page, f"compare_{api}")
    # the switch off again: the pickers hide and empty, and the next run is a single one with the view hidden
    page.locator(f"#{api}_compare_switch input").uncheck()
    expect(page.locator(f"#{api}_model_2")).to_be_hidden()
    page.locator(f"#task_{api}").get_by_role("button", name="Run", exact=True).click()
    expect(view).to_be_hidden(timeout=60_000)


@pytest.mark.parametrize("api", list(CASES))  # one sub-tab of each tab, as in English
def test_compare_in_korean(browser, base_url, tiny, speech, shoot, api):
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        view = compare_in(page, base_url, tiny, speech, api, "ko")
        assert re.search("모델들의 결과가 (같습니다|다릅니다)", view.inner_text())
        view.scroll_into_view_if_needed()
        shoot(page, f"compare_{api}_ko")
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_compare_embeddings_maps(browser, base_url, tiny, pack_dir, shoot, lang):
    """The Embeddings tab: one Run maps the same rows with two models (the Map's task), side by side."""
    from playwright.sync_api import expect

    context = browser.new_context(locale="ko-KR" if lang == "ko" else "en-US", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        page.goto(base_url)
        page.get_by_role("tab", name=translate("Embeddings", lang), exact=True).click()
        page.locator("#embeddings_text textarea").fill("animal | A cat sleeps.\nanimal | A dog runs.\n"
                                                        "food | I bake bread.\nfood | Soup is hot.")
        model = page.locator("#embed_model input")
        model.fill(str(tiny["bert-base"]))
        model.press("Enter")
        page.locator("#embed_compare_switch input").check()
        picker = page.locator("#embed_model_2 input")
        picker.fill(str(pack_dir / "all-MiniLM-L6-v2"))
        picker.press("Enter")
        page.locator("#embeddings_run").click()
        view = page.locator("#project_compare")
        expect(view.locator(".cmp-card")).to_have_count(2, timeout=120_000)
        expect(view.locator(".cmp-card h4").first).to_have_text("bert-base")
        expect(view.locator(".cmp-card h4").nth(1)).to_have_text("all-MiniLM-L6-v2")
        expect(view.locator(".cmp-meta").first).to_contain_text("파라미터" if lang == "ko" else "parameters")
        expect(page.locator("#project_plot .js-plotly-plot")).to_be_visible()  # the first model's own map
        for i in range(2):  # each model's map drawn in its card, every row a point; the summary's Markdown read
            card = view.locator(".cmp-card").nth(i)
            expect(card.locator("svg.cmp-plot circle")).to_have_count(4)
            expect(card.locator("svg.cmp-plot")).to_contain_text("A cat sleeps.")
            expect(card.locator(".cmp-text b").first).to_have_text("PCA")
            assert "**" not in card.inner_text() and '"points"' not in card.inner_text()
        view.scroll_into_view_if_needed()
        shoot(page, f"compare_embeddings_{lang}")
    finally:
        context.close()
