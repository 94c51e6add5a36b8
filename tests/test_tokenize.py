"""tokenize: what the tab shows equals the tokenizer called directly (ids, tokens, offsets, word ids) for
WordPiece, byte-level BPE and Unigram tokenizers of the offline pack, on English and Korean; batches, padding,
truncation and tensors; the bounds; the shown code, the API and the CLI."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest

from core.errors import UserError
from core.models import ModelRef
from demos.tokenizer import anatomy, tokenize, view
from demos.tokenizer.common import VIEW_LIMIT
from demos.tokenizer.decode import TASK as DECODE
from demos.tokenizer.tokenize import MAX_LENGTH, TASK
from tests.concurrency import two_at_a_time
from tests.test_tokenizer import (
    ALGORITHMS,
    BATCH,
    BPE,
    ENGLISH,
    KOREAN,
    UNIGRAM,
    WHISPER,
    WORDPIECE,
    cli,
    direct,
    exec_code,
    result_of,
    run,
    value_of,
)


@pytest.fixture(scope="module")
def folder(pack_dir):
    return lambda name: str(pack_dir / name)


@pytest.fixture(scope="module")
def reference(pack_dir):
    return lambda name: direct(str(pack_dir / name))


@pytest.mark.parametrize("name", [WORDPIECE, BPE, UNIGRAM, WHISPER])
@pytest.mark.parametrize("text", [ENGLISH, KOREAN], ids=["english", "korean"])
def test_tokenize_equals_the_tokenizer_called_directly(manager, folder, reference, name, text):
    tok = reference(name)
    out = run(manager, folder, TASK, name, {"text": text})
    enc = tok(text, return_offsets_mapping=True, return_special_tokens_mask=True)
    assert out["input_ids"] == enc["input_ids"]
    assert out["tokens"] == enc.tokens()
    assert out["offset_mapping"] == [list(o) for o in enc["offset_mapping"]]
    assert out["word_ids"] == enc.word_ids()
    assert out["attention_mask"] == enc["attention_mask"]
    assert out["special_tokens_mask"] == enc["special_tokens_mask"]
    assert ("token_type_ids" in out) == ("token_type_ids" in enc)
    assert out["counts"]["tokens"] == len(enc["input_ids"]) and out["counts"]["characters"] == len(text)
    assert out["tokenizer"]["algorithm"] == ALGORITHMS[name]
    assert out["tokenizer"]["vocab_size"] == tok.vocab_size and out["tokenizer"]["class"] == type(tok).__name__

    # the decode tab's round trip is the tokenizer's own decode
    back = run(manager, folder, DECODE, name, {"text": text})
    assert back["ids"] == enc["input_ids"]
    assert back["decoded"] == tok.decode(enc["input_ids"])
    assert back["decoded_skip_special_tokens"] == tok.decode(enc["input_ids"], skip_special_tokens=True)
    assert back["round_trip"]["equal"] == (tok.decode(enc["input_ids"], skip_special_tokens=True) == text)


@pytest.mark.parametrize("name", [BPE, WHISPER])
def test_byte_level_korean_is_made_readable(manager, folder, reference, name):
    text = "안녕하세요, 토크나이저!"
    out = run(manager, folder, TASK, name, {"text": text}, {"add_special_tokens": False})
    assert not any("안" in t for t in out["tokens"]), "raw byte-level tokens are not legible Korean"
    pieces = out["readable"]
    assert "".join(p["text"] for p in pieces) == text
    # every syllable is one piece, spanning the 2-3 tokens its UTF-8 bytes were split into
    assert [p["text"] for p in pieces][:5] == ["안", "녕", "하", "세", "요"]
    covered = [i for p in pieces for i in range(p["first"], p["last"] + 1)]
    assert covered == list(range(len(out["tokens"])))
    assert any(p["last"] > p["first"] for p in pieces)
    # the tab's byte table is GPT-2's
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    assert anatomy.unicode_to_byte() == {c: b for b, c in bytes_to_unicode().items()}


def test_wordpiece_uncased_splits_hangul_into_jamo_and_says_so(manager, folder):
    result = result_of(manager, folder, TASK, WORDPIECE, {"text": "안녕하세요"})
    out = result.output
    assert "ᄋ" in out["tokens"] and "readable" not in out
    assert any("jamo" in str(note) for note in result.notes)
    assert any("자모" in note.text("ko") for note in result.notes)  # the notes panel speaks Korean too


def test_batch_padding_truncation_and_tensors(manager, folder, reference):
    tok = reference(WORDPIECE)
    text = "\n".join(BATCH)
    out = run(manager, folder, TASK, WORDPIECE, {"text": text}, {"padding": "True", "return_tensors": "pt"})
    direct_ = tok(BATCH, padding=True, return_tensors="pt")
    assert out["batch_size"] == 3 and len(out["sequences"]) == 3
    for name, tensor in direct_.items():
        assert out["tensors"][name] == {"shape": list(tensor.shape), "dtype": str(tensor.dtype)}
    for seq, ids, mask in zip(out["sequences"], direct_["input_ids"].tolist(), direct_["attention_mask"].tolist()):
        assert seq["input_ids"] == ids and seq["attention_mask"] == mask
        assert seq["counts"]["padding_tokens"] == mask.count(0)

    fixed = run(manager, folder, TASK, WORDPIECE, {"text": text},
                {"padding": "max_length", "truncation": "True", "max_length": 10, "return_tensors": "np"})
    assert fixed["lengths"] == [10, 10, 10]
    assert fixed["tensors"]["input_ids"] == {"shape": [3, 10], "dtype": "int64"}
    assert fixed["sequences"][1]["input_ids"] == tok(BATCH, padding="max_length", truncation=True,
                                                     max_length=10)["input_ids"][1]

    lists = run(manager, folder, TASK, WORDPIECE, {"text": text})
    assert lists["tensors"] == {"return_tensors": None, "lengths": [len(i) for i in tok(BATCH)["input_ids"]]}
    with pytest.raises(UserError, match="return_tensors.*different lengths"):
        run(manager, folder, TASK, WORDPIECE, {"text": text}, {"return_tensors": "pt"})
    with pytest.raises(UserError, match="padding"):
        run(manager, folder, TASK, WORDPIECE, {"text": text}, {"padding": "sideways"})
    with pytest.raises(UserError, match="only_second cuts the second text"):
        run(manager, folder, TASK, WORDPIECE, {"text": "a b c"}, {"truncation": "only_second", "max_length": 3})
    with pytest.raises(UserError, match="adds 2 special tokens"):
        run(manager, folder, TASK, WORDPIECE, {"text": "a b c"}, {"truncation": "True", "max_length": 2})
    with pytest.raises(UserError, match="truncation: Sequence to truncate too short"):
        run(manager, folder, TASK, WORDPIECE, {"text": "hello world there", "text_pair": "x y z w"},
            {"truncation": "only_first", "max_length": 6})


def test_transformers_spellings_of_the_parameters(manager, folder, reference):
    """padding/truncation take transformers' own values (True, 'do_not_pad'), return_tensors None."""
    tok = reference(WORDPIECE)
    text = "\n".join(BATCH)
    padded = run(manager, folder, TASK, WORDPIECE, {"text": text}, {"padding": True, "truncation": "true",
                                                                    "max_length": 12, "return_tensors": None})
    assert padded["lengths"] == [len(i) for i in tok(BATCH, padding=True, truncation=True, max_length=12)["input_ids"]]
    plain = run(manager, folder, TASK, WORDPIECE, {"text": text}, {"padding": "do_not_pad", "truncation": False})
    assert plain["lengths"] == [len(i) for i in tok(BATCH)["input_ids"]]


def test_bounds_keep_a_public_link_cheap(manager, folder):
    """A hostile max_length, a padding that would allocate gigabytes, too many lines: one-line errors, at once."""
    for params, key in (({"max_length": 10**9, "padding": "max_length"}, "bad_param"),
                        ({"max_length": MAX_LENGTH + 1}, "bad_param"), ({"max_length": -1}, "bad_param"),
                        ({"view_limit": 10**9}, "bad_param"), ({"max_length": float("nan")}, "bad_param")):
        with pytest.raises(UserError) as err:
            run(manager, folder, TASK, WORDPIECE, {"text": "hello"}, params)
        assert err.value.key == key, params
    start = time.perf_counter()
    with pytest.raises(UserError) as err:  # 256 texts x 8,192 padded tokens: 2 million token slots
        run(manager, folder, TASK, WORDPIECE, {"text": "\n".join(["hi"] * 256)},
            {"padding": "max_length", "max_length": MAX_LENGTH})
    assert err.value.key == "too_large" and "padded to 8,192" in str(err.value)
    with pytest.raises(UserError) as err:  # max_length padding to a model_max_length above the bound
        tokenize._check_padding(SimpleNamespace(model_max_length=131_072), ["hi"], None, False, {"padding": "max_length"})
    assert err.value.key == "too_large" and "131,072" in str(err.value)
    with pytest.raises(UserError) as err:
        run(manager, folder, TASK, WORDPIECE, {"text": "\n".join(["hi"] * 257)})
    assert err.value.key == "too_large" and "at most 256" in str(err.value)
    with pytest.raises(UserError) as err:
        run(manager, folder, TASK, WORDPIECE, {"text": "x" * 100_001})
    assert err.value.key == "too_large"
    with pytest.raises(UserError) as err:
        run(manager, folder, TASK, WORDPIECE, {"text": " \n "})
    assert err.value.key == "empty_input"
    assert time.perf_counter() - start < 5


def test_text_pairs_have_token_type_ids_0_and_1(manager, folder, reference):
    question, context = "What is a tokenizer?", "A tokenizer splits text into tokens."
    result = result_of(manager, folder, TASK, WORDPIECE, {"text": question, "text_pair": context})
    out = result.output
    enc = reference(WORDPIECE)(question, context)
    assert out["token_type_ids"] == enc["token_type_ids"] and set(out["token_type_ids"]) == {0, 1}
    assert out["sequence_ids"][1] == 0 and out["sequence_ids"][-2] == 1
    html = view.tokenize_html(out, result.facts["texts"], result.facts["pairs"])
    assert "type 1" in html and view.esc("'splits'") in html  # hover titles quote the pair's own characters
    # XLM-R style tokenizers return no token_type_ids: the sequence ids still tell the texts apart
    xlmr = run(manager, folder, TASK, UNIGRAM, {"text": question, "text_pair": context})
    assert "token_type_ids" not in xlmr and {0, 1} <= set(xlmr["sequence_ids"])


def test_100k_characters_stay_responsive_with_exact_counts(manager, folder, reference):
    text = ("Tokenizers split text into pieces. 토크나이저는 문장을 토큰으로 나눕니다. " * 2000)[:100_000]
    for name in (WORDPIECE, BPE):
        start = time.perf_counter()
        result = result_of(manager, folder, TASK, name, {"text": text})
        out, notes = result.output, [str(n) for n in result.notes]
        html = view.tokenize_html(out, [text], None) + view.encoding_html(out, [text], None)
        seconds = time.perf_counter() - start
        total = len(reference(name)(text)["input_ids"])
        print(f"{name}: 100,000 characters -> {total:,} tokens, run + HTML in {seconds:.2f} s")
        assert seconds < 10
        assert out["counts"]["tokens"] == total and out["counts"]["characters"] == 100_000
        assert out["view"] == {"shown": VIEW_LIMIT, "total": total, "limited": True}
        assert len(out["input_ids"]) == VIEW_LIMIT and any("first 1,000" in n for n in notes)
        assert any("model_max_length" in n for n in notes)
        assert len(html) < 1_500_000 and len(json.dumps(out)) < 300_000


def test_the_shown_code_reproduces_the_run(manager, folder):
    ref = ModelRef.parse(folder(WORDPIECE))
    inputs, params = {"text": "\n".join(BATCH), "text_pair": "Pip"}, {**TASK.defaults(), "padding": "True",
                                                                     "return_tensors": "pt"}
    result = manager.run(TASK, ref.source, inputs, params)
    ns, printed = exec_code(result.code)
    for i, seq in enumerate(result.output["sequences"]):
        assert ns["encoding"]["input_ids"][i] == seq["input_ids"] and ns["encoding"].tokens(i) == seq["tokens"]
        assert [list(o) for o in ns["encoding"]["offset_mapping"][i]] == seq["offset_mapping"]
    assert {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in ns["tensors"].items()} == \
        {k: v for k, v in result.output["tensors"].items() if k != "return_tensors"}


def test_endpoint(client, folder, reference):
    tok = reference(UNIGRAM)
    res = client.predict(text="안녕하세요 세계", text_pair="", padding="False", truncation="False", max_length=0,
                         return_tensors="list", add_special_tokens=True, split_lines=True, view_limit=1000,
                         model=folder(UNIGRAM), api_name="/tokenize")
    raw = res[4]
    assert raw["input_ids"] == tok("안녕하세요 세계")["input_ids"] and raw["tokens"] == tok("안녕하세요 세계").tokens()
    assert 'class="tk' in res[0] and "input_ids" in res[1] and "Unigram" in res[2]

    # the run's notes fill the notes panel (English for an English client)
    res = client.predict(text="안녕하세요", text_pair="", padding="False", truncation="False", max_length=0,
                         return_tensors="list", add_special_tokens=True, split_lines=True, view_limit=1000,
                         model=folder(WORDPIECE), api_name="/tokenize")
    assert "jamo" in value_of(res[3])

    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="max_length"):
        client.predict(text="hi", text_pair="", padding="max_length", truncation="False", max_length=10**9,
                       return_tensors="list", add_special_tokens=True, split_lines=True, view_limit=1000,
                       model=folder(UNIGRAM), api_name="/tokenize")


def test_cli_prints_the_encoding_and_fails_in_one_line(folder, reference):
    text = "토크나이저는 문장을 토큰으로 나눕니다."
    out, bad, ok = two_at_a_time(
        lambda: cli("run", "tokenize", text, "--model", folder(BPE)),
        lambda: cli("run", "tokenize", "a\nbb bb bb", "--model", folder(BPE), "--param", "return_tensors=pt"),
        # transformers' argument values, and the notes on stderr
        lambda: cli("run", "tokenize", "안녕", "--model", folder(WORDPIECE), "--param", "padding=True",
                    "--param", "return_tensors=None"))
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    enc = reference(BPE)(text, return_offsets_mapping=True)
    assert printed["input_ids"] == enc["input_ids"] and printed["tokens"] == enc.tokens()
    assert printed["offset_mapping"] == [list(o) for o in enc["offset_mapping"]]

    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().count("\n") == 0 and "padding" in bad.stderr

    assert ok.returncode == 0, ok.stderr
    assert "note: " in ok.stderr and "jamo" in ok.stderr


def test_a_tokenizer_alone_reports_no_device_nor_dtype(manager, pack_dir):
    from demos.tokenizer.tokenize import TASK

    details = manager.run(TASK, str(pack_dir / "all-MiniLM-L6-v2"), {"text": "hello"}, {}).details
    assert "device" not in details and "dtype" not in details
    assert details["tokenizer_class"] if "tokenizer_class" in details else details["processor_class"]
