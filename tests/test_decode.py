"""decode: ids back to text with and without special tokens, and the round trip of a text, equal to the
tokenizer's own decode (the round trip across tokenizers is checked with tokenize, tests/test_tokenize.py);
the bounds; the shown code, the API."""

from __future__ import annotations

import pytest

from core.errors import UserError
from core.models import ModelRef
from demos.tokenizer.decode import MAX_IDS, TASK
from tests.test_tokenizer import BPE, WORDPIECE, direct, exec_code, run


@pytest.fixture(scope="module")
def folder(pack_dir):
    return lambda name: str(pack_dir / name)


@pytest.fixture(scope="module")
def reference(pack_dir):
    return lambda name: direct(str(pack_dir / name))


def test_the_notes_ids_decode_to_the_notes_sentence(manager, folder):
    decoded = run(manager, folder, TASK, WORDPIECE, {"ids": "[101, 1045, 2572, 1037, 2879, 1012, 102]"})
    assert decoded["decoded"] == "[CLS] i am a boy. [SEP]"  # the notes' output
    assert decoded["decoded_skip_special_tokens"] == "i am a boy."
    assert decoded["special_tokens_mask"] == [1, 0, 0, 0, 0, 0, 1]
    trip = run(manager, folder, TASK, WORDPIECE, {"text": "I am a boy."})["round_trip"]
    assert trip["equal"] is False and trip["first_difference"] == 0 and trip["equal_ignoring_case_and_spaces"]
    # a JSON list (an API client's) is as good as the text
    assert run(manager, folder, TASK, WORDPIECE, {"ids": [101, 1045, 2572, 1037, 2879, 1012, 102]}) == decoded


def test_clean_up_tokenization_spaces_takes_transformers_values(manager, folder, reference):
    tok = reference(WORDPIECE)
    ids = tok("Hello , world !")["input_ids"]
    for value, expected in ((True, True), ("False", False), ("false", False)):
        out = run(manager, folder, TASK, WORDPIECE, {"ids": ids}, {"clean_up_tokenization_spaces": value})
        assert out["decoded"] == tok.decode(ids, clean_up_tokenization_spaces=expected)


def test_bounds(manager, folder):
    for inputs, key in (({"ids": ", ".join(["1"] * (MAX_IDS + 1))}, "too_large"), ({"ids": [1] * (MAX_IDS + 1)}, "too_large"),
                        ({"ids": "99999999"}, "bad_param"), ({"ids": "1, -2"}, "bad_param"),
                        ({"ids": "", "text": ""}, "empty_input"), ({"text": "x" * 50_001}, "too_large")):
        with pytest.raises(UserError) as err:
            run(manager, folder, TASK, WORDPIECE, inputs)
        assert err.value.key == key, inputs
    with pytest.raises(UserError, match="clean_up_tokenization_spaces"):
        run(manager, folder, TASK, WORDPIECE, {"ids": "101"}, {"clean_up_tokenization_spaces": "sometimes"})


def test_the_shown_code_reproduces_the_run(manager, folder):
    bpe = ModelRef.parse(folder(BPE))
    decode = manager.run(TASK, bpe.source, {"ids": "", "text": "안녕 hello"}, TASK.defaults())
    _, printed = exec_code(decode.code)
    assert printed.splitlines()[1:] == [decode.output["decoded"], decode.output["decoded_skip_special_tokens"], "True"]
    given = manager.run(TASK, bpe.source, {"ids": "[28, 29, 30]"}, {"clean_up_tokenization_spaces": "True"})
    _, printed = exec_code(given.code)
    assert printed.splitlines()[1] == given.output["decoded"] and "clean_up_tokenization_spaces=True" in given.code


def test_endpoint(client, folder):
    res = client.predict(ids="101, 1045, 2572, 1037, 2879, 1012, 102", text="", clean_up_tokenization_spaces="default",
                         model=folder(WORDPIECE), api_name="/decode")
    assert res[1] == "[CLS] i am a boy. [SEP]" and res[2] == "i am a boy."


def test_examples_ids_come_from_the_chosen_tokenizer(manager, tiny_root, pack_dir):
    """The examples' pieces read at build time from tokenizer.json equal the loaded tokenizer's, for every
    tokenizer the tests and the pack offer (Whisper's aside: transformers puts its own prefix tokens first),
    and the first example decodes to the sample sentence in each."""
    from transformers import AutoTokenizer

    from demos.tokenizer import examples

    folders = [f for root in (tiny_root, pack_dir) for f in sorted(root.iterdir()) if (f / "tokenizer.json").exists()]
    assert len(folders) >= 20
    for folder in folders:
        loaded = AutoTokenizer.from_pretrained(str(folder))
        from_tokenizer = examples.from_tokenizer(loaded)
        if "whisper" not in folder.name:
            assert examples.from_folder(folder) == from_tokenizer, folder.name
        assert examples.for_model(manager, TASK, str(folder)) == from_tokenizer
        ids = examples.decode_rows(from_tokenizer)[0][0]
        decoded = loaded.decode([int(i) for i in ids.split(", ")], skip_special_tokens=True)
        assert " ".join(decoded.lower().split()).replace(" .", ".") == "i am a boy.", folder.name
        tokens, first = examples.lookup_rows(from_tokenizer)[0]
        assert loaded.convert_tokens_to_ids(tokens.split()) == from_tokenizer.word_ids
        assert int(first) == from_tokenizer.word_ids[0]
    bert = examples.at_build("google-bert/bert-base-uncased", "google-bert/bert-base-uncased")
    assert examples.decode_rows(bert)[0][0] == "101, 1045, 2572, 1037, 2879, 1012, 102"
    assert examples.at_build("nobody/not-here", "google-bert/bert-base-uncased") is None
    assert examples.for_model(manager, TASK, "/etc") is None  # not a folder this server offers: no change
    assert [row[0] for row in examples.decode_rows(None)] == ["", "", ""]
