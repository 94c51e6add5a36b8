"""A Korean browser sees the app in Korean from the one catalog (locales/ko): the title, the tabs, the widgets'
labels and help, choices (their values stay transformers'), the examples' and results' table headers, plot
legends, a refused input's line with the field's Korean label, and the toast's heading (gradio draws it from
the toast's type; app.py's head script puts the catalog's word there)."""

from __future__ import annotations

import pytest


@pytest.mark.browser
def test_korean_title_labels_and_error_toast(browser, base_url, shoot):
    from playwright.sync_api import expect

    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        page.goto(base_url)
        expect(page.locator("#title")).to_contain_text("트랜스포머 플레이그라운드", timeout=30_000)
        page.get_by_role("tab", name="텍스트", exact=True).click()
        page.get_by_label("입력 텍스트").first.fill("좋은 하루")
        expect(page.locator("#task_text_classification")).to_contain_text("보여 줄 레이블 수")
        model = page.locator("#text_classification_model input")
        model.fill("/etc")
        model.press("Enter")
        page.locator("#task_text_classification").get_by_role("button", name="실행").click()
        toast = page.locator(".toast-body").first
        expect(toast).to_contain_text("이 서버가 제공하는 모델 폴더가 아닙니다", timeout=20_000)
        assert "Traceback" not in toast.inner_text()
        shoot(page, "korean_error_toast")
    finally:
        context.close()


@pytest.fixture
def korean(browser, base_url):
    """A Korean page at 1280x800."""
    from playwright.sync_api import expect

    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(base_url)
    expect(page.locator("#title")).to_contain_text("트랜스포머 플레이그라운드", timeout=30_000)
    yield page
    context.close()


@pytest.mark.browser
def test_korean_choices_send_the_english_value_and_tables_plots_speak_korean(korean, pack_dir, shoot):
    """Radio choices read Korean while the value sent stays transformers' (euclidean -> a distance column);
    the examples' and the neighbours table's headers and the map's legend are Korean too."""
    from playwright.sync_api import expect

    page = korean
    page.locator("#tab_embeddings-button").click()
    model = page.locator("#embed_model input")
    model.fill(str(pack_dir / "all-MiniLM-L6-v2"))
    model.press("Enter")
    page.locator("#embeddings_text textarea").fill(
        "동물 | The cat sleeps on the sofa.\n동물 | A kitten naps.\n금융 | Stocks fell sharply today.")
    page.locator("#embeddings_run").click()  # the map
    expect(page.locator("#project_plot")).to_contain_text("레이블", timeout=60_000)  # the legend's title
    expect(page.locator("#project_plot")).to_contain_text("동물")
    page.locator("#task_neighbors-button").click()
    metric = page.locator("#neighbors_metric")
    expect(metric).to_contain_text("코사인")
    assert "cosine" not in metric.inner_text()
    metric.get_by_text("유클리드").click()
    page.locator("#neighbors_run").click()
    table = page.locator("#neighbors_table")
    expect(table).to_contain_text("거리", timeout=60_000)  # the server got "euclidean"
    expect(table).to_contain_text("순위")
    expect(page.locator("#neighbors_note")).to_contain_text("유클리드 거리 (낮을수록 가까움)")
    shoot(page, "korean_choices_and_tables")


@pytest.mark.browser
def test_korean_error_names_the_field_by_its_korean_label(korean, shoot):
    from playwright.sync_api import expect

    page = korean
    page.locator("#tab_tokenizer-button").click()
    page.locator("#task_decode-button").click()
    expect(page.locator("#task_decode table").first).to_contain_text("텍스트 (왕복 확인)")  # examples' headers
    page.locator("#decode_ids textarea").fill("99999999")
    page.locator("#task_decode").get_by_role("button", name="실행").click()
    toast = page.locator(".toast-body").first
    expect(toast).to_contain_text("토큰 id (ids)의 값이 잘못되었습니다: 99999999은(는) 이 토크나이저의 토큰 id가 아닙니다",
                                  timeout=60_000)
    expect(page.locator(".toast-title").first).to_have_text("오류")
    shoot(page, "korean_field_error")
