"""Tokenizer tab: what the tab shows equals the tokenizer objects called directly (ids, tokens, offsets, round
trip) for WordPiece, byte-level BPE and Unigram tokenizers of the offline pack, on English and Korean; plus the
API endpoints, the CLI and the shown code."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import subprocess
import sys
import time

import pytest

from core.errors import UserError
from core.models import ModelRef
from demos.tokenizer import anatomy, view
from demos.tokenizer import tasks as T
from tests.conftest import ROOT

WORDPIECE, BPE, UNIGRAM, WHISPER = ("all-MiniLM-L6-v2", "SmolLM2-135M-Instruct", "multilingual-e5-small-tokenizer",
                                    "whisper-tiny.en")
ALGORITHMS = {WORDPIECE: "WordPiece", BPE: "byte-level BPE", UNIGRAM: "Unigram", WHISPER: "byte-level BPE"}
ENGLISH = "Do not meddle in the affairs of wizards, for they are subtle and quick to anger."
KOREAN = "Hugging Face는 인공지능(AI)과 자연어 처리(NLP) 분야에서 혁신적인 도구를 제공한다."
BATCH = ["But what about second breakfast?", "Don't think he knows about second breakfast, Pip.", "What about elevensies?"]


@pytest.fixture(scope="module")
def folder(pack_dir):
    return lambda name: str(pack_dir / name)


@pytest.fixture(scope="module")
def reference(pack_dir):
    """The pack's tokenizers loaded directly (not through the app), to compare the tab against."""
    from transformers import AutoTokenizer

    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = AutoTokenizer.from_pretrained(str(pack_dir / name))
        return cache[name]

    return get


def run(manager, folder, task, name, inputs, params=None):
    return manager.run(task, folder(name), inputs, {**task.params, **(params or {})}).output


# ---- what the tab shows == the tokenizer called directly --------------------------------------------
@pytest.mark.parametrize("name", [WORDPIECE, BPE, UNIGRAM, WHISPER])
@pytest.mark.parametrize("text", [ENGLISH, KOREAN], ids=["english", "korean"])
def test_tokenize_equals_the_tokenizer_called_directly(manager, folder, reference, name, text):
    tok = reference(name)
    out = run(manager, folder, T.TOKENIZE, name, {"text": text})
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
    back = run(manager, folder, T.DECODE, name, {"text": text})
    assert back["ids"] == enc["input_ids"]
    assert back["decoded"] == tok.decode(enc["input_ids"])
    assert back["decoded_skip_special_tokens"] == tok.decode(enc["input_ids"], skip_special_tokens=True)
    assert back["round_trip"]["equal"] == (tok.decode(enc["input_ids"], skip_special_tokens=True) == text)


@pytest.mark.parametrize("name", [BPE, WHISPER])
def test_byte_level_korean_is_made_readable(manager, folder, reference, name):
    text = "안녕하세요, 토크나이저!"
    out = run(manager, folder, T.TOKENIZE, name, {"text": text}, {"add_special_tokens": False})
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
    out = run(manager, folder, T.TOKENIZE, WORDPIECE, {"text": "안녕하세요"})
    assert "ᄋ" in out["tokens"] and "readable" not in out
    assert any("jamo" in note for note in out["notes"])


def test_batch_padding_truncation_and_tensors(manager, folder, reference):
    tok = reference(WORDPIECE)
    text = "\n".join(BATCH)
    out = run(manager, folder, T.TOKENIZE, WORDPIECE, {"text": text}, {"padding": "True", "return_tensors": "pt"})
    direct = tok(BATCH, padding=True, return_tensors="pt")
    assert out["batch_size"] == 3 and len(out["sequences"]) == 3
    for name, tensor in direct.items():
        assert out["tensors"][name] == {"shape": list(tensor.shape), "dtype": str(tensor.dtype)}
    for seq, ids, mask in zip(out["sequences"], direct["input_ids"].tolist(), direct["attention_mask"].tolist()):
        assert seq["input_ids"] == ids and seq["attention_mask"] == mask
        assert seq["counts"]["padding_tokens"] == mask.count(0)

    fixed = run(manager, folder, T.TOKENIZE, WORDPIECE, {"text": text},
                {"padding": "max_length", "truncation": "True", "max_length": 10, "return_tensors": "np"})
    assert fixed["lengths"] == [10, 10, 10]
    assert fixed["tensors"]["input_ids"] == {"shape": [3, 10], "dtype": "int64"}
    assert fixed["sequences"][1]["input_ids"] == tok(BATCH, padding="max_length", truncation=True,
                                                     max_length=10)["input_ids"][1]

    lists = run(manager, folder, T.TOKENIZE, WORDPIECE, {"text": text})
    assert lists["tensors"] == {"return_tensors": None, "lengths": [len(i) for i in tok(BATCH)["input_ids"]]}
    with pytest.raises(UserError, match="return_tensors.*different lengths"):
        run(manager, folder, T.TOKENIZE, WORDPIECE, {"text": text}, {"return_tensors": "pt"})
    with pytest.raises(UserError, match="padding"):
        run(manager, folder, T.TOKENIZE, WORDPIECE, {"text": text}, {"padding": "sideways"})
    with pytest.raises(UserError, match="only_second cuts the second text"):
        run(manager, folder, T.TOKENIZE, WORDPIECE, {"text": "a b c"}, {"truncation": "only_second", "max_length": 3})
    with pytest.raises(UserError, match="adds 2 special tokens"):
        run(manager, folder, T.TOKENIZE, WORDPIECE, {"text": "a b c"}, {"truncation": "True", "max_length": 2})
    with pytest.raises(UserError, match="truncation: Sequence to truncate too short"):
        run(manager, folder, T.TOKENIZE, WORDPIECE, {"text": "hello world there", "text_pair": "x y z w"},
            {"truncation": "only_first", "max_length": 6})


def test_text_pairs_have_token_type_ids_0_and_1(manager, folder, reference):
    question, context = "What is a tokenizer?", "A tokenizer splits text into tokens."
    out = run(manager, folder, T.TOKENIZE, WORDPIECE, {"text": question, "text_pair": context})
    enc = reference(WORDPIECE)(question, context)
    assert out["token_type_ids"] == enc["token_type_ids"] and set(out["token_type_ids"]) == {0, 1}
    assert out["sequence_ids"][1] == 0 and out["sequence_ids"][-2] == 1
    html = view.tokenize_html(out, [question], [context])
    assert "type 1" in html and view.esc("'splits'") in html  # hover titles quote the pair's own characters
    # XLM-R style tokenizers return no token_type_ids: the sequence ids still tell the texts apart
    xlmr = run(manager, folder, T.TOKENIZE, UNIGRAM, {"text": question, "text_pair": context})
    assert "token_type_ids" not in xlmr and {0, 1} <= set(xlmr["sequence_ids"])


def test_100k_characters_stay_responsive_with_exact_counts(manager, folder, reference):
    text = ("Tokenizers split text into pieces. 토크나이저는 문장을 토큰으로 나눕니다. " * 2000)[:100_000]
    for name in (WORDPIECE, BPE):
        start = time.perf_counter()
        out = run(manager, folder, T.TOKENIZE, name, {"text": text})
        html = view.tokenize_html(out, [text], None) + view.encoding_html(out, [text], None)
        seconds = time.perf_counter() - start
        total = len(reference(name)(text)["input_ids"])
        print(f"{name}: 100,000 characters -> {total:,} tokens, run + HTML in {seconds:.2f} s")
        assert seconds < 10
        assert out["counts"]["tokens"] == total and out["counts"]["characters"] == 100_000
        assert out["view"] == {"shown": T.VIEW_LIMIT, "total": total, "limited": True}
        assert len(out["input_ids"]) == T.VIEW_LIMIT and any("first 1,000" in n for n in out["notes"])
        assert any("model_max_length" in n for n in out["notes"])
        assert len(html) < 1_500_000 and len(json.dumps(out)) < 300_000


# ---- look-ups, decode, added tokens, chat templates ----------------------------------------------------
def test_lookup_gives_the_notes_ids(manager, folder):
    # all-MiniLM-L6-v2 shares bert-base-uncased's vocabulary: the notes' "am" -> 2572 and "I" -> [UNK] (100)
    out = run(manager, folder, T.TOKEN_LOOKUP, WORDPIECE, {"tokens": "I am a boy", "ids": "2572"})
    assert out["tokens_to_ids"]["ids"] == [100, 2572, 1037, 2879]
    first = out["tokens_to_ids"]["details"][0]
    assert first["in_vocabulary"] is False and first["tokenized_as"] == ["i"]
    assert out["ids_to_tokens"]["tokens"] == ["am"]
    decoded = run(manager, folder, T.DECODE, WORDPIECE, {"ids": "[101, 1045, 2572, 1037, 2879, 1012, 102]"})
    assert decoded["decoded"] == "[CLS] i am a boy. [SEP]"  # the notes' output
    assert decoded["decoded_skip_special_tokens"] == "i am a boy."
    trip = run(manager, folder, T.DECODE, WORDPIECE, {"text": "I am a boy."})["round_trip"]
    assert trip["equal"] is False and trip["first_difference"] == 0 and trip["equal_ignoring_case_and_spaces"]


def test_lookup_byte_level_shows_bytes(manager, folder, reference):
    tok = reference(BPE)
    ids = tok("안", add_special_tokens=False)["input_ids"]
    out = run(manager, folder, T.TOKEN_LOOKUP, BPE, {"tokens": "hello Ġhello 안녕", "ids": ", ".join(map(str, ids))})
    assert out["tokens_to_ids"]["ids"][:2] == tok.convert_tokens_to_ids(["hello", "Ġhello"])
    assert out["tokens_to_ids"]["details"][2]["in_vocabulary"] is False
    assert bytes.fromhex("".join(d["bytes"] for d in out["ids_to_tokens"]["details"]).replace(" ", "")) == "안".encode()
    with pytest.raises(UserError, match="not a token id"):
        run(manager, folder, T.TOKEN_LOOKUP, BPE, {"ids": "99999999"})


def test_add_tokens_uses_a_copy_and_matches_deepcopy(manager, folder, reference):
    for name in (UNIGRAM, WORDPIECE):
        tok = reference(name)
        new, text = ["허깅페이스", "[NEW_TOKEN]"], "허깅페이스의 [NEW_TOKEN] 라이브러리"
        for special in (False, True) if name == WORDPIECE else (False,):  # deepcopy of 250k pieces is slow
            out = run(manager, folder, T.ADD_TOKENS, name, {"new_tokens": ", ".join(new), "text": text},
                      {"special_tokens": special})
            expected = copy.deepcopy(tok)
            assert out["added"] == expected.add_tokens(new, special_tokens=special) == 2
            assert [r["id"] for r in out["new_tokens"]] == expected.convert_tokens_to_ids(new) == [len(tok), len(tok) + 1]
            assert out["after"]["input_ids"] == expected(text)["input_ids"]
            assert out["before"]["input_ids"] == tok(text)["input_ids"]
            assert out["after"]["tokens"] == expected.convert_ids_to_tokens(expected(text)["input_ids"])
            assert len(tok) in out["after"]["input_ids"] and out["len_after"] == len(tok) + 2
        # the cached tokenizer is untouched
        again = run(manager, folder, T.TOKENIZE, name, {"text": text})
        assert again["input_ids"] == tok(text)["input_ids"] and again["tokenizer"]["len"] == len(tok)


def test_chat_template_is_the_tokenizers(manager, folder, reference):
    tok = reference(BPE)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "안녕하세요!"}]
    out = run(manager, folder, T.CHAT_TEMPLATE, BPE, {"messages": "system: Be brief.\nuser: 안녕하세요!"})
    assert out["messages"] == messages
    assert out["text"] == tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert out["input_ids"] == tok(out["text"], add_special_tokens=False)["input_ids"]
    assert out["tokens"][0] == "<|im_start|>" and out["special_tokens_mask"][0] == 1
    assert "안녕하세요" in "".join(p["text"] for p in out["readable"])
    with pytest.raises(UserError, match="no chat template"):
        run(manager, folder, T.CHAT_TEMPLATE, WORDPIECE, {"messages": "user: hi"})


def test_input_parsing():
    assert anatomy.parse_ids("tensor([[ 101, 1045,  2572]])") == [101, 1045, 2572]
    assert anatomy.parse_ids("101 1045\n2572") == [101, 1045, 2572]
    for bad, match in (("", "empty"), ("101, abc", "whole numbers"), ("[[1, 2], [3, 4]]", "one sequence"),
                       ("-5", "not a token id")):
        with pytest.raises(UserError, match=match):
            anatomy.parse_ids(bad, vocab=30522)
    assert anatomy.parse_messages("hello\nuser: hi\nthere\nassistant: yo") == [
        {"role": "user", "content": "hello"}, {"role": "user", "content": "hi\nthere"},
        {"role": "assistant", "content": "yo"}]
    assert anatomy.parse_messages('[{"role": "user", "content": "x"}]') == [{"role": "user", "content": "x"}]
    assert anatomy.parse_new_tokens("a, b\nb c") == ["a", "b", "c"]
    # a syllable split over byte tokens, and a sequence cut in the middle of one
    table = {b: c for c, b in anatomy.unicode_to_byte().items()}
    raw = ["".join(table[b] for b in "안".encode()[:2]), table["안".encode()[2]] + "a", table["녕".encode()[0]]]
    pieces = anatomy.readable_pieces(raw, [1, 2, 3], set(), True)
    assert [(p["text"], p["first"], p["last"]) for p in pieces] == [("안a", 0, 1), ("�", 2, 2)]


# ---- the shown code reproduces the run ------------------------------------------------------------------
def exec_code(code: str) -> tuple[dict, str]:
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace, out.getvalue()


def test_the_shown_code_reproduces_the_runs(manager, folder):
    ref = ModelRef.parse(folder(WORDPIECE))
    inputs, params = {"text": "\n".join(BATCH), "text_pair": "Pip"}, {**T.TOKENIZE.params, "padding": "True",
                                                                     "return_tensors": "pt"}
    result = manager.run(T.TOKENIZE, ref.source, inputs, params)
    ns, printed = exec_code(result.code)
    for i, seq in enumerate(result.output["sequences"]):
        assert ns["encoding"]["input_ids"][i] == seq["input_ids"] and ns["encoding"].tokens(i) == seq["tokens"]
        assert [list(o) for o in ns["encoding"]["offset_mapping"][i]] == seq["offset_mapping"]
    assert {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in ns["tensors"].items()} == \
        {k: v for k, v in result.output["tensors"].items() if k != "return_tensors"}

    bpe = ModelRef.parse(folder(BPE))
    decode = manager.run(T.DECODE, bpe.source, {"ids": "", "text": "안녕 hello"}, T.DECODE.params)
    _, printed = exec_code(decode.code)
    assert printed.splitlines()[1:] == [decode.output["decoded"], decode.output["decoded_skip_special_tokens"], "True"]

    lookup = manager.run(T.TOKEN_LOOKUP, ref.source, {"tokens": "I am a boy", "ids": "2572"}, {})
    _, printed = exec_code(lookup.code)
    assert printed.splitlines()[:2] == ["[100, 2572, 1037, 2879]", "['am']"]

    chat = manager.run(T.CHAT_TEMPLATE, bpe.source, {"messages": "user: 안녕!"}, T.CHAT_TEMPLATE.params)
    ns, _ = exec_code(chat.code)
    assert ns["text"] == chat.output["text"] and ns["ids"] == chat.output["input_ids"]

    added = manager.run(T.ADD_TOKENS, ref.source, {"new_tokens": "트랜스포머", "text": "트랜스포머 모델"}, T.ADD_TOKENS.params)
    ns, printed = exec_code(added.code)
    assert ns["model"].get_input_embeddings().weight.shape[0] == added.output["len_after"] == len(ns["tokenizer"])
    assert ns["tokenizer"].convert_tokens_to_ids(["트랜스포머"]) == [added.output["new_tokens"][0]["id"]]

    compare = T.code_compare([ref, bpe], {"text": "안녕"}, {"add_special_tokens": True})
    _, printed = exec_code(compare)
    from transformers import AutoTokenizer

    # the class AutoTokenizer picks depends on the folder's tokenizer_config; compare with a direct load
    bpe_class = type(AutoTokenizer.from_pretrained(folder(BPE))).__name__
    assert f"{folder(WORDPIECE)} BertTokenizer 30522" in printed and f"{folder(BPE)} {bpe_class} 49152" in printed
    # a tokenizer-only folder: the resize lines are there, commented out
    only = T.code_add_tokens(ModelRef.parse(folder(UNIGRAM)), {"new_tokens": "x"}, {})
    assert "# model.resize_token_embeddings(len(tokenizer))" in only
    compile(only, "<snippet>", "exec")


# ---- through the server (gradio_client) ---------------------------------------------------------------
def test_endpoints(client, folder, reference):
    tok = reference(UNIGRAM)
    res = client.predict(text="안녕하세요 세계", text_pair="", padding="False", truncation="False", max_length=0,
                         return_tensors="list", add_special_tokens=True, split_lines=True, view_limit=1000,
                         model=folder(UNIGRAM), api_name="/tokenize")
    raw = res[3]
    assert raw["input_ids"] == tok("안녕하세요 세계")["input_ids"] and raw["tokens"] == tok("안녕하세요 세계").tokens()
    assert 'class="tk' in res[0] and "input_ids" in res[1] and "Unigram" in res[2]

    res = client.predict("안녕하세요! 토크나이저", [folder(WORDPIECE), folder(BPE)], True, api_name="/tokenizer_compare")
    html, table, raw = res[0], res[1], res[2]
    assert [r["model"] for r in raw["results"]] == [folder(WORDPIECE), folder(BPE)]
    assert html.count('class="tkcol"') == 2
    assert [row[4] for row in table["data"]] == [len(reference(n)("안녕하세요! 토크나이저")["input_ids"]) for n in (WORDPIECE, BPE)]
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="2 to 4"):
        client.predict("x", [folder(WORDPIECE)], True, api_name="/tokenizer_compare")

    res = client.predict("101, 1045, 2572, 1037, 2879, 1012, 102", "", "default", folder(WORDPIECE), api_name="/decode")
    assert res[1] == "[CLS] i am a boy. [SEP]" and res[2] == "i am a boy."

    res = client.predict("I am a boy", "2572", folder(WORDPIECE), api_name="/token_lookup")
    assert res[2]["tokens_to_ids"]["ids"] == [100, 2572, 1037, 2879]

    res = client.predict("트랜스포머", "트랜스포머 모델", False, folder(UNIGRAM), api_name="/add_tokens")
    assert res[3]["new_tokens"][0]["id"] == len(tok)

    res = client.predict("user: 안녕!", True, folder(BPE), api_name="/chat_template")
    assert res[0].startswith("<|im_start|>") and "안녕!" in res[0]

    with pytest.raises(AppError, match="no chat template"):
        client.predict("user: hi", True, folder(WORDPIECE), api_name="/chat_template")


def test_result_texts_follow_the_browsers_language(base_url, folder):
    """Texts drawn with a result (add_tokens summary, compare columns) are made per request: Korean for a Korean
    browser, English for an English one."""
    from gradio_client import Client

    korean = Client(base_url, verbose=False, headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    english = Client(base_url, verbose=False, headers={"Accept-Language": "en-US,en;q=0.9"})
    add = dict(new_tokens="트랜스포머", text="트랜스포머 모델", special_tokens=False, model=folder(UNIGRAM),
               api_name="/add_tokens")
    summary, _, html = korean.predict(**add)[:3]
    assert "`add_tokens`의 반환값 **1**" in summary and "임베딩 행렬" in summary and "must grow" not in summary
    assert "추가 후: 토큰" in html and "After:" not in html
    summary, _, html = english.predict(**add)[:3]
    assert "`add_tokens` returned **1**" in summary and "After: " in html
    compare = ("안녕하세요! 토크나이저", [folder(WORDPIECE), folder(BPE)], True)
    assert "개 토큰" in korean.predict(*compare, api_name="/tokenizer_compare")[0]
    assert "</b> tokens" in english.predict(*compare, api_name="/tokenizer_compare")[0]


# ---- CLI ---------------------------------------------------------------------------------------------
def cli(*args):
    env = dict(os.environ, PLAYGROUND_NO_WARMUP="1")
    return subprocess.run([sys.executable, "app.py", *args], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=300)


def test_cli_prints_the_encoding_and_fails_in_one_line(folder, reference):
    text = "토크나이저는 문장을 토큰으로 나눕니다."
    out = cli("run", "tokenize", text, "--model", folder(BPE), "--offline")
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    enc = reference(BPE)(text, return_offsets_mapping=True)
    assert printed["input_ids"] == enc["input_ids"] and printed["tokens"] == enc.tokens()
    assert printed["offset_mapping"] == [list(o) for o in enc["offset_mapping"]]

    bad = cli("run", "tokenize", "a\nbb bb bb", "--model", folder(BPE), "--offline", "--param", "return_tensors=pt")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().count("\n") == 0 and "padding" in bad.stderr
