"""Multimodal tab in a real browser (Debian's chromium through Playwright): ask about a rendered invoice and
reuse its OCR words, ask about a photo, caption it, chat about it over two turns, and see a clear error;
each leaves a screenshot for people to look at."""

from __future__ import annotations

import re

import pytest

from demos.multimodal.common import INVOICE_TOTAL, picture, render_invoice

pytestmark = pytest.mark.browser

CAT = picture("chelsea")


@pytest.fixture(scope="module")
def invoice(tmp_path_factory) -> str:
    return str(render_invoice(tmp_path_factory.mktemp("invoice") / "invoice.png"))


def open_task(page, title: str) -> None:
    page.get_by_role("tab", name="Multimodal", exact=True).click()
    page.locator("#tab_multimodal").get_by_role("tab", name=title, exact=True).click()


def pick_model(page, api_name: str, folder) -> None:
    model = page.locator(f"#{api_name}_model input")
    model.fill(str(folder))
    model.press("Enter")


def test_document_qa_reads_the_invoice_and_reuses_its_words(page, base_url, tiny, shoot, invoice):
    from playwright.sync_api import expect

    page.goto(base_url)
    open_task(page, "Document QA")
    tab = page.locator("#task_document_question_answering")
    page.locator("#document_question_answering_document input[type=file]").set_input_files(invoice)
    expect(page.locator("#document_question_answering_drawn img")).to_be_visible()  # the page, before a run
    tab.get_by_label("Question").fill("What is the total amount?")
    pick_model(page, "document_question_answering", tiny["layoutlm-docqa"])
    page.locator("#document_question_answering_run").click()
    expect(page.locator("#document_question_answering_notes")).to_contain_text("Tesseract OCR (eng) read",
                                                                               timeout=90_000)
    expect(page.locator("#document_question_answering_answers")).to_contain_text(re.compile(r"\d+%"))
    drawn = page.locator("#document_question_answering_drawn img")
    assert drawn.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [850, 1100]
    tab.get_by_text("OCR words and boxes").click()
    expect(page.locator("#document_question_answering_words")).to_contain_text("US-001")  # the rows in view
    expect(page.locator("#document_question_answering_code")).to_contain_text("pytesseract.image_to_data")
    shoot(page, "multimodal_document_question_answering")
    tab.get_by_role("button", name="Use these words as word boxes").click()
    expect(page.locator("#document_question_answering_word_boxes textarea")).to_have_value(
        re.compile(re.escape(f'["{INVOICE_TOTAL}", [')))
    page.locator("#document_question_answering_run").click()
    expect(page.locator("#document_question_answering_notes")).to_contain_text("word boxes were used: no OCR ran",
                                                                               timeout=60_000)


def test_visual_question_answering(page, base_url, tiny, shoot):
    from playwright.sync_api import expect

    page.goto(base_url)
    open_task(page, "Visual QA")
    tab = page.locator("#task_visual_question_answering")
    page.locator("#visual_question_answering_image input[type=file]").set_input_files(CAT)
    tab.get_by_label("Question").fill("What animal is this?")
    pick_model(page, "visual_question_answering", tiny["vilt-vqa"])
    page.locator("#visual_question_answering_run").click()
    expect(page.locator("#visual_question_answering_answers")).to_contain_text(re.compile("yes|no|2|cat|red"),
                                                                                timeout=60_000)
    expect(page.locator("#visual_question_answering_code")).to_contain_text("AutoModelForVisualQuestionAnswering")
    expect(page.locator("#visual_question_answering_code")).to_contain_text("raises KeyError")
    shoot(page, "multimodal_visual_question_answering")


def test_image_captioning_continues_the_prompt(page, base_url, tiny, shoot):
    from playwright.sync_api import expect

    page.goto(base_url)
    open_task(page, "Image captioning")
    tab = page.locator("#task_image_to_text")
    page.locator("#image_to_text_image input[type=file]").set_input_files(CAT)
    tab.get_by_label("Text prompt (optional)").fill("a picture of")
    pick_model(page, "image_to_text", tiny["blip-caption"])
    page.locator("#image_to_text_run").click()
    expect(page.locator("#image_to_text_caption")).to_contain_text("a picture of", timeout=60_000)
    expect(page.locator("#image_to_text_code")).to_contain_text("image-text-to-text")
    shoot(page, "multimodal_image_to_text")


def test_chat_about_an_image_over_two_turns(page, base_url, tiny, shoot):
    from playwright.sync_api import expect

    page.goto(base_url)
    open_task(page, "Chat about images")
    pick_model(page, "image_text_to_text", tiny["vlm-chat"])
    tab = page.locator("#task_image_text_to_text")
    tokens = tab.get_by_role("spinbutton", name="number input for max_new_tokens")
    tokens.fill("6")
    tokens.press("Enter")
    box = page.locator("#image_text_to_text_message")
    box.locator("input[type=file]").set_input_files(CAT)
    expect(box.locator("img")).to_be_visible()
    box.locator("textarea").fill("What animal is this?")
    page.locator("#image_text_to_text_run").click()
    chat = page.locator("#image_text_to_text_chat")
    bot = chat.locator("[data-testid=bot]")
    expect(bot).to_have_count(1, timeout=60_000)
    expect(chat.locator("[data-testid=user]").locator("img")).to_be_visible()
    expect(box.locator("textarea")).to_have_value("")  # the box empties for the next question
    box.locator("textarea").fill("Are you sure?")
    box.locator("textarea").press("Enter")
    expect(bot).to_have_count(2, timeout=60_000)
    expect(chat).to_contain_text("Are you sure?")
    expect(page.locator("#image_text_to_text_code")).to_contain_text("'role': 'assistant'")
    shoot(page, "multimodal_image_text_to_text")


def test_missing_document_is_one_readable_line(page, base_url, tiny, shoot):
    from playwright.sync_api import expect

    page.goto(base_url)
    open_task(page, "Document QA")
    page.locator("#task_document_question_answering").get_by_label("Question").fill("What is the total?")
    pick_model(page, "document_question_answering", tiny["layoutlm-docqa"])
    page.locator("#document_question_answering_run").click()
    expect(page.get_by_text("Please give some input first: Document is empty.")).to_be_visible(timeout=60_000)
    page.wait_for_timeout(800)  # the toast fades in
    shoot(page, "multimodal_error")
