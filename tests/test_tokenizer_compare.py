"""tokenizer-compare: 2 to 4 tokenizers of the offline pack on one text, through the model manager's multi-model
runs: each column equals that tokenizer called directly; the same task behind the UI's pickers, the API's
model, model_2, ... and the CLI's repeated --model; the shown code."""

from __future__ import annotations

import json

import pytest

from core.errors import UserError
from core.models import ModelRef
from demos.tokenizer.tokenizer_compare import TASK, model_name
from tests.test_tokenizer import BPE, UNIGRAM, WORDPIECE, cli, direct, exec_code, result_of, run, value_of

TEXT = "안녕하세요! 토크나이저"


@pytest.fixture(scope="module")
def folder(pack_dir):
    return lambda name: str(pack_dir / name)


@pytest.fixture(scope="module")
def reference(pack_dir):
    return lambda name: direct(str(pack_dir / name))


def test_each_column_is_that_tokenizer_called_directly(manager, folder, reference):
    result = result_of(manager, folder, TASK, [WORDPIECE, BPE, UNIGRAM], {"text": TEXT})
    out = result.output
    assert out["text"] == TEXT and [r["model"] for r in out["results"]] == [folder(n) for n in (WORDPIECE, BPE, UNIGRAM)]
    for name, column in zip((WORDPIECE, BPE, UNIGRAM), out["results"]):
        enc = reference(name)(TEXT, return_offsets_mapping=True)
        assert column["input_ids"] == enc["input_ids"] and column["tokens"] == enc.tokens()
        assert column["counts"]["tokens"] == len(enc["input_ids"])
        assert column["tokenizer"]["class"] == type(reference(name)).__name__
    assert "readable" in out["results"][1]  # byte-level BPE: Hangul merged back into syllables
    # the notes name their tokenizer: the uncased WordPiece splits Hangul into jamo
    assert any(str(n).startswith(f"{folder(WORDPIECE)}: Hangul syllables") for n in result.notes)
    assert [m["model"] for m in result.details["models"]] == [folder(n) for n in (WORDPIECE, BPE, UNIGRAM)]

    plain = run(manager, folder, TASK, [WORDPIECE, BPE], {"text": TEXT}, {"add_special_tokens": False})
    assert plain["results"][0]["input_ids"] == reference(WORDPIECE)(TEXT, add_special_tokens=False)["input_ids"]


def test_two_to_four_tokenizers(manager, folder):
    for names in ([WORDPIECE], [WORDPIECE, WORDPIECE]):
        with pytest.raises(UserError, match="2 to 4"):
            run(manager, folder, TASK, names, {"text": TEXT})
    with pytest.raises(UserError, match="at most 4"):
        run(manager, folder, TASK, [WORDPIECE, BPE, UNIGRAM, WORDPIECE, BPE], {"text": TEXT})
    with pytest.raises(UserError) as err:
        run(manager, folder, TASK, [WORDPIECE, BPE], {"text": "x" * 50_001})
    assert err.value.key == "too_large"
    with pytest.raises(UserError) as err:
        run(manager, folder, TASK, [WORDPIECE, BPE], {"text": TEXT}, {"view_limit": 10**6})
    assert err.value.key == "bad_param"


def test_names_read_from_the_hub_cache_are_hub_ids():
    from types import SimpleNamespace

    cached = "/root/.cache/huggingface/hub/models--google-bert--bert-base-uncased/snapshots/86b5e0934494bd15c9632b12f734a8a67f723594"
    assert model_name(SimpleNamespace(name_or_path=cached)) == "google-bert/bert-base-uncased"
    assert model_name(SimpleNamespace(name_or_path="/data/models/my-tokenizer")) == "/data/models/my-tokenizer"


def test_the_shown_code_prints_each_tokenizer(manager, folder):
    ref, bpe = ModelRef.parse(folder(WORDPIECE)), ModelRef.parse(folder(BPE))
    compare = TASK.code([ref, bpe], {"text": "안녕"}, {"add_special_tokens": True}, manager.place)
    _, printed = exec_code(compare)
    from transformers import AutoTokenizer

    # the class AutoTokenizer picks depends on the folder's tokenizer_config; compare with a direct load
    bpe_class = type(AutoTokenizer.from_pretrained(folder(BPE))).__name__
    assert f"{folder(WORDPIECE)} BertTokenizer 30522" in printed and f"{folder(BPE)} {bpe_class} 49152" in printed
    # the code of a run is the same snippet (under comments on the files and models it names, if any)
    result = result_of(manager, folder, TASK, [WORDPIECE, BPE], {"text": "안녕"})
    head = result.code[:len(result.code) - len(compare)]
    assert result.code.endswith(compare) and all(line.startswith("# ") for line in head.splitlines())


def test_endpoint(client, folder, reference):
    res = client.predict(text=TEXT, add_special_tokens=True, view_limit=1000, model=folder(WORDPIECE),
                         model_2=folder(BPE), api_name="/tokenizer_compare")
    html, table, raw = res[0], value_of(res[1]), res[3]
    assert [r["model"] for r in raw["results"]] == [folder(WORDPIECE), folder(BPE)]
    assert html.count('class="tkcol"') == 2
    assert [row[4] for row in table["data"]] == [len(reference(n)(TEXT)["input_ids"]) for n in (WORDPIECE, BPE)]
    assert "for name in" in res[4] and len(res[5]["models"]) == 2
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="2 to 4"):
        client.predict(text="x", add_special_tokens=True, view_limit=1000, model=folder(WORDPIECE), model_2="",
                       api_name="/tokenizer_compare")  # (model_2 defaults to the UI's second tokenizer)


def test_cli_takes_one_model_per_tokenizer(folder, reference):
    out = cli("run", "tokenizer-compare", TEXT, "--model", folder(WORDPIECE), "--model", folder(UNIGRAM))
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    assert [r["model"] for r in printed["results"]] == [folder(WORDPIECE), folder(UNIGRAM)]
    assert printed["results"][1]["input_ids"] == reference(UNIGRAM)(TEXT)["input_ids"]
    assert "note: " in out.stderr and "jamo" in out.stderr

    one = cli("run", "tokenizer-compare", TEXT, "--model", folder(WORDPIECE))
    assert one.returncode == 2 and "2 to 4" in one.stderr and one.stderr.strip().count("\n") == 0
