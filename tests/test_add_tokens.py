"""add-tokens: add_tokens on a copy of the pack's tokenizers equals add_tokens on a deepcopy, the cached
tokenizer stays untouched; the bounds; the shown code (with resize_token_embeddings) and the API."""

from __future__ import annotations

import copy

import pytest

from core.errors import UserError
from core.models import ModelRef
from demos.tokenizer.add_tokens import MAX_NEW_TOKENS, TASK
from demos.tokenizer.tokenize import TASK as TOKENIZE
from tests.test_tokenizer import UNIGRAM, WORDPIECE, direct, exec_code, run


@pytest.fixture(scope="module")
def folder(pack_dir):
    return lambda name: str(pack_dir / name)


@pytest.fixture(scope="module")
def reference(pack_dir):
    return lambda name: direct(str(pack_dir / name))


def test_add_tokens_uses_a_copy_and_matches_deepcopy(manager, folder, reference):
    for name in (UNIGRAM, WORDPIECE):
        tok = reference(name)
        new, text = ["허깅페이스", "[NEW_TOKEN]"], "허깅페이스의 [NEW_TOKEN] 라이브러리"
        for special in (False, True) if name == WORDPIECE else (False,):  # deepcopy of 250k pieces is slow
            out = run(manager, folder, TASK, name, {"new_tokens": ", ".join(new), "text": text},
                      {"special_tokens": special})
            expected = copy.deepcopy(tok)
            assert out["added"] == expected.add_tokens(new, special_tokens=special) == 2
            assert [r["id"] for r in out["new_tokens"]] == expected.convert_tokens_to_ids(new) == [len(tok), len(tok) + 1]
            assert out["after"]["input_ids"] == expected(text)["input_ids"]
            assert out["before"]["input_ids"] == tok(text)["input_ids"]
            assert out["after"]["tokens"] == expected.convert_ids_to_tokens(expected(text)["input_ids"])
            assert len(tok) in out["after"]["input_ids"] and out["len_after"] == len(tok) + 2
        # the cached tokenizer is untouched
        again = run(manager, folder, TOKENIZE, name, {"text": text})
        assert again["input_ids"] == tok(text)["input_ids"] and again["tokenizer"]["len"] == len(tok)


def test_bounds(manager, folder):
    many = " ".join(f"tok{i}" for i in range(MAX_NEW_TOKENS + 1))
    for inputs, key in (({"new_tokens": many}, "too_large"), ({"new_tokens": many.split()}, "too_large"),
                        ({"new_tokens": " , "}, "empty_input"), ({"new_tokens": "x", "text": "y" * 20_001}, "too_large")):
        with pytest.raises(UserError) as err:
            run(manager, folder, TASK, WORDPIECE, inputs)
        assert err.value.key == key, str(inputs)[:40]
    # a JSON list (an API client's) is taken as given; special_tokens takes true/false spellings
    out = run(manager, folder, TASK, WORDPIECE, {"new_tokens": ["[A]", "[A]", "[B]"]}, {"special_tokens": "true"})
    assert out["added"] == 2 and out["special_tokens"] is True


def test_the_shown_code_resizes_the_embeddings(manager, folder):
    ref = ModelRef.parse(folder(WORDPIECE))
    added = manager.run(TASK, ref.source, {"new_tokens": "트랜스포머", "text": "트랜스포머 모델"}, TASK.defaults())
    ns, printed = exec_code(added.code)
    assert ns["model"].get_input_embeddings().weight.shape[0] == added.output["len_after"] == len(ns["tokenizer"])
    assert ns["tokenizer"].convert_tokens_to_ids(["트랜스포머"]) == [added.output["new_tokens"][0]["id"]]
    # a tokenizer-only folder: the resize lines are there, commented out
    only = TASK.code(ModelRef.parse(folder(UNIGRAM)), {"new_tokens": ["x"], "text": ""}, TASK.defaults(), manager.place)
    assert "# model.resize_token_embeddings(len(tokenizer))" in only
    compile(only, "<snippet>", "exec")


def test_endpoint(client, folder, reference):
    tok = reference(UNIGRAM)
    res = client.predict(new_tokens="트랜스포머", text="트랜스포머 모델", special_tokens=False, model=folder(UNIGRAM),
                         api_name="/add_tokens")
    assert res[4]["new_tokens"][0]["id"] == len(tok)
