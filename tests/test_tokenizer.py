"""Tokenizer tab as a whole: the tokenizers of the offline pack every task file's tests use (WordPiece,
byte-level BPE, Unigram, on English and Korean) and their helpers; the shared input parsing, the tab's
imports, its Korean catalog, and the result texts in the browser's language. Each task's own tests are in
tests/test_<task>.py; the browser in tests/test_tokenizer_browser.py."""

from __future__ import annotations

import ast
import contextlib
import functools
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import UserError
from demos.tokenizer import anatomy
from tests.conftest import ROOT

WORDPIECE, BPE, UNIGRAM, WHISPER = ("all-MiniLM-L6-v2", "SmolLM2-135M-Instruct", "multilingual-e5-small-tokenizer",
                                    "whisper-tiny.en")
ALGORITHMS = {WORDPIECE: "WordPiece", BPE: "byte-level BPE", UNIGRAM: "Unigram", WHISPER: "byte-level BPE"}
ENGLISH = "Do not meddle in the affairs of wizards, for they are subtle and quick to anger."
KOREAN = "Hugging Face는 인공지능(AI)과 자연어 처리(NLP) 분야에서 혁신적인 도구를 제공한다."
BATCH = ["But what about second breakfast?", "Don't think he knows about second breakfast, Pip.", "What about elevensies?"]


# ---- shared by the task files' tests ------------------------------------------------------------------
@functools.cache
def direct(folder: str):
    """A pack tokenizer loaded directly (not through the app), to compare the tab against."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder)


@pytest.fixture(scope="module")
def folder(pack_dir):
    return lambda name: str(pack_dir / name)


@pytest.fixture(scope="module")
def reference(pack_dir):
    return lambda name: direct(str(pack_dir / name))


def result_of(manager, folder, task, name, inputs, params=None):
    """The RunResult of task on a pack tokenizer (name, or a list of names for tokenizer-compare)."""
    model = [folder(n) for n in name] if isinstance(name, list) else folder(name)
    return manager.run(task, model, inputs, {**task.defaults(), **(params or {})})


def run(manager, folder, task, name, inputs, params=None):
    return result_of(manager, folder, task, name, inputs, params).output


def exec_code(code: str) -> tuple[dict, str]:
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace, out.getvalue()


def value_of(output):
    """An output's value: components updated with gr.update(...) come back as {"value": ..., other props}."""
    return output["value"] if isinstance(output, dict) and "value" in output else output


PACK = Path(os.environ.get("PLAYGROUND_PACK_DIR") or ROOT / "pack")


def cli(*args):
    """`python app.py *args` offline over the pack (a typed folder loads only under a --models-dir)."""
    env = dict(os.environ, PLAYGROUND_NO_WARMUP="1")
    return subprocess.run([sys.executable, "app.py", *args, "--offline", "--models-dir", str(PACK)], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=300)


# ---- the tab ------------------------------------------------------------------------------------------
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


def test_the_tabs_fields_parse_text_and_json_lists_within_bounds():
    ids = anatomy.Ids("ids", label="Token ids", max_items=3, max_chars=40)
    assert ids.parse("[101, 102]") == ids.parse([101, 102]) == ids.parse([[101, 102]]) == [101, 102]
    assert ids.parse("") == ids.parse(None) == []
    for bad, key in (("1, 2, 3, 4", "too_large"), ([1, 2, 3, 4], "too_large"), ("9" * 41, "too_large"),
                     ("1, x", "bad_param"), ([[1], [2]], "bad_param")):
        with pytest.raises(UserError) as err:
            ids.parse(bad)
        assert err.value.key == key, bad
    with pytest.raises(UserError, match="empty"):
        anatomy.NewTokens("new_tokens", label="New tokens", required=True).parse(" , ")
    tokens = anatomy.Tokens("tokens", max_items=2)
    assert tokens.parse("##ing Ġhello") == tokens.parse(["##ing", "Ġhello"]) == ["##ing", "Ġhello"]
    with pytest.raises(UserError, match="too large"):
        tokens.parse("a b c")
    messages = anatomy.Messages("messages", label="Conversation", required=True, max_items=2, max_chars=100)
    assert messages.parse([{"role": "user", "content": "hi"}]) == [{"role": "user", "content": "hi"}]
    for bad in ("user: a\nassistant: b\nuser: c", [{"role": "user", "content": "x" * 200}]):
        with pytest.raises(UserError, match="too large"):
            messages.parse(bad)


def test_importing_the_tab_imports_neither_gradio_nor_torch():
    out = subprocess.run([sys.executable, "-c", "import sys, demos.tokenizer; "
                          "print(sorted(m for m in ('gradio', 'torch', 'transformers') if m in sys.modules))"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _shown_texts() -> set[str]:
    """Every English text the tab shows: field labels and help, tr()/say()/note() texts, the html_output labels
    and the modules' text constants, read from the tab's source."""
    texts: set[str] = set()
    folder = ROOT / "demos" / "tokenizer"
    constants: dict[str, dict[str, str]] = {}
    trees = {}
    for path in sorted(folder.glob("*.py")):
        trees[path.stem] = tree = ast.parse(path.read_text())
        constants[path.stem] = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                                for t in n.targets if isinstance(t, ast.Name)
                                and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)}

    def strings(node, module: str):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.Name) and node.id in constants[module]:
            yield constants[module][node.id]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in constants:
            yield constants[node.value.id].get(node.attr, "")
        elif isinstance(node, ast.IfExp):
            yield from strings(node.body, module)
            yield from strings(node.orelse, module)

    fields = {"Text", "Ids", "Tokens", "NewTokens", "Messages", "Bool", "Int", "Choice"}
    for module, tree in trees.items():
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
            if name in ("say", "note", "tr") and call.args:
                texts.update(strings(call.args[0], module))
            if name == "html_output" and len(call.args) > 1:
                texts.update(strings(call.args[1], module))
            if name in fields:
                for kw in call.keywords:
                    if kw.arg in ("help", "label"):
                        texts.update(strings(kw.value, module))
    texts.update(f"Tokenizer {n}" for n in range(1, 5))
    for tree in trees.values():  # table headers, said per request (say(h) for h in HEADERS)
        for n in tree.body:
            if (isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "HEADERS" for t in n.targets)
                    and isinstance(n.value, (ast.Tuple, ast.List))):
                texts.update(e.value for e in n.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    not_shown = {"CSS", "SAMPLE", "SENTENCE", "WORDS", "DEFAULT", "CHAT_DEFAULT"}  # styles, sample texts, model ids
    texts.update(v for module in constants.values() for k, v in module.items() if k not in not_shown)
    return {t for t in texts if t.strip()}


def test_every_text_the_tab_shows_has_korean():
    from core.i18n import catalog
    from demos.tokenizer import SPEC

    shown = _shown_texts() | {SPEC.title} | {task.title for task in SPEC.tasks}
    assert len(shown) > 80
    missing = sorted(t for t in shown if t not in catalog("ko"))
    assert not missing, missing
    # and nothing of the tab's catalog is left over from removed texts
    import tomllib

    own = tomllib.loads(Path(ROOT / "locales" / "ko" / "tokenizer.toml").read_text())
    assert not sorted(set(own) - shown - {"Tokens"}), "unused keys in locales/ko/tokenizer.toml"


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
    compare = dict(text="안녕하세요! 토크나이저", add_special_tokens=True, view_limit=1000, model=folder(WORDPIECE),
                   model_2=folder(BPE), api_name="/tokenizer_compare")
    assert "개 토큰" in korean.predict(**compare)[0]
    assert "</b> tokens" in english.predict(**compare)[0]
    # the run's notes too: the WordPiece column splits Hangul into jamo
    assert "자모" in value_of(korean.predict(**compare)[2]) and "jamo" in value_of(english.predict(**compare)[2])
