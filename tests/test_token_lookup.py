"""token-lookup: convert_tokens_to_ids / convert_ids_to_tokens of the offline pack's tokenizers (the notes' ids,
byte-level bytes), the bounds, the shown code and the API."""

from __future__ import annotations

import pytest

from core.errors import UserError
from core.models import ModelRef
from demos.tokenizer.decode import TASK as DECODE
from demos.tokenizer.token_lookup import MAX_ITEMS, TASK
from tests.test_tokenizer import BPE, WORDPIECE, direct, exec_code, run


@pytest.fixture(scope="module")
def folder(pack_dir):
    return lambda name: str(pack_dir / name)


@pytest.fixture(scope="module")
def reference(pack_dir):
    return lambda name: direct(str(pack_dir / name))


def test_lookup_gives_the_notes_ids(manager, folder):
    # all-MiniLM-L6-v2 shares bert-base-uncased's vocabulary: the notes' "am" -> 2572 and "I" -> [UNK] (100)
    out = run(manager, folder, TASK, WORDPIECE, {"tokens": "I am a boy", "ids": "2572"})
    assert out["tokens_to_ids"]["ids"] == [100, 2572, 1037, 2879]
    first = out["tokens_to_ids"]["details"][0]
    assert first["in_vocabulary"] is False and first["tokenized_as"] == ["i"]
    assert out["ids_to_tokens"]["tokens"] == ["am"]
    decoded = run(manager, folder, DECODE, WORDPIECE, {"ids": "[101, 1045, 2572, 1037, 2879, 1012, 102]"})
    assert decoded["decoded"] == "[CLS] i am a boy. [SEP]"  # the notes' output
    assert decoded["decoded_skip_special_tokens"] == "i am a boy."
    trip = run(manager, folder, DECODE, WORDPIECE, {"text": "I am a boy."})["round_trip"]
    assert trip["equal"] is False and trip["first_difference"] == 0 and trip["equal_ignoring_case_and_spaces"]


def test_lookup_byte_level_shows_bytes(manager, folder, reference):
    tok = reference(BPE)
    ids = tok("안", add_special_tokens=False)["input_ids"]
    out = run(manager, folder, TASK, BPE, {"tokens": "hello Ġhello 안녕", "ids": ", ".join(map(str, ids))})
    assert out["tokens_to_ids"]["ids"][:2] == tok.convert_tokens_to_ids(["hello", "Ġhello"])
    assert out["tokens_to_ids"]["details"][2]["in_vocabulary"] is False
    assert bytes.fromhex("".join(d["bytes"] for d in out["ids_to_tokens"]["details"]).replace(" ", "")) == "안".encode()
    with pytest.raises(UserError, match="not a token id"):
        run(manager, folder, TASK, BPE, {"ids": "99999999"})


def test_bounds(manager, folder):
    for inputs, key in (({"tokens": " ".join(["a"] * (MAX_ITEMS + 1))}, "too_large"),
                        ({"ids": list(range(MAX_ITEMS + 1))}, "too_large"), ({"tokens": "", "ids": ""}, "empty_input"),
                        ({"tokens": "a" * 20_001}, "too_large")):
        with pytest.raises(UserError) as err:
            run(manager, folder, TASK, WORDPIECE, inputs)
        assert err.value.key == key, str(inputs)[:40]
    # a JSON list of tokens (an API client's) is taken as given
    assert run(manager, folder, TASK, WORDPIECE, {"tokens": ["am", "[CLS]"]})["tokens_to_ids"]["ids"] == [2572, 101]


def test_the_shown_code_reproduces_the_run(manager, folder):
    ref = ModelRef.parse(folder(WORDPIECE))
    lookup = manager.run(TASK, ref.source, {"tokens": "I am a boy", "ids": "2572"}, {})
    _, printed = exec_code(lookup.code)
    assert printed.splitlines()[:2] == ["[100, 2572, 1037, 2879]", "['am']"]


def test_endpoint(client, folder):
    res = client.predict(tokens="I am a boy", ids="2572", model=folder(WORDPIECE), api_name="/token_lookup")
    assert res[3]["tokens_to_ids"]["ids"] == [100, 2572, 1037, 2879]
