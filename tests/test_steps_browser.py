"""Under the hood in the browser: after a run, opening the accordion draws the run's stages (text
classification: input_ids with their tokens, the logits, softmax; object detection: pixel values and their
normalisation, logits and boxes, the threshold; speech recognition: features, generated ids, the decoded
text); while it is open a new Run refreshes it. English and Korean pages, screenshots kept."""

from __future__ import annotations

import pytest

from core.i18n import translate
from demos.vision.common import sample
from tests.audio_files import make_speech_files
from tests.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return make_speech_files(tmp_path_factory.mktemp("steps_speech"))


@pytest.fixture(scope="module", params=["en", "ko"])
def view(request, browser, base_url):
    """(page, lang): a page in English or Korean, shared by the module's tests (one page load per language)."""
    lang = request.param
    context = browser.new_context(locale="ko-KR" if lang == "ko" else "en-US", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    from playwright.sync_api import expect

    page.goto(base_url)
    expect(page.locator("#title")).to_contain_text(translate("Transformers Playground", lang), timeout=60_000)
    yield page, lang
    context.close()


def open_task(page, lang: str, tab: str, title: str, api_name: str):
    page.get_by_role("tab", name=translate(tab, lang), exact=True).click()
    page.get_by_role("tab", name=translate(title, lang), exact=True).click()
    return page.locator(f"#task_{api_name}")


def pick_model(page, api_name: str, folder) -> None:
    box = page.locator(f"#{api_name}_model input")
    box.fill(str(folder))
    box.press("Enter")


def run(panel, lang: str) -> None:
    panel.get_by_role("button", name=translate("Run", lang), exact=True).first.click()


def open_hood(page, lang: str, api_name: str):
    """Open the sub-tab's "Under the hood" accordion; returns its HTML panel."""
    page.locator(f"#{api_name}_hood").get_by_text(translate("Under the hood", lang), exact=True).click()
    return page.locator(f"#{api_name}_steps")


def keep(page, panel, name: str, shoot) -> None:
    """A full-page screenshot and one of the stages alone."""
    shoot(page, name)
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=str(SCREENSHOTS / f"{name}_stages.png"))


def test_text_classification_stages_and_their_refresh(view, tiny, shoot):
    from playwright.sync_api import expect

    page, lang = view
    panel = open_task(page, lang, "Text", "Text classification", "text_classification")
    panel.locator("#text_classification_text textarea").fill("Hugging Face is great")
    pick_model(page, "text_classification", tiny["bert-seqcls"])
    run(panel, lang)
    expect(page.locator("#text_classification_label")).to_contain_text("POSITIVE", timeout=60_000)
    steps = open_hood(page, lang, "text_classification")
    expect(steps).to_contain_text("input_ids", timeout=60_000)
    for text in ("[CLS]", "logits", "torch.float32", "softmax", translate("preprocess", lang),
                 translate("how the result is made", lang)):
        expect(steps).to_contain_text(text)
    assert "##" in steps.inner_text() or "great" in steps.inner_text()
    panel.locator("#text_classification_text textarea").fill("zebra")
    run(panel, lang)  # the accordion is open: the stages follow the new run
    expect(steps).to_contain_text("##b", timeout=60_000)  # the tiny WordPiece spells z ##e ##b ##r ##a
    expect(steps).not_to_contain_text("hugging")
    keep(page, steps, f"steps_text_classification_{lang}", shoot)


def test_object_detection_stages(view, tiny, shoot):
    from playwright.sync_api import expect

    page, lang = view
    panel = open_task(page, lang, "Vision", "Object detection", "object_detection")
    page.locator("#object_detection_image input[type=file]").set_input_files(sample("chelsea"))
    expect(page.locator("#object_detection_image img").first).to_be_visible()
    pick_model(page, "object_detection", tiny["detr"])
    field = panel.get_by_label(translate("Score threshold", lang)).first
    field.fill("0")
    field.press("Enter")
    run(panel, lang)
    expect(page.locator("#object_detection_table")).to_contain_text("car", timeout=60_000)
    steps = open_hood(page, lang, "object_detection")
    expect(steps).to_contain_text("pixel_values", timeout=60_000)
    for text in ("image_mean", "pred_boxes", "logits", "threshold", "xmin"):
        expect(steps).to_contain_text(text)
    keep(page, steps, f"steps_object_detection_{lang}", shoot)


def test_speech_recognition_stages(view, pack_dir, speech, shoot):
    from playwright.sync_api import expect

    page, lang = view
    panel = open_task(page, lang, "Audio", "Speech recognition", "automatic_speech_recognition")
    pick_model(page, "automatic_speech_recognition", pack_dir / "whisper-tiny.en")
    page.locator("#automatic_speech_recognition_audio input[type=file]").set_input_files(str(speech["wav16"]))
    page.locator("#automatic_speech_recognition_audio audio").first.wait_for(state="attached", timeout=15000)
    run(panel, lang)
    transcript = page.locator("#automatic_speech_recognition_text textarea")
    expect(transcript).not_to_have_value("", timeout=90_000)
    steps = open_hood(page, lang, "automatic_speech_recognition")
    expect(steps).to_contain_text("input_features", timeout=90_000)
    for text in ("generate", "sequences", "Ġquick", "decode", "quick brown", translate("forward passes", lang)):
        expect(steps).to_contain_text(text)
    keep(page, steps, f"steps_automatic_speech_recognition_{lang}", shoot)
