"""attention: MiniLM's tokens as written, attention rows summing to 1 and norms for every layer, truncation,
CLIP's text tower, image models refused, the bounds (sentence, layers x heads), the shown code and the API."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import UserError
from demos.embeddings import attention
from demos.embeddings.attention import TASK as ATTENTION
from tests.test_embeddings_common import execute, minilm, run  # noqa: F401


def test_attention_rows_sum_to_one_and_norms_cover_every_layer(manager, minilm):  # noqa: F811
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
    assert cut["truncated"] and len(cut["tokens"]) == attention.MAX_TOKENS


def test_clip_text_tower_and_image_models(manager, tiny):
    tokens = run(manager, ATTENTION, tiny["clip"], {"sentence": "a red car"}).output
    assert np.abs(np.array(tokens["attentions"]).sum(-1) - 1).max() < 1e-3
    for name in ("vit-imgcls", "dinov2"):
        with pytest.raises(UserError) as err:
            run(manager, ATTENTION, tiny[name], {"sentence": "a sentence"})
        assert err.value.key == "bad_param"


def test_the_sentence_and_the_models_size_are_bounded(manager, minilm, monkeypatch):  # noqa: F811
    for sentence, key in ((" ", "empty_input"), ("w" * 10_001, "too_large")):
        with pytest.raises(UserError) as err:
            ATTENTION.parse({"sentence": sentence}, {})
        assert err.value.key == key
    monkeypatch.setattr(attention, "MAX_HEADS", 8)  # MiniLM has 12 heads
    with pytest.raises(UserError) as err:
        run(manager, ATTENTION, minilm, {"sentence": "I am a boy."})
    assert err.value.key == "too_large" and "6 layers × 12 heads" in err.value.text()


def test_the_code_panel_reproduces_the_app(manager, minilm):  # noqa: F811
    att = run(manager, ATTENTION, minilm, {"sentence": "I am a boy."})
    ns = execute(att.code)
    assert ns["tokens"] == att.output["token_strings"]
    assert np.abs(ns["attentions"].numpy() - np.array(att.output["attentions"])).max() < 1e-4
    assert np.abs(ns["norms"].numpy() - np.array(att.output["hidden_norms"])).max() < 1e-3


def test_api_attention(client, minilm):  # noqa: F811
    tokens = client.predict(sentence="I am a boy.", model=minilm, api_name="/attention")[-3]
    assert tokens["tokens"][0] == "[CLS]" and np.array(tokens["attentions"]).shape == (6, 12, 7, 7)
