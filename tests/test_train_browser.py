"""Train tab in the browser: upload a few labelled rows, train a tiny random BERT for a few steps, see the live
curve and the confusion matrix, then pick the trained model in Text -> Text classification and run it; the same
in Korean. Screenshots go to screenshots/train_*.png."""

from __future__ import annotations

import re

import pytest

from tests.test_train_tab import ROWS, expect_empty_tab, write_csv

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def reviews(tmp_path_factory) -> str:
    return write_csv(tmp_path_factory.mktemp("train_browser") / "reviews.csv", ROWS)


def train_in_page(page, base_url, reviews, model: str, name: str, tab: str, labels_line: str, epochs: int,
                  batch: int = 4, press: bool = True, before=None) -> None:
    """Open the Train tab, upload the rows, set the model, name and epochs, and press Train (unless `press` is
    False: the caller presses it). before(page): called on the tab before the upload."""
    from playwright.sync_api import expect

    page.goto(base_url)
    expect(page.get_by_role("tab").first).to_be_visible(timeout=90_000)  # a worker may be starting
    page.get_by_role("tab", name=tab, exact=True).click()
    if before is not None:
        before(page)
    page.locator("#train_data_file input[type=file]").set_input_files(reviews)
    expect(page.locator("#train_labels")).to_contain_text(labels_line, timeout=30_000)
    expect(page.locator("#train_preview")).to_contain_text("what a wonderful, lovely film")
    box = page.locator("#train_model input")
    box.fill(model)
    box.press("Enter")
    page.locator("#train_name textarea, #train_name input").first.fill(name)
    page.locator("#train_epochs input[type=number]").fill(str(epochs))
    page.locator("#train_epochs input[type=number]").press("Enter")
    page.locator("#train_batch_size input[type=number]").fill(str(batch))
    page.locator("#train_batch_size input[type=number]").press("Enter")
    if press:
        page.locator("#train_button").click()


def test_train_then_use_the_model_in_the_text_tab(page, browser, base_url, tiny, reviews, shoot):
    """An English page trains; a Korean page queues a second run behind it and sees its place in the queue; the
    English page follows its run live to the confusion matrix, then uses the model in the Text tab."""
    from playwright.sync_api import expect

    # Both pages are filled in first, so the Korean Train press lands while the English run (10 epochs) is still
    # being prepared or trained, however fast the machine trains the tiny model.
    def empty(hint: str, name: str):
        return lambda p: (expect_empty_tab(p, hint), shoot(p, name))

    train_in_page(page, base_url, reviews, str(tiny["bert-base"]), "browser-reviews", "Train", "2 labels", 10,
                  batch=2, press=False, before=empty("Upload a file or name a dataset", "train_empty_en"))
    korean = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 1000}).new_page()
    try:
        train_in_page(korean, base_url, reviews, str(tiny["bert-base"]), "browser-reviews-ko", "학습", "레이블 2개", 1,
                      press=False, before=empty("파일을 올리거나 데이터셋 이름을 적으세요", "train_empty_ko"))
        page.locator("#train_button").click()
        expect(page.locator("#train_progress")).to_contain_text(re.compile("Queued|Waiting|Preparing|Training"),
                                                                timeout=30_000)
        korean.locator("#train_button").click()
        expect(korean.locator("#train_progress")).to_contain_text("앞에 학습 1건", timeout=30_000)
        shoot(korean, "train_korean_queued")

        expect(page.locator("#train_progress")).to_contain_text("Training: epoch", timeout=180_000)  # live
        curve = page.locator("#train_curves")
        expect(curve.locator(".js-plotly-plot .scatterlayer .trace").first).to_be_attached(timeout=60_000)
        expect(page.locator("#train_progress")).to_contain_text("Finished", timeout=120_000)
        confusion = page.locator("#train_confusion")
        expect(confusion.locator(".heatmaplayer")).to_be_attached(timeout=10_000)
        expect(confusion).to_contain_text("predicted")
        expect(curve).to_contain_text("eval accuracy")
        expect(page.locator("#train_summary")).to_contain_text("macro-F1")
        expect(page.locator("#train_summary")).to_contain_text("browser-reviews (local)")
        expect(page.locator("#train_code")).to_contain_text("train_test_split")
        shoot(page, "train_done")

        page.get_by_role("tab", name="Text", exact=True).click()
        task = page.locator("#task_text_classification")
        page.locator("#text_classification_model input").click()
        page.get_by_role("option", name="browser-reviews (local)").click()  # listed since the tab opened
        page.locator("#text_classification_text textarea").fill("a lovely, charming film")
        task.get_by_role("button", name="Run").click()
        label = page.locator("#text_classification_label")
        expect(label).to_contain_text("pos", timeout=60_000)
        expect(label).to_contain_text("neg")
        shoot(page, "train_used_in_text_tab")

        expect(korean.locator("#train_progress")).to_contain_text("끝났습니다", timeout=180_000)
        expect(korean.locator("#train_confusion")).to_contain_text("예측", timeout=10_000)
        expect(korean.locator("#train_curves")).to_contain_text("학습 손실")
        expect(korean.locator("#train_summary")).to_contain_text("평가 정확도")
        expect(korean.locator("#tab_train")).to_contain_text("에폭 수")
        shoot(korean, "train_korean")
    finally:
        korean.context.close()
