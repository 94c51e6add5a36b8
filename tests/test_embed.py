"""embed: the app's vectors equal MiniLM called directly (the model's own pooling recipe, other poolings and
layers), every pooling and the image paths on tiny random models, the shown code reproducing the app (typed
rows, big uploads, images), the parameters' bounds, the API (with its summary in the browser's language) and
the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.errors import UserError
from demos.embeddings import compute, snippets
from demos.embeddings.embed import TASK as EMBED
from demos.embeddings.rows import read_rows
from tests.test_embeddings_common import (  # noqa: F401
    COMMON,
    PARAPHRASES,
    TEXT,
    cli,
    execute,
    json_lines,
    minilm,
    pictures,
    run,
)


def value_of(output):
    return output["value"] if isinstance(output, dict) and "value" in output else output


def test_the_apps_vectors_equal_the_model_called_directly(manager, minilm):  # noqa: F811
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


def test_poolings_layers_and_clear_errors_on_a_text_model(manager, tiny, pictures):  # noqa: F811
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
    assert "one of auto, mean, cls" in fails({"pooling": "median"})  # the field's own message (core.params)
    assert "reads text only" in fails(extra={"images": pictures})


def test_the_embedding_parameters_are_bounded():
    for params in ({"layer": 129}, {"layer": -129}, {"batch_size": 0}, {"batch_size": 65}, {"batch_size": 2.5},
                   {"layer": "nan"}, {"normalize": "maybe"}):
        with pytest.raises(UserError) as err:
            EMBED.parse({"text": "a"}, params)
        assert err.value.key == "bad_param", params
    _, parsed = EMBED.parse({"text": "a"}, {"layer": "-2", "batch_size": "8", "normalize": "true"})
    assert (parsed["layer"], parsed["batch_size"], parsed["normalize"]) == (-2, 8, True)


def test_clip_puts_texts_and_images_in_one_space(manager, tiny, pictures):  # noqa: F811
    clip = tiny["clip"]
    inputs = {"text": "a red square\na blue gradient", "images": pictures}
    vectors = np.array(run(manager, EMBED, clip, inputs).output)
    assert vectors.shape == (4, 16)  # projection_dim: texts and images side by side
    images_only = np.array(run(manager, EMBED, clip, {"images": pictures}, {"normalize": True}).output)
    assert images_only.shape == (2, 16) and np.allclose(np.linalg.norm(images_only, axis=1), 1, atol=1e-5)
    with pytest.raises(UserError) as err:
        run(manager, EMBED, clip, inputs, {"pooling": "mean"})
    assert "joint" in err.value.text() or "projection" in err.value.text()


@pytest.mark.parametrize("name", ["vit-imgcls", "dinov2"])
def test_image_models_embed_images(manager, tiny, pictures, name):  # noqa: F811
    model = tiny[name]
    for params in ({}, {"pooling": "mean"}, {"pooling": "max", "layer": 1}):
        vectors = np.array(run(manager, EMBED, model, {"images": pictures}, params).output)
        assert vectors.shape == (2, 32), params
    with pytest.raises(UserError) as err:
        run(manager, EMBED, model, {"text": "a sentence", "images": pictures})
    assert "reads images only" in err.value.text()


def test_the_code_panel_reproduces_the_app(manager, minilm):  # noqa: F811
    emb = run(manager, EMBED, minilm, {"text": TEXT})
    assert "max_length=256" in emb.code and "normalize" in emb.code
    ns = execute(emb.code)
    assert np.abs(ns["embeddings"].numpy() - np.array(emb.output)).max() < 1e-5


def test_the_code_reads_big_uploads_and_loads_images_like_the_app(manager, tiny, pictures, tmp_path,  # noqa: F811
                                                                  monkeypatch):
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


def test_api_embed(client, minilm):  # noqa: F811
    embed = client.predict(**COMMON, model=minilm, api_name="/embed")
    vectors = np.array(embed[-3])  # outputs: the drawn result, then notes, raw JSON, code, details
    assert vectors.shape == (6, 384)
    assert "6 vectors × 384 dimensions" in value_of(embed[0])


def test_summary_follows_the_browsers_language(base_url, minilm):  # noqa: F811
    """The summary over the vectors is made per request: Korean for a Korean browser, English for an English one."""
    from gradio_client import Client

    call = dict(COMMON, model=minilm, api_name="/embed")
    korean = Client(base_url, verbose=False, headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    summary = korean.predict(**call)[0]
    assert "벡터 6개 × 384차원" in summary and "단위 길이" in summary and "vectors" not in summary
    english = Client(base_url, verbose=False, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "**6 vectors × 384 dimensions**" in english.predict(**call)[0]


def test_cli_prints_one_vector_per_line(minilm):  # noqa: F811
    """`python app.py run embed` as a user types it (the only CLI test that pays for a fresh process)."""
    done = cli("embed", "-", "--model", minilm, "--models-dir", str(Path(minilm).parent), "--param", "pooling=mean",
               stdin="I love this movie.\nThis film is wonderful.\nThe stock market crashed today.\n")
    assert done.returncode == 0, done.stderr
    vectors = json_lines(done.stdout)
    assert len(vectors) == 3 and all(len(v) == 384 and isinstance(v[0], float) for v in vectors)
    unit = np.array(vectors) / np.linalg.norm(vectors, axis=1, keepdims=True)
    assert unit[0] @ unit[1] > unit[0] @ unit[2] + 0.3  # the paraphrase is nearer
    assert not np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-3)  # pooling=mean: MiniLM's Normalize is off


def test_cli_embed_drops_the_label(manager, minilm, capsys):  # noqa: F811
    from core.cli import run_command
    from core.registry import discover

    assert run_command(discover(), manager, "embed", "money | Stocks fell.", minilm, ["normalize=true", "layer=2"]) == 0
    (vector,) = json_lines(capsys.readouterr().out)  # the label before | is not embedded
    assert len(vector) == 384 and abs(np.linalg.norm(vector) - 1) < 1e-4
