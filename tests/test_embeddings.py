"""Embeddings tab: rows from typed lines and uploads, real sentence embeddings with the offline pack's MiniLM
(paraphrases nearest, the app's vectors equal the model called directly, projections deterministic, attention
rows summing to 1), every pooling and the image paths on tiny random models, the shown code reproducing the app,
the five API endpoints and the CLI."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.errors import UserError
from demos.embeddings import compute, snippets
from demos.embeddings.inputs import MAX_ROWS, Row, parse_lines, read_rows
from demos.embeddings.tasks import ATTENTION, EMBED, NEIGHBORS, PROJECT, SIMILARITY

ROOT = Path(__file__).resolve().parent.parent

# three pairs of paraphrases, each pair about something else
PARAPHRASES = [
    "food | A man is eating a piece of bread.",
    "money | The stock market crashed today.",
    "music | Someone is playing the guitar on stage.",
    "food | A guy eats some bread.",
    "money | Share prices fell sharply this morning.",
    "music | A musician performs a song with his guitar.",
]
PARTNER = {0: 3, 3: 0, 1: 4, 4: 1, 2: 5, 5: 2}
TEXT = "\n".join(PARAPHRASES)


@pytest.fixture(scope="module")
def minilm(pack_dir) -> str:
    return str(pack_dir / "all-MiniLM-L6-v2")


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> list[str]:
    """Two small images: a red square and a blue-green gradient."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("pictures")
    red = folder / "red.png"
    Image.new("RGB", (40, 40), (220, 30, 30)).save(red)
    ramp = np.stack(np.meshgrid(np.linspace(0, 255, 48), np.linspace(0, 255, 36)), -1).astype(np.uint8)
    grad = folder / "gradient.jpg"
    Image.fromarray(np.dstack([ramp[..., 0] * 0, ramp[..., 0], ramp[..., 1]])).save(grad)
    return [str(red), str(grad)]


def run(manager, task, model, inputs, params=None):
    return manager.run(task, str(model), inputs, {**task.params, **(params or {})})


def execute(code: str) -> dict:
    """Run a shown snippet in a fresh namespace (its prints swallowed); returns the namespace."""
    namespace: dict = {"__name__": "__snippet__"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace


# ---- rows ---------------------------------------------------------------------------------------------------
def test_rows_from_lines_csv_tsv_txt_and_images(tmp_path, pictures):
    rows = parse_lines("animal | The cat sleeps.\n\n  plain line without label  \n| no label\nx | a | b\nlabel only |")
    assert [(r.text, r.label) for r in rows] == [
        ("The cat sleeps.", "animal"), ("plain line without label", ""), ("no label", ""), ("a | b", "x"),
        ("label only |", "")]

    csv_file = tmp_path / "data.csv"  # label column first, an extra column, an empty text row
    csv_file.write_text('category,id,sentence\nfood,1,"Bread, butter and jam."\nmoney,2,\nmoney,3,Stocks fell.\n',
                        encoding="utf-8")
    assert [(r.text, r.label) for r in read_rows({"file": str(csv_file)})] == [
        ("Bread, butter and jam.", "food"), ("Stocks fell.", "money")]

    korean = tmp_path / "korean.csv"  # Excel's Korean CSV: CP949, semicolons, header without known names
    korean.write_bytes("문장;분류\n고양이가 잔다.;동물\n주가가 떨어졌다.;경제\n".encode("cp949"))
    assert [(r.text, r.label) for r in read_rows({"file": str(korean)})] == [
        ("고양이가 잔다.", "동물"), ("주가가 떨어졌다.", "경제")]

    tsv = tmp_path / "data.tsv"
    tsv.write_text("text\tlabel\nOne, two.\tnumbers\n", encoding="utf-8")
    assert read_rows({"file": str(tsv)}) == [Row("One, two.", "numbers")]

    txt = tmp_path / "lines.txt"
    txt.write_text("\ufeffa | first\nsecond\n", encoding="utf-8")
    # an upload replaces the typed lines; images come after the texts
    rows = read_rows({"text": "typed | ignored", "file": {"path": str(txt)}, "images": pictures})
    assert [(r.text, r.label, r.kind) for r in rows] == [
        ("first", "a", "text"), ("second", "", "text"), ("red.png", "image", "image"),
        ("gradient.jpg", "image", "image")]

    with pytest.raises(UserError) as err:
        read_rows({"text": " \n "})
    assert err.value.key == "empty_input"
    with pytest.raises(UserError) as err:
        read_rows({"text": "x\n" * (MAX_ROWS + 1)})
    assert err.value.key == "too_large"
    binary = tmp_path / "model.csv"
    binary.write_bytes(b"\x00\x01\x02PK")
    with pytest.raises(UserError) as err:
        read_rows({"file": str(binary)})
    assert err.value.key == "bad_file"


# ---- real embeddings: MiniLM from the offline pack ------------------------------------------------------------
def test_paraphrases_are_nearest_in_the_matrix_and_the_neighbours(manager, minilm):
    matrix = np.array(run(manager, SIMILARITY, minilm, {"text": TEXT}).output)
    assert matrix.shape == (6, 6)
    assert np.allclose(np.diag(matrix), 1.0, atol=1e-5) and np.allclose(matrix, matrix.T, atol=1e-6)
    for i, j in PARTNER.items():
        others = [matrix[i, k] for k in range(6) if k not in (i, j)]
        assert matrix[i, j] > max(others) + 0.2, (PARAPHRASES[i], matrix[i].round(2))

    for metric in ("cosine", "euclidean"):
        out = run(manager, NEIGHBORS, minilm, {"text": TEXT, "query": "Stocks dropped a lot today."},
                  {"metric": metric, "top_k": 3, "normalize": True}).output
        hits = out["neighbors"]
        assert [h["rank"] for h in hits] == [1, 2, 3]
        assert {hits[0]["index"], hits[1]["index"]} == {1, 4}, hits
        assert hits[0]["label"] == "money" and hits[0]["text"] in PARAPHRASES[hits[0]["index"]]
        scores = [h["score"] for h in hits]
        assert scores == sorted(scores, reverse=metric == "cosine")


def test_the_apps_vectors_equal_the_model_called_directly(manager, minilm):
    import torch
    from transformers import AutoModel, AutoTokenizer

    texts = [line.split("|", 1)[1].strip() for line in PARAPHRASES]
    tokenizer = AutoTokenizer.from_pretrained(minilm)
    model = AutoModel.from_pretrained(minilm)
    batch = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        output = model(**batch, output_hidden_states=True)
    mask = batch["attention_mask"].unsqueeze(-1).float()
    mean = (output.last_hidden_state * mask).sum(1) / mask.sum(1)

    # auto = the model's own sentence-transformers recipe: mean pooling, then Normalize
    auto = np.array(run(manager, EMBED, minilm, {"text": TEXT}).output)
    assert auto.shape == (6, 384)
    assert np.abs(auto - torch.nn.functional.normalize(mean, dim=-1).numpy()).max() < 1e-5
    plain = np.array(run(manager, EMBED, minilm, {"text": TEXT}, {"pooling": "mean"}).output)
    assert np.abs(plain - mean.numpy()).max() < 1e-5
    assert not np.allclose(np.linalg.norm(plain, axis=1), 1.0, atol=1e-3)
    cls3 = np.array(run(manager, EMBED, minilm, {"text": TEXT}, {"pooling": "cls", "layer": 3}).output)
    assert np.abs(cls3 - output.hidden_states[3][:, 0].numpy()).max() < 1e-5
    pooler = np.array(run(manager, EMBED, minilm, {"text": TEXT}, {"pooling": "pooler", "normalize": True}).output)
    assert np.abs(pooler - torch.nn.functional.normalize(output.pooler_output, dim=-1).numpy()).max() < 1e-5


def test_projections_have_the_right_shapes_and_follow_the_seed(manager, minilm):
    pca = run(manager, PROJECT, minilm, {"text": TEXT}).output
    assert pca["method"] == "pca" and np.array(pca["points"]).shape == (6, 2)
    ratios = pca["explained_variance_ratio"]
    assert len(ratios) == 2 and ratios[0] >= ratios[1] > 0 and sum(ratios) <= 1
    assert pca["seconds"] >= 0
    pca3 = run(manager, PROJECT, minilm, {"text": TEXT}, {"dimensions": 3}).output
    assert np.array(pca3["points"]).shape == (6, 3) and len(pca3["explained_variance_ratio"]) == 3

    tsne = [run(manager, PROJECT, minilm, {"text": TEXT}, {"method": "tsne", "seed": 7}).output for _ in range(2)]
    assert np.array(tsne[0]["points"]).shape == (6, 2)
    assert tsne[0]["points"] == tsne[1]["points"]  # (PCA initialisation: other seeds give the same map too)
    assert tsne[0]["parameters"]["perplexity"] < 6  # lowered to what 6 points allow

    with pytest.raises(UserError) as err:
        run(manager, PROJECT, minilm, {"text": "one\ntwo\nthree"}, {"dimensions": 3})
    assert err.value.key == "bad_param" and "at least 4 rows" in err.value.text()


def test_umap_is_deterministic_with_a_seed(manager, minilm):
    runs = [run(manager, PROJECT, minilm, {"text": TEXT}, {"method": "umap", "dimensions": dims, "seed": 3}).output
            for dims in (2, 2, 3)]
    assert np.array(runs[0]["points"]).shape == (6, 2) and np.array(runs[2]["points"]).shape == (6, 3)
    assert runs[0]["points"] == runs[1]["points"]
    other = run(manager, PROJECT, minilm, {"text": TEXT}, {"method": "umap", "seed": 4}).output
    assert other["points"] != runs[0]["points"]
    assert runs[0]["parameters"]["n_neighbors"] == 5  # lowered below the number of points


def test_attention_rows_sum_to_one_and_norms_cover_every_layer(manager, minilm):
    out = run(manager, ATTENTION, minilm, {"sentence": "I am a boy."}).output
    assert out["tokens"] == ["[CLS]", "I", "am", "a", "boy", ".", "[SEP]"]  # as written, from the offsets
    assert out["token_strings"][1] == "i"  # the uncased tokenizer's own token
    assert (out["layers"], out["heads"]) == (6, 12) and not out["truncated"]
    weights = np.array(out["attentions"])
    assert weights.shape == (6, 12, 7, 7)
    assert np.abs(weights.sum(-1) - 1).max() < 1e-3 and weights.min() >= 0
    norms = np.array(out["hidden_norms"])
    assert norms.shape == (7, 7) and (norms > 0).all()

    long = " ".join(["word"] * 200)
    cut = run(manager, ATTENTION, minilm, {"sentence": long}).output
    assert cut["truncated"] and len(cut["tokens"]) == compute.MAX_TOKENS


def test_one_embedding_is_shared_by_every_view(manager, tiny, monkeypatch):
    calls = []
    original = compute.encode_texts
    monkeypatch.setattr(compute, "encode_texts", lambda model, proc, texts, plan: calls.append(len(texts))
                        or original(model, proc, texts, plan))
    compute.cache_clear()
    inputs = {"text": "red | a red car\nblue | the blue sky\nred | a red apple\nblue | blue water"}
    for task in (EMBED, SIMILARITY, PROJECT):
        run(manager, task, tiny["bert-base"], inputs)
    run(manager, NEIGHBORS, tiny["bert-base"], {**inputs, "query": "a car"})
    assert calls == [4, 1]  # the rows once, then the query
    run(manager, EMBED, tiny["bert-base"], inputs, {"pooling": "cls"})
    assert calls == [4, 1, 4]  # another pooling is another embedding


def test_projections_run_outside_the_models_lock(manager, tiny, monkeypatch):
    """A long t-SNE/UMAP must not hold the model: other users of the same model would wait for it."""
    model = str(tiny["bert-base"])
    entry, _ = manager.get(PROJECT.loader, model, task=PROJECT)
    held = []
    project = compute.project
    monkeypatch.setattr(compute, "project", lambda vectors, p: held.append(entry.lock.locked()) or project(vectors, p))
    out = run(manager, PROJECT, model, {"text": "a red car\nthe blue sky\na red apple\nblue water"}).output
    assert held == [False]
    assert np.array(out["points"]).shape == (4, 2) and len(out["explained_variance_ratio"]) == 2


# ---- every pooling and the image paths, on tiny random models ------------------------------------------------
def test_poolings_layers_and_clear_errors_on_a_text_model(manager, tiny, pictures):
    bert = tiny["bert-base"]
    inputs = {"text": "the cat\nthe dog is on the road\na red car"}
    for pooling in compute.POOLINGS:
        vectors = np.array(run(manager, EMBED, bert, inputs, {"pooling": pooling}).output)
        assert vectors.shape == (3, 32), pooling
    for layer in (0, 1, 2, -2):
        assert np.array(run(manager, EMBED, bert, inputs, {"layer": layer}).output).shape == (3, 32)
    unit = np.array(run(manager, EMBED, bert, inputs, {"normalize": True, "batch_size": 2}).output)
    assert np.allclose(np.linalg.norm(unit, axis=1), 1, atol=1e-5)

    def fails(params=None, extra=None):
        with pytest.raises(UserError) as err:
            run(manager, EMBED, bert, {**inputs, **(extra or {})}, params)
        assert err.value.key == "bad_param"
        return err.value.text()

    assert "0 (embeddings) to 2" in fails({"layer": 5})
    assert "last layer only" in fails({"pooling": "pooler", "layer": 1})
    assert "choose one of" in fails({"pooling": "median"})
    assert "reads text only" in fails(extra={"images": pictures})


def test_clip_puts_texts_and_images_in_one_space(manager, tiny, pictures):
    clip = tiny["clip"]
    inputs = {"text": "a red square\na blue gradient", "images": pictures}
    vectors = np.array(run(manager, EMBED, clip, inputs).output)
    assert vectors.shape == (4, 16)  # projection_dim: texts and images side by side
    matrix = np.array(run(manager, SIMILARITY, clip, inputs).output)
    assert matrix.shape == (4, 4)
    hits = run(manager, NEIGHBORS, clip, {**inputs, "query": "red"}, {"top_k": 4}).output["neighbors"]
    assert sorted(h["index"] for h in hits) == [0, 1, 2, 3]
    assert {h["kind"] for h in hits} == {"text", "image"}
    images_only = np.array(run(manager, EMBED, clip, {"images": pictures}, {"normalize": True}).output)
    assert images_only.shape == (2, 16) and np.allclose(np.linalg.norm(images_only, axis=1), 1, atol=1e-5)
    with pytest.raises(UserError) as err:
        run(manager, EMBED, clip, inputs, {"pooling": "mean"})
    assert "joint" in err.value.text() or "projection" in err.value.text()
    tokens = run(manager, ATTENTION, clip, {"sentence": "a red car"}).output
    assert np.abs(np.array(tokens["attentions"]).sum(-1) - 1).max() < 1e-3


@pytest.mark.parametrize("name", ["vit-imgcls", "dinov2"])
def test_image_models_embed_images(manager, tiny, pictures, name):
    model = tiny[name]
    for params in ({}, {"pooling": "mean"}, {"pooling": "max", "layer": 1}):
        vectors = np.array(run(manager, EMBED, model, {"images": pictures}, params).output)
        assert vectors.shape == (2, 32), params
    with pytest.raises(UserError) as err:
        run(manager, EMBED, model, {"text": "a sentence", "images": pictures})
    assert "reads images only" in err.value.text()
    with pytest.raises(UserError) as err:
        run(manager, ATTENTION, model, {"sentence": "a sentence"})
    assert err.value.key == "bad_param"


# ---- the shown code reproduces the app ------------------------------------------------------------------------
def test_the_code_panels_reproduce_the_app(manager, minilm):
    inputs = {"text": TEXT, "query": "Stocks dropped a lot today."}
    emb = run(manager, EMBED, minilm, inputs)
    assert "max_length=256" in emb.code and "normalize" in emb.code
    ns = execute(emb.code)
    assert np.abs(ns["embeddings"].numpy() - np.array(emb.output)).max() < 1e-5

    sim = run(manager, SIMILARITY, minilm, inputs, {"pooling": "cls", "layer": 4})
    assert np.abs(execute(sim.code)["similarity"].numpy() - np.array(sim.output)).max() < 1e-5

    pca = run(manager, PROJECT, minilm, inputs, {"dimensions": 3})
    ns = execute(pca.code)
    assert np.abs(ns["points"] - np.array(pca.output["points"])).max() < 1e-4
    assert np.allclose(ns["pca"].explained_variance_ratio_, pca.output["explained_variance_ratio"], atol=1e-5)

    near = run(manager, NEIGHBORS, minilm, inputs, {"metric": "euclidean", "normalize": True, "top_k": 4})
    ns = execute(near.code)
    assert ns["nearest"].tolist() == [h["index"] for h in near.output["neighbors"]]
    assert np.allclose(ns["scores"][ns["nearest"]].numpy(), [h["score"] for h in near.output["neighbors"]], atol=1e-5)

    att = run(manager, ATTENTION, minilm, {"sentence": "I am a boy."})
    ns = execute(att.code)
    assert ns["tokens"] == att.output["token_strings"]
    assert np.abs(ns["attentions"].numpy() - np.array(att.output["attentions"])).max() < 1e-4
    assert np.abs(ns["norms"].numpy() - np.array(att.output["hidden_norms"])).max() < 1e-3


def test_the_code_reads_big_uploads_and_loads_images_like_the_app(manager, tiny, pictures, tmp_path, monkeypatch):
    monkeypatch.setattr(snippets, "LITERAL_ROWS", 2)  # from 3 rows on, the code reads the file itself
    table = tmp_path / "rows.csv"
    table.write_text("id,text,label\n1,the cat,a\n2,,b\n3,the red car,b\n4,a dog on the road,a\n", encoding="utf-8")
    lines = tmp_path / "rows.txt"
    lines.write_text("a | the cat\n\nthe red car\nb | a dog | on the road\n", encoding="utf-8")
    for upload in (table, lines):
        result = run(manager, EMBED, tiny["bert-base"], {"file": str(upload)}, {"pooling": "last", "batch_size": 2})
        assert "open(" in result.code and "texts = ['" not in result.code
        ns = execute(result.code)
        assert ns["texts"] == [r.text for r in read_rows({"file": str(upload)})]
        assert np.abs(ns["embeddings"].numpy() - np.array(result.output)).max() < 1e-5

    clip = run(manager, EMBED, tiny["clip"], {"text": "a red square", "images": pictures}, {"normalize": True})
    ns = execute(clip.code)
    assert np.abs(ns["embeddings"].numpy() - np.array(clip.output)).max() < 1e-5
    dino = run(manager, EMBED, tiny["dinov2"], {"images": pictures}, {"pooling": "mean", "layer": 1})
    assert np.abs(execute(dino.code)["embeddings"].numpy() - np.array(dino.output)).max() < 1e-5


# ---- the API and the CLI ---------------------------------------------------------------------------------------
def test_projections_wait_in_a_queue_of_their_own(app):
    """t-SNE/UMAP on thousands of rows run one at a time in their own queue, not in the other tasks'."""
    events = {fn.api_name: fn for fn in app.demo.fns.values()}
    assert (events["project"].concurrency_id, events["project"].concurrency_limit) == ("embeddings_projection", 1)
    assert events["embed"].concurrency_id != "embeddings_projection"


def test_every_endpoint_through_gradio_client(client, minilm):
    common = dict(text=TEXT, file=None, images=[], pooling="auto", layer=-1, normalize=False, batch_size=32,
                  model=minilm)
    embed = client.predict(**common, api_name="/embed")
    vectors = np.array(embed[-3])  # outputs: the drawn result, then raw JSON, code, details
    assert vectors.shape == (6, 384)
    matrix = np.array(client.predict(**common, api_name="/similarity")[-3])
    assert matrix.shape == (6, 6) and matrix[0, 3] > 0.5
    projection = client.predict(**common, method="tsne", dimensions=3, seed=1, perplexity=30, n_neighbors=15,
                                min_dist=0.1, metric="cosine", api_name="/project")[-3]
    assert np.array(projection["points"]).shape == (6, 3) and projection["method"] == "tsne"
    near = client.predict(**common, query="A man eats bread.", metric="cosine", top_k=2, api_name="/neighbors")[-3]
    assert {h["index"] for h in near["neighbors"]} == {0, 3}
    tokens = client.predict(sentence="I am a boy.", model=minilm, api_name="/attention")[-3]
    assert tokens["tokens"][0] == "[CLS]" and np.array(tokens["attentions"]).shape == (6, 12, 7, 7)


def test_summary_follows_the_browsers_language(base_url, minilm):
    """The summary over the vectors is made per request: Korean for a Korean browser, English for an English one."""
    from gradio_client import Client

    call = dict(text=TEXT, file=None, images=[], pooling="auto", layer=-1, normalize=False, batch_size=32,
                model=minilm, api_name="/embed")
    korean = Client(base_url, verbose=False, headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    summary = korean.predict(**call)[0]
    assert "벡터 6개 × 384차원" in summary and "단위 길이" in summary and "vectors" not in summary
    english = Client(base_url, verbose=False, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "**6 vectors × 384 dimensions**" in english.predict(**call)[0]


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1", HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "app.py", "run", *args, "--offline"], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, env=env, timeout=300)


def json_lines(stdout: str) -> list:
    """The CLI's JSON Lines: one JSON value per line, nothing else."""
    lines = stdout.splitlines()
    assert lines and all(line.strip() for line in lines), stdout[:500]
    return [json.loads(line) for line in lines]


def test_cli_prints_one_vector_per_line(minilm):
    """`python app.py run embed` as a user types it (the only CLI test that pays for a fresh process)."""
    done = cli("embed", "-", "--model", minilm, "--param", "pooling=mean",
               stdin="I love this movie.\nThis film is wonderful.\nThe stock market crashed today.\n")
    assert done.returncode == 0, done.stderr
    vectors = json_lines(done.stdout)
    assert len(vectors) == 3 and all(len(v) == 384 and isinstance(v[0], float) for v in vectors)
    unit = np.array(vectors) / np.linalg.norm(vectors, axis=1, keepdims=True)
    assert unit[0] @ unit[1] > unit[0] @ unit[2] + 0.3  # the paraphrase is nearer
    assert not np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-3)  # pooling=mean: MiniLM's Normalize is off


def test_cli_similarity_prints_the_matrix_and_fails_in_one_line(manager, minilm, capsys):
    from core.cli import run_command
    from core.registry import discover

    tabs = discover()
    texts = "A man is eating bread.\nA guy eats some bread.\nThe stock market crashed today.\n"
    assert run_command(tabs, manager, "similarity", texts, minilm, []) == 0
    matrix = np.array(json_lines(capsys.readouterr().out))
    assert matrix.shape == (3, 3) and np.allclose(np.diag(matrix), 1, atol=1e-5)
    assert matrix[0, 1] > matrix[0, 2] + 0.3

    assert run_command(tabs, manager, "embed", "money | Stocks fell.", minilm, ["normalize=true", "layer=2"]) == 0
    (vector,) = json_lines(capsys.readouterr().out)  # the label before | is not embedded
    assert len(vector) == 384 and abs(np.linalg.norm(vector) - 1) < 1e-4

    assert run_command(tabs, manager, "similarity", "one\ntwo\n", minilm, ["layer=9"]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.strip().splitlines() == ["error: Invalid value for layer: this model has 6 layers: "
                                            "use 0 (embeddings) to 6, or -1 for the last"]
