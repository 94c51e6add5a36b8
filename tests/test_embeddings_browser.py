"""Embeddings tab in a real browser (Debian's chromium through Playwright): paste labelled English and Korean
sentences, pick the offline pack's MiniLM by its folder, run, and see the map (PCA, then t-SNE), the similarity
heatmap, the vectors with their downloads, the nearest neighbours of a query, and one sentence's tokens with
their attention per layer and head; a CSV upload on a tiny model draws a 3D map. Screenshots go to
screenshots/embeddings_*.png."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

# paraphrase pairs, English and Korean, labelled by topic
SENTENCES = """animal | The cat sleeps on the warm sofa.
animal | A kitten is napping on the couch.
animal | 고양이가 따뜻한 소파 위에서 자고 있다.
money | The stock market fell sharply today.
money | Share prices dropped a lot this morning.
money | 오늘 주식 시장이 크게 하락했다.
food | I baked fresh bread this morning.
food | We had warm homemade bread for breakfast.
food | 오늘 아침에 빵을 직접 구웠다."""
ROWS = len(SENTENCES.splitlines())


def open_embeddings(page, base_url) -> None:
    from playwright.sync_api import expect

    page.goto(base_url)
    expect(page.get_by_role("tab").first).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="Embeddings", exact=True).click()
    expect(page.locator("#embeddings_run")).to_be_visible()


def open_view(page, title: str) -> None:
    from playwright.sync_api import expect

    tab = page.locator("#tab_embeddings").get_by_role("tab", name=title, exact=True)
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")


def pick_model(page, folder) -> None:
    model = page.locator("#embed_model input")
    model.fill(str(folder))
    model.press("Enter")


def plot_text(page, elem_id: str) -> str:
    """The visible text of a plotly figure (title, axis titles, ticks, legend)."""
    return page.locator(f"#{elem_id} .js-plotly-plot").first.inner_text()


def test_map_similarity_vectors_and_neighbours(page, base_url, pack_dir, shoot):
    from playwright.sync_api import expect

    open_embeddings(page, base_url)
    page.locator("#embeddings_text textarea").fill(SENTENCES)
    pick_model(page, pack_dir / "all-MiniLM-L6-v2")
    page.locator("#embeddings_run").click()

    summary = page.locator("#project_summary")
    expect(summary).to_contain_text(f"PCA of {ROWS} points to 2D took", timeout=90_000)
    expect(summary).to_contain_text("explained variance")
    scatter = page.locator("#project_plot .js-plotly-plot")
    expect(scatter).to_be_visible()
    assert scatter.locator(".scatterlayer .point").count() == ROWS
    text = plot_text(page, "project_plot")
    assert re.search(r"PC1 \(\d+\.\d%\)", text) and "PC2" in text, text
    for label in ("animal", "money", "food"):  # the legend
        assert label in text, text
    assert scatter.locator(".scatterlayer .textpoint").count() == ROWS  # few points: each shows its text
    assert "A kitten is napping on…" in text, text
    for name in ("projection.npy", "projection.csv"):
        expect(page.locator(f"#project_files a[href$='/{name}']")).to_have_count(1)
    shoot(page, "embeddings_map")

    page.get_by_role("radio", name="t-SNE").check()
    expect(page.get_by_role("spinbutton", name="number input for perplexity")).to_be_visible()
    page.locator("#project_update").click()
    expect(summary).to_contain_text(f"t-SNE of {ROWS} points to 2D took", timeout=60_000)
    expect(summary).to_contain_text("perplexity=")
    assert scatter.locator(".scatterlayer .point").count() == ROWS
    assert "t-SNE 1" in plot_text(page, "project_plot")
    shoot(page, "embeddings_tsne")

    open_view(page, "Similarity")
    heatmap = page.locator("#similarity_plot .js-plotly-plot")
    expect(heatmap).to_be_visible()
    text = plot_text(page, "similarity_plot")
    assert "cosine" in text and "[animal] The cat sleeps" in text, text
    shoot(page, "embeddings_similarity")
    code = page.locator("#similarity_code")
    expect(code).to_contain_text("press Run in this view for its own code")  # the Map's Run drew the heatmap
    page.locator("#similarity_run").click()
    expect(code).to_contain_text("similarity = (unit @ unit.T)", timeout=60_000)

    open_view(page, "Vectors")
    expect(page.locator("#embed_summary")).to_contain_text(f"{ROWS} vectors × 384 dimensions")
    expect(page.locator("#embed_summary")).to_contain_text("unit length")  # MiniLM's own Normalize module
    expect(page.locator("#embed_table")).to_contain_text("A kitten is napping on the couch.")
    for name in ("embeddings.npy", "embeddings.csv"):
        expect(page.locator(f"#embed_files a[href$='/{name}']")).to_have_count(1)
    shoot(page, "embeddings_vectors")

    open_view(page, "Neighbours")
    page.locator("#neighbors_query textarea, #neighbors_query input").first.fill("Stock prices went down.")
    page.locator("#neighbors_run").click()
    table = page.locator("#neighbors_table")
    expect(page.locator("#neighbors_note")).to_contain_text("Stock prices went down.", timeout=60_000)
    first = table.locator("[role=row]").nth(1)
    expect(first).to_contain_text("money")
    expect(first).to_contain_text(re.compile(r"stock market|Share prices"))
    shoot(page, "embeddings_neighbors")


def test_tokens_and_attention_per_layer_and_head(page, base_url, pack_dir, shoot):
    from playwright.sync_api import expect

    open_embeddings(page, base_url)
    pick_model(page, pack_dir / "all-MiniLM-L6-v2")
    open_view(page, "Tokens & attention")
    page.locator("#attention_sentence textarea, #attention_sentence input").first.fill(
        "The cat sat on the mat because it was tired.")
    page.locator("#attention_run").click()
    note = page.locator("#attention_note")
    expect(note).to_contain_text("13 tokens · 6 layers × 12 heads", timeout=60_000)
    expect(page.locator("#attention_norms .js-plotly-plot")).to_be_visible(timeout=30_000)  # plotly draws after the note, slowly on a busy machine
    assert "layer 6" in plot_text(page, "attention_norms")
    heads = page.locator("#attention_plot .js-plotly-plot")
    expect(heads).to_contain_text("head 11")  # all heads, small multiples
    expect(heads).to_contain_text("rows = query token")
    shoot(page, "embeddings_attention_heads")

    head = page.locator("#attention_head input")
    head.click()
    page.get_by_role("option", name="head 3", exact=True).click()
    plot = page.locator("#attention_plot .js-plotly-plot")
    expect(plot).to_contain_text("layer 6 (head 3)")
    expect(plot).to_contain_text("key (attended to)")
    layer = page.locator("#attention_layer input[type=number]")
    layer.fill("2")
    layer.press("Enter")
    expect(plot).to_contain_text("layer 2 (head 3)")
    expect(plot).to_contain_text("tired")
    shoot(page, "embeddings_attention")


def test_csv_upload_on_a_3d_map(page, base_url, tiny, shoot, tmp_path):
    from playwright.sync_api import expect

    table = tmp_path / "sentences.csv"
    table.write_text("id,text,label\n1,the cat,animal\n2,a red car,road\n3,the dog on the road,animal\n"
                     "4,a blue car,road\n5,the cat and the dog,animal\n", encoding="utf-8")
    open_embeddings(page, base_url)
    page.locator("#embeddings_file input[type=file]").set_input_files(str(table))
    expect(page.locator("#embeddings_file")).to_contain_text("sentences.csv")
    pick_model(page, tiny["bert-base"])
    page.get_by_role("radio", name="3", exact=True).check()
    page.locator("#embeddings_run").click()
    expect(page.locator("#project_summary")).to_contain_text("PCA of 5 points to 3D", timeout=60_000)
    expect(page.locator("#project_plot .js-plotly-plot .gl-container")).to_have_count(1, timeout=30_000)  # a WebGL 3D scene
    shoot(page, "embeddings_map_3d")
