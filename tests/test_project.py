"""project: PCA/t-SNE/UMAP maps of MiniLM's vectors (shapes, explained variance, seeds, knobs lowered to what
the rows allow), one embedding for the map, the heatmap and the vectors, the projection outside the model's
lock and in a queue of its own, the bounds, the shown code and the API."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import UserError
from demos.embeddings import compute
from demos.embeddings.embed import TASK as EMBED
from demos.embeddings.neighbors import TASK as NEIGHBORS
from demos.embeddings.project import TASK as PROJECT
from demos.embeddings.similarity import TASK as SIMILARITY
from tests.test_embeddings_common import COMMON, TEXT, execute, minilm, run  # noqa: F401


def test_projections_have_the_right_shapes_and_follow_the_seed(manager, minilm):  # noqa: F811
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


def test_umap_is_deterministic_with_a_seed(manager, minilm):  # noqa: F811
    runs = [run(manager, PROJECT, minilm, {"text": TEXT}, {"method": "umap", "dimensions": dims, "seed": 3}).output
            for dims in (2, 2, 3)]
    assert np.array(runs[0]["points"]).shape == (6, 2) and np.array(runs[2]["points"]).shape == (6, 3)
    assert runs[0]["points"] == runs[1]["points"]
    other = run(manager, PROJECT, minilm, {"text": TEXT}, {"method": "umap", "seed": 4}).output
    assert other["points"] != runs[0]["points"]
    assert runs[0]["parameters"]["n_neighbors"] == 5  # lowered below the number of points


def test_one_embedding_is_shared_by_every_view(manager, tiny, monkeypatch):
    """One Run (the map's) embeds the rows once and gives the heatmap and the vectors the same embedding."""
    calls = []
    original = compute.encode_texts
    monkeypatch.setattr(compute, "encode_texts", lambda model, proc, texts, plan: calls.append(len(texts))
                        or original(model, proc, texts, plan))
    inputs = {"text": "red | a red car\nblue | the blue sky\nred | a red apple\nblue | blue water"}
    mapped = run(manager, PROJECT, tiny["bert-base"], inputs)
    assert calls == [4]  # the rows once, for every view
    assert compute.rounded(mapped.facts["vectors"]) == run(manager, EMBED, tiny["bert-base"], inputs).output
    assert mapped.facts["similarity"] == run(manager, SIMILARITY, tiny["bert-base"], inputs).output
    assert [r.label for r in mapped.facts["rows"]] == ["red", "blue", "red", "blue"]
    del calls[:]
    run(manager, NEIGHBORS, tiny["bert-base"], {**inputs, "query": "a car"})
    assert calls == [5]  # the rows and the query, in one pass
    run(manager, EMBED, tiny["bert-base"], inputs, {"pooling": "cls"})
    assert calls == [5, 4]  # another pooling is another embedding


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


def test_the_projection_parameters_are_bounded():
    for params in ({"method": "median"}, {"dimensions": 4}, {"dimensions": 1}, {"seed": -1}, {"seed": 2**31},
                   {"perplexity": 1}, {"perplexity": 101}, {"perplexity": "inf"}, {"n_neighbors": 1},
                   {"n_neighbors": 101}, {"min_dist": -0.1}, {"min_dist": 1.5}, {"metric": "manhattan"}):
        with pytest.raises(UserError) as err:
            PROJECT.parse({"text": "a"}, params)
        assert err.value.key == "bad_param", params
    _, parsed = PROJECT.parse({"text": "a"}, {"method": "t-SNE", "dimensions": 3})  # names and ids alike
    assert compute.projection_of(parsed).method == "tsne" and compute.projection_of(parsed).dimensions == 3
    _, parsed = PROJECT.parse({"text": "a"}, {"method": "umap"})
    assert compute.projection_of(parsed).method == "umap"


def test_the_code_panel_reproduces_the_app(manager, minilm):  # noqa: F811
    pca = run(manager, PROJECT, minilm, {"text": TEXT}, {"dimensions": 3})
    ns = execute(pca.code)
    assert np.abs(ns["points"] - np.array(pca.output["points"])).max() < 1e-4
    assert np.allclose(ns["pca"].explained_variance_ratio_, pca.output["explained_variance_ratio"], atol=1e-5)


def test_projections_wait_in_a_queue_of_their_own(app):
    """t-SNE/UMAP on thousands of rows run one at a time in their own queue, not in the other tasks'."""
    events = {fn.api_name: fn for fn in app.demo.fns.values()}
    assert (events["project"].concurrency_id, events["project"].concurrency_limit) == ("embeddings_projection", 1)
    assert events["embed"].concurrency_id != "embeddings_projection"


def test_api_project(client, minilm):  # noqa: F811
    projection = client.predict(**COMMON, model=minilm, method="tsne", dimensions=3, seed=1, perplexity=30,
                                n_neighbors=15, min_dist=0.1, metric="cosine", api_name="/project")[-3]
    assert np.array(projection["points"]).shape == (6, 3) and projection["method"] == "tsne"
