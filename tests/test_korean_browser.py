"""A Korean browser sees the app in Korean from the one catalog (locales/ko): the title, the tabs, the widgets'
labels and help, and a refused input's line in the toast (the toast's own "Error" heading is gradio's, drawn
from the message type, untranslatable from the server)."""

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
