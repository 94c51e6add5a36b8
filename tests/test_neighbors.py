"""neighbors: MiniLM finds the paraphrases of a query (cosine and euclidean), CLIP ranks texts and images
together, the shown code reproduces the ranking, the bounds, and the API."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import UserError
from demos.embeddings.neighbors import TASK as NEIGHBORS
from tests.test_embeddings_common import COMMON, PARAPHRASES, TEXT, execute, minilm, pictures, run  # noqa: F401


def test_paraphrases_are_the_nearest_neighbours(manager, minilm):  # noqa: F811
    for metric in ("cosine", "euclidean"):
        out = run(manager, NEIGHBORS, minilm, {"text": TEXT, "query": "Stocks dropped a lot today."},
                  {"metric": metric, "top_k": 3, "normalize": True}).output
        hits = out["neighbors"]
        assert [h["rank"] for h in hits] == [1, 2, 3]
        assert {hits[0]["index"], hits[1]["index"]} == {1, 4}, hits
        assert hits[0]["label"] == "money" and hits[0]["text"] in PARAPHRASES[hits[0]["index"]]
        scores = [h["score"] for h in hits]
        assert scores == sorted(scores, reverse=metric == "cosine")


def test_clip_ranks_texts_and_images_together(manager, tiny, pictures):  # noqa: F811
    inputs = {"text": "a red square\na blue gradient", "images": pictures}
    hits = run(manager, NEIGHBORS, tiny["clip"], {**inputs, "query": "red"}, {"top_k": 4}).output["neighbors"]
    assert sorted(h["index"] for h in hits) == [0, 1, 2, 3]
    assert {h["kind"] for h in hits} == {"text", "image"}


def test_the_query_and_top_k_are_bounded():
    for inputs, params, key in (({"text": "a", "query": " "}, {}, "empty_input"),
                                ({"text": "a", "query": "q" * 10_001}, {}, "too_large"),
                                ({"text": "a", "query": "q"}, {"top_k": 0}, "bad_param"),
                                ({"text": "a", "query": "q"}, {"top_k": 51}, "bad_param"),
                                ({"text": "a", "query": "q"}, {"metric": "manhattan"}, "bad_param")):
        with pytest.raises(UserError) as err:
            NEIGHBORS.parse(inputs, params)
        assert err.value.key == key, (inputs, params)


def test_the_code_panel_reproduces_the_ranking(manager, minilm):  # noqa: F811
    inputs = {"text": TEXT, "query": "Stocks dropped a lot today."}
    near = run(manager, NEIGHBORS, minilm, inputs, {"metric": "euclidean", "normalize": True, "top_k": 4})
    ns = execute(near.code)
    assert ns["nearest"].tolist() == [h["index"] for h in near.output["neighbors"]]
    assert np.allclose(ns["scores"][ns["nearest"]].numpy(), [h["score"] for h in near.output["neighbors"]], atol=1e-5)


def test_api_neighbors(client, minilm):  # noqa: F811
    near = client.predict(**COMMON, model=minilm, query="A man eats bread.", metric="cosine", top_k=2,
                          api_name="/neighbors")[-3]
    assert {h["index"] for h in near["neighbors"]} == {0, 3}
