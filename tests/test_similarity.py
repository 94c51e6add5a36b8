"""similarity: MiniLM puts paraphrases nearest in the matrix, CLIP's texts and images share one matrix, the
shown code reproduces it, the heatmap's row bound, the API and the CLI (JSON Lines; one-line errors)."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import UserError
from demos.embeddings.common import MAX_SIMILARITY
from demos.embeddings.similarity import TASK as SIMILARITY
from tests.test_embeddings_common import (  # noqa: F401
    COMMON,
    PARAPHRASES,
    PARTNER,
    TEXT,
    execute,
    json_lines,
    minilm,
    pictures,
    run,
)


def test_paraphrases_are_nearest_in_the_matrix(manager, minilm):  # noqa: F811
    matrix = np.array(run(manager, SIMILARITY, minilm, {"text": TEXT}).output)
    assert matrix.shape == (6, 6)
    assert np.allclose(np.diag(matrix), 1.0, atol=1e-5) and np.allclose(matrix, matrix.T, atol=1e-6)
    for i, j in PARTNER.items():
        others = [matrix[i, k] for k in range(6) if k not in (i, j)]
        assert matrix[i, j] > max(others) + 0.2, (PARAPHRASES[i], matrix[i].round(2))


def test_clip_texts_and_images_share_one_matrix(manager, tiny, pictures):  # noqa: F811
    matrix = np.array(run(manager, SIMILARITY, tiny["clip"], {"text": "a red square\na blue gradient",
                                                               "images": pictures}).output)
    assert matrix.shape == (4, 4)


def test_the_heatmap_takes_at_most_its_rows(manager, tiny):
    with pytest.raises(UserError) as err:
        run(manager, SIMILARITY, tiny["bert-base"], {"text": "x\n" * (MAX_SIMILARITY + 1)})
    assert err.value.key == "too_large" and f"at most {MAX_SIMILARITY}" in err.value.text()


def test_the_code_panel_reproduces_the_app(manager, minilm):  # noqa: F811
    sim = run(manager, SIMILARITY, minilm, {"text": TEXT}, {"pooling": "cls", "layer": 4})
    assert np.abs(execute(sim.code)["similarity"].numpy() - np.array(sim.output)).max() < 1e-5


def test_api_similarity(client, minilm):  # noqa: F811
    matrix = np.array(client.predict(**COMMON, model=minilm, api_name="/similarity")[-3])
    assert matrix.shape == (6, 6) and matrix[0, 3] > 0.5


def test_cli_similarity_prints_the_matrix_and_fails_in_one_line(manager, minilm, capsys):  # noqa: F811
    from core.cli import run_command
    from core.registry import discover

    tabs = discover()
    texts = "A man is eating bread.\nA guy eats some bread.\nThe stock market crashed today.\n"
    assert run_command(tabs, manager, "similarity", texts, minilm, []) == 0
    matrix = np.array(json_lines(capsys.readouterr().out))
    assert matrix.shape == (3, 3) and np.allclose(np.diag(matrix), 1, atol=1e-5)
    assert matrix[0, 1] > matrix[0, 2] + 0.3

    assert run_command(tabs, manager, "similarity", "one\ntwo\n", minilm, ["layer=9"]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.strip().splitlines() == ["error: Invalid value for layer: this model has 6 layers: "
                                            "use 0 (embeddings) to 6, or -1 for the last"]
