"""Tokenizer tab in the browser: type Korean text, see coloured tokens (raw and readable), compare two
tokenizers side by side, and run decode, look-up, add tokens and chat template. Screenshots go to
screenshots/tokenizer_*.png."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

KOREAN = "안녕하세요! 토크나이저는 문장을 토큰으로 나눕니다."


def open_task(page, base_url, task_tab: str):
    from playwright.sync_api import expect

    page.goto(base_url)
    expect(page.get_by_role("tab").first).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="Tokenizer", exact=True).click()
    page.get_by_role("tab", name=task_tab, exact=True).click()
    expect(page.get_by_role("tab", name=task_tab, exact=True)).to_have_attribute("aria-selected", "true")


def pick_model(scope, value: str) -> None:
    box = scope.get_by_label("Model", exact=True)
    box.fill(value)
    box.press("Enter")


def test_korean_tokens_and_comparison(page, base_url, pack_dir, shoot):
    from playwright.sync_api import expect

    open_task(page, base_url, "Tokenize")
    task = page.locator("#task_tokenize")
    page.locator("#tokenize_text textarea").fill(KOREAN)
    pick_model(task, str(pack_dir / "SmolLM2-135M-Instruct"))
    task.get_by_role("button", name="Run").click()
    tokens = page.locator("#tokenize_tokens")
    expect(tokens.locator(".tk").first).to_be_visible(timeout=60_000)
    expect(tokens).to_contain_text("Readable")
    # the readable row shows Hangul syllables, the raw row the byte characters
    expect(tokens.locator(".tkrow").nth(1)).to_contain_text("안")
    expect(tokens.locator(".tkrow").nth(0)).not_to_contain_text("안")
    title = tokens.locator(".tk").first.get_attribute("title")  # the hover details
    assert title.startswith("#0 · id ") and "chars 0–1 '안'" in title and "word 0" in title
    expect(page.locator("#tokenize_facts")).to_contain_text("byte-level BPE")
    expect(page.locator("#tokenize_encoding")).to_contain_text("input_ids")
    shoot(page, "tokenizer_tokenize")

    page.get_by_role("tab", name="Compare tokenizers", exact=True).click()
    compare = page.locator("#task_tokenizer_compare")
    page.locator("#tokenizer_compare_text textarea").fill(KOREAN)
    for picker, name in (("#tokenizer_compare_model", "all-MiniLM-L6-v2"), ("#tokenizer_compare_model_2",
                                                                           "SmolLM2-135M-Instruct")):
        box = page.locator(f"#tokenizer_compare_models {picker} input")  # one picker per tokenizer
        box.fill(str(pack_dir / name))
        box.press("Enter")
    compare.get_by_role("button", name="Run").click()
    columns = page.locator("#tokenizer_compare_tokens .tkcol")
    expect(columns).to_have_count(2, timeout=60_000)
    for i, name in enumerate(("all-MiniLM-L6-v2", "SmolLM2-135M-Instruct")):
        expect(columns.nth(i)).to_contain_text(name)
        assert columns.nth(i).locator(".tk").count() > 10
    expect(columns.nth(0)).to_contain_text("WordPiece")
    expect(columns.nth(1)).to_contain_text("토")
    expect(page.locator("#tokenizer_compare_table")).to_contain_text("byte-level BPE")
    shoot(page, "tokenizer_compare")


def test_decode_lookup_add_tokens_and_chat_template(page, base_url, pack_dir, shoot):
    from playwright.sync_api import expect

    minilm, smol = str(pack_dir / "all-MiniLM-L6-v2"), str(pack_dir / "SmolLM2-135M-Instruct")
    open_task(page, base_url, "Decode")
    task = page.locator("#task_decode")
    page.locator("#decode_ids textarea").fill("101, 1045, 2572, 1037, 2879, 1012, 102")
    page.locator("#decode_text textarea").fill("I am a boy.")
    pick_model(task, minilm)
    task.get_by_role("button", name="Run").click()
    expect(page.locator("#decode_decoded textarea")).to_have_value("[CLS] i am a boy. [SEP]", timeout=60_000)
    expect(page.locator("#decode_round_trip")).to_contain_text("Only case and spacing differ")
    shoot(page, "tokenizer_decode")

    page.get_by_role("tab", name="Look up tokens", exact=True).click()
    task = page.locator("#task_token_lookup")
    page.locator("#token_lookup_tokens").get_by_role("textbox").fill("I am a boy")
    page.locator("#token_lookup_ids").get_by_role("textbox").fill("2572")
    pick_model(task, minilm)
    task.get_by_role("button", name="Run").click()
    expect(page.locator("#token_lookup_to_ids")).to_contain_text("2572", timeout=60_000)
    expect(page.locator("#token_lookup_to_tokens")).to_contain_text("am")
    shoot(page, "tokenizer_token_lookup")

    page.get_by_role("tab", name="Add tokens", exact=True).click()
    task = page.locator("#task_add_tokens")
    page.locator("#add_tokens_new").get_by_role("textbox").fill("허깅페이스")
    page.locator("#add_tokens_text textarea").fill("허깅페이스의 트랜스포머")
    pick_model(task, smol)
    task.get_by_role("button", name="Run").click()
    expect(page.locator("#add_tokens_summary")).to_contain_text("resize_token_embeddings(49153)", timeout=60_000)
    expect(page.locator("#add_tokens_tokens .tk.new")).to_have_count(1)
    shoot(page, "tokenizer_add_tokens")

    page.get_by_role("tab", name="Chat template", exact=True).click()
    task = page.locator("#task_chat_template")
    page.locator("#chat_template_messages textarea").fill("system: Be brief.\nuser: 안녕하세요!")
    pick_model(task, smol)
    task.get_by_role("button", name="Run").click()
    expect(page.locator("#chat_template_text textarea")).to_have_value(
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n안녕하세요!<|im_end|>\n<|im_start|>assistant\n",
        timeout=60_000)
    expect(page.locator("#chat_template_tokens .tk.sp").first).to_contain_text("<|im_start|>")
    shoot(page, "tokenizer_chat_template")

    # a tokenizer without a chat template gives one readable error
    pick_model(task, minilm)
    task.get_by_role("button", name="Run").click()
    expect(page.get_by_text("no chat template").first).to_be_visible(timeout=60_000)
    page.wait_for_timeout(700)  # let the error toast finish fading in
    shoot(page, "tokenizer_chat_template_error")
