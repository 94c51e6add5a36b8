"""The Dataset sub-tabs (core.dataset_ui): a CSV run through the API (/dataset_text) and in the browser, with the
progress bar, the last rows, the label counts, the downloads (CSV, JSON Lines, Parquet) and the Code panel; one
clear line for bad input; the Korean page."""

from __future__ import annotations

import csv
import json

import pytest

ROWS = 400
WORDS = ["good", "bad", "fine", "awful", "great", "calm", "film", "movie", "day", "night"]


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    """A CSV of ROWS short reviews (column `review`) and an id column."""
    path = tmp_path_factory.mktemp("dataset-ui") / "reviews.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "review"])
        for i in range(ROWS):
            writer.writerow([i, f"A {WORDS[i % 10]} {WORDS[(i * 7) % 10]} number {i}."])
    return path


def value_of(output):
    return output["value"] if isinstance(output, dict) and "value" in output else output


def test_api_runs_a_csv_and_offers_the_three_files(client, tiny, reviews):
    from gradio_client import handle_file

    bar, summary, chart, gallery, results, files, code = map(value_of, client.predict(
        task="text-classification", model=str(tiny["bert-seqcls"]), upload=handle_file(str(reviews)), dataset="",
        config="", split="", column="review", reference="", limit=30, batch_size=4, params={"top_k": 1},
        api_name="/dataset_text"))
    assert 'data-state="done"' in bar and 'data-done="30"' in bar
    assert "**30 rows**, 0 failed" in summary
    assert results["headers"] == ["#", "review", "output", "error"] and len(results["data"]) == 20
    assert [row[0] for row in results["data"]] == list(range(30, 10, -1))  # the last rows, newest first
    names = sorted(f.rsplit("/", 1)[-1].rsplit(".", 1)[-1] for f in files)
    assert names == ["csv", "jsonl", "parquet"]
    jsonl = next(f for f in files if f.endswith(".jsonl"))
    with open(jsonl, encoding="utf-8") as f:
        lines = [json.loads(line) for line in f]
    assert len(lines) == 30 and [r["review"] for r in lines] == [f"A {WORDS[i % 10]} {WORDS[(i * 7) % 10]} number {i}."
                                                                  for i in range(30)]
    assert all(len(r["output"]) == 1 and r["output"][0]["label"] in ("NEGATIVE", "POSITIVE") for r in lines)
    labels = {r["output"][0]["label"] for r in lines}
    counts = {row[chart["columns"].index("label")]: row[chart["columns"].index("count")] for row in chart["data"]}
    assert set(counts) == labels and sum(counts.values()) == 30  # the label counts chart
    assert "KeyDataset(ds, 'review')" in code and "batch_size=4" in code and "top_k=1" in code


def test_api_bad_input_is_one_line(client, tiny, reviews):
    from gradio_client import handle_file

    call = dict(task="text-classification", model=str(tiny["bert-seqcls"]), upload=handle_file(str(reviews)),
                dataset="", config="", split="", column="nope", reference="", limit=5, batch_size=4, params={},
                api_name="/dataset_text")
    with pytest.raises(Exception, match="has no column nope"):
        client.predict(**call)
    with pytest.raises(Exception, match="Hugging Face dataset and this app runs offline"):
        client.predict(**{**call, "upload": None, "dataset": "PolyAI/minds14", "column": ""})
    with pytest.raises(Exception, match="more than this server allows"):
        client.predict(**{**call, "column": "review", "limit": 10**7})


@pytest.mark.browser
def test_browser_runs_a_csv_watches_progress_and_downloads_the_rows(page, base_url, tiny, reviews, shoot):
    from playwright.sync_api import expect

    page.goto(base_url)
    page.get_by_role("tab", name="Text", exact=True).click()
    page.locator("#task_dataset_text-button").click()
    panel = page.locator("#task_dataset_text")
    expect_empty_panel(page, "Choose a file or a dataset")
    shoot(page, "dataset_text_empty")
    model = page.locator("#dataset_text_model input")
    model.fill(str(tiny["bert-seqcls"]))
    model.press("Enter")
    page.locator("#dataset_text_upload input[type=file]").set_input_files(str(reviews))
    expect(page.locator("#dataset_text_preview")).to_contain_text("review (string)", timeout=30_000)
    expect(page.locator("#dataset_text_hint")).to_be_hidden()
    expect(page.locator("#dataset_text_column input")).to_have_value("review")
    expect(panel).to_contain_text("top_k")  # the task's own parameters, drawn from its fields
    page.locator("#dataset_text_batch_size input[type=number]").fill("2")
    page.locator("#dataset_text_batch_size input[type=number]").press("Enter")
    # every value the progress bar shows, as it changes
    page.evaluate("""() => { window.seenDone = [];
        new MutationObserver(() => { const bar = document.querySelector('#dataset_text_progress .dataset-progress');
            if (bar) window.seenDone.push([bar.dataset.state, Number(bar.dataset.done)]); })
        .observe(document.querySelector('#dataset_text_progress'), {subtree: true, childList: true, attributes: true});
    }""")
    page.locator("#dataset_text_run").click()
    expect(page.locator("#dataset_text_progress .dataset-progress[data-state=done]")).to_be_attached(timeout=120_000)
    expect(page.locator("#dataset_text_progress")).to_contain_text(f"{ROWS} of {ROWS} rows")
    seen = page.evaluate("window.seenDone")
    assert seen[-1] == ["done", ROWS] and any(state == "running" for state, _ in seen)
    assert [done for _, done in seen] == sorted(done for _, done in seen)  # it only goes forward
    expect(page.locator("#dataset_text_summary")).to_contain_text(f"{ROWS} rows")
    expect(page.locator("#dataset_text_results")).to_contain_text(f"number {ROWS - 1}.")
    expect(page.locator("#dataset_text_chart").locator("canvas, svg").first).to_be_visible()
    expect(page.locator("#dataset_text_code")).to_contain_text("KeyDataset(ds, 'review')")
    shoot(page, "dataset_text")
    rows = downloaded_csv(page)
    assert len(rows) == ROWS and rows[-1]["review"] == f"A {WORDS[(ROWS - 1) % 10]} {WORDS[((ROWS - 1) * 7) % 10]} number {ROWS - 1}."
    assert all(json.loads(r["output"])[0]["label"] in ("NEGATIVE", "POSITIVE") and not r["error"] for r in rows)


def expect_empty_panel(page, hint: str) -> None:
    """Before a file is chosen: a hint line, no table (gradio's headers 1 2 3) and no raw {..} parameter box."""
    from playwright.sync_api import expect

    expect(page.locator("#dataset_text_hint")).to_contain_text(hint, timeout=30_000)
    expect(page.locator("#dataset_text_preview")).to_be_hidden()
    expect(page.locator("#dataset_text_params")).to_be_hidden()


def downloaded_csv(page) -> list[dict]:
    """The rows of the panel's CSV download, fetched as the browser downloads it."""
    link = page.locator("#dataset_text_files tr", has_text=".csv").locator("a").first
    with page.expect_download() as info:
        link.click()
    with open(info.value.path(), encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.browser
def test_browser_cancel_stops_the_run_and_keeps_what_ran(page, base_url, tiny, tmp_path, shoot):
    """Cancel stops a long run at its next chunk; the downloads hold exactly the rows that ran."""
    from playwright.sync_api import expect

    path = tmp_path / "many.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text"])
        writer.writerows([f"Sentence number {i} about {WORDS[i % 10]}."] for i in range(5000))
    page.goto(base_url)
    page.get_by_role("tab", name="Text", exact=True).click()
    page.locator("#task_dataset_text-button").click()
    model = page.locator("#dataset_text_model input")
    model.fill(str(tiny["bert-seqcls"]))
    model.press("Enter")
    page.locator("#dataset_text_upload input[type=file]").set_input_files(str(path))
    expect(page.locator("#dataset_text_column input")).to_have_value("text", timeout=30_000)
    page.locator("#dataset_text_batch_size input[type=number]").fill("1")
    page.locator("#dataset_text_batch_size input[type=number]").press("Enter")
    page.locator("#dataset_text_run").click()
    expect(page.locator("#dataset_text_progress .dataset-progress[data-state=running]:not([data-done='0'])")
           ).to_be_attached(timeout=120_000)
    page.locator("#dataset_text_cancel").dispatch_event("click")
    bar = page.locator("#dataset_text_progress .dataset-progress[data-state=cancelled]")
    expect(bar).to_be_attached(timeout=60_000)
    done = int(bar.get_attribute("data-done"))
    assert 0 < done < 5000
    rows = downloaded_csv(page)
    assert len(rows) == done and rows[-1]["text"] == f"Sentence number {done - 1} about {WORDS[(done - 1) % 10]}."
    shoot(page, "dataset_text_cancelled")


@pytest.mark.browser
def test_browser_korean_dataset_panel(browser, base_url, tiny, reviews, shoot):
    from playwright.sync_api import expect

    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        page.goto(base_url)
        expect(page.locator("#title")).to_contain_text("트랜스포머 플레이그라운드", timeout=60_000)
        page.get_by_role("tab", name="텍스트", exact=True).click()
        page.get_by_role("tab", name="데이터셋", exact=True).click()
        panel = page.locator("#task_dataset_text")
        expect(panel).to_contain_text("입력 열")
        expect_empty_panel(page, "파일이나 데이터셋을 고르세요")
        shoot(page, "dataset_text_empty_ko")
        model = page.locator("#dataset_text_model input")
        model.fill(str(tiny["bert-seqcls"]))
        model.press("Enter")
        page.locator("#dataset_text_upload input[type=file]").set_input_files(str(reviews))
        expect(page.locator("#dataset_text_column input")).to_have_value("review", timeout=30_000)
        page.locator("#dataset_text_limit input").fill("40")
        page.locator("#dataset_text_run").click()
        expect(page.locator("#dataset_text_progress")).to_contain_text("완료", timeout=120_000)
        expect(page.locator("#dataset_text_summary")).to_contain_text("40개 행")
        headers = page.locator("#dataset_text_results thead th")
        expect(headers.filter(has_text="출력")).to_have_count(1)  # output and error headed in Korean
        expect(headers.filter(has_text="오류")).to_have_count(1)
        expect(headers.filter(has_text="review")).to_have_count(1)  # the data's own column keeps its name
        expect(page.locator("#dataset_text_chart").locator("canvas, svg").first).to_be_visible()  # bars drawn
        shoot(page, "dataset_text_ko")
    finally:
        context.close()


def test_every_panel_string_reads_in_korean():
    """Every English text the panel shows (tr("...") in core/dataset_ui.py) has its Korean line."""
    import re

    from core.i18n import catalog
    from tests.conftest import ROOT

    source = (ROOT / "core" / "dataset_ui.py").read_text(encoding="utf-8")
    texts = set(re.findall(r'\btr\(\s*"((?:[^"\\]|\\.)+)"', source))
    texts |= set(re.findall(r'translate\(\s*"((?:[^"\\]|\\.)+)"', source))
    texts |= {"Done", "Cancelled"}
    assert len(texts) > 30
    missing = sorted(t for t in texts if t not in catalog("ko"))
    assert not missing
