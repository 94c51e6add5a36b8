"""Translation: the removed 5.x pipeline, run as AutoModelForSeq2SeqLM + generate on tiny random models
(structure only) with each kind of model's prefix, through the server, the shown code and the browser."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.errors import UserError
from demos.text import translation
from demos.text.translation import TASK
from tests.text_generation_helpers import browser_example_run, printed_by, value_of

SHORT = "The Transformer is based on attention."


def run(manager, tiny, model, text, **params):
    return manager.run(TASK, str(tiny[model]), {"text": text}, {**TASK.defaults(), **params})


@pytest.mark.parametrize("model", ["bart-seq2seq", "t5-seq2seq", "marian-seq2seq"])
def test_one_result_per_line_in_batches(manager, tiny, model):
    """Three lines with batch_size=2 (two generate calls, padded): three results, in order, each flagged."""
    result = run(manager, tiny, model, f"{SHORT}\nHello world.\n\nA third line.", batch_size=2, max_length=8)
    assert isinstance(result.output, list) and len(result.output) == 3
    for item in result.output:
        assert set(item) == {"translation_text", "truncated"}
        assert isinstance(item["translation_text"], str) and item["truncated"] is False
    assert result.details["model_class"].endswith(("ForConditionalGeneration", "MTModel"))


def test_the_shown_code_prints_the_apps_result(manager, tiny):
    """The AutoClass snippets (single batch and the batch loop, with T5's task prefix) reproduce the raw output."""
    result = run(manager, tiny, "t5-seq2seq", "Hello world.\nThe house is wonderful.\nGood night.", max_length=8,
                 batch_size=2)
    code = result.code
    assert 'pipeline("translation")' in code and "KeyError" in code and "AutoModelForSeq2SeqLM" in code
    assert printed_by(code) == result.output
    looped = run(manager, tiny, "t5-seq2seq", "a\nb\nc", batch_size=2, max_length=4).code
    assert "for start in range(0, len(texts), 2)" in looped


def test_the_4x_one_liner_really_raises_key_error(tiny):
    """What the Code panel's note says: pipeline("translation") is gone in transformers 5."""
    from transformers import pipeline

    with pytest.raises(KeyError, match="removed"):
        pipeline("translation", model=str(tiny["t5-seq2seq"]))


class Vocab:
    def __init__(self, *tokens):
        self.tokens = {t: i for i, t in enumerate(tokens)}

    def get_vocab(self):
        return self.tokens


T5_PARAMS = {"translation_en_to_fr": {"prefix": "translate English to French: ", "num_beams": 4},
             "translation_en_to_de": {"prefix": "translate English to German: "},
             "summarization": {"prefix": "summarize: "}}


def test_translation_prefix_per_kind_of_model():
    t5 = SimpleNamespace(task_specific_params=T5_PARAMS)
    assert translation.translation_prefix(Vocab("a"), t5, "en", "fr") == ("translate English to French: ",
                                                                            {"num_beams": 4})
    assert translation.translation_prefix(Vocab("a"), t5, "en", "de")[0] == "translate English to German: "
    with pytest.raises(UserError, match="en→de, en→fr"):
        translation.translation_prefix(Vocab("a"), t5, "ko", "en")
    multi = SimpleNamespace()
    assert translation.translation_prefix(Vocab(">>kor<<", ">>jpn<<", "a"), multi, "en", "kor") == (">>kor<< ", {})
    with pytest.raises(UserError, match="jpn, kor"):
        translation.translation_prefix(Vocab(">>kor<<", ">>jpn<<"), multi, "en", "fr")
    assert translation.translation_prefix(Vocab("a", "b"), multi, "ko", "en") == ("", {}), "single pair: no prefix"


def test_t5_task_prefix_reaches_the_model(manager, tiny, monkeypatch):
    """The prefix from task_specific_params goes before the text, once (the notes' example already has it)."""
    entry, _ = manager.get(TASK.loader, str(tiny["t5-seq2seq"]))
    bundle = entry.obj
    seen = []
    original = bundle.processor.__class__.__call__

    def spy(self, text, *args, **kwargs):
        seen.append(text)
        return original(self, text, *args, **kwargs)

    monkeypatch.setattr(bundle.processor.__class__, "__call__", spy)
    monkeypatch.setattr(bundle.model.config, "task_specific_params", T5_PARAMS, raising=False)
    texts = ["Hello world.", "translate English to French: Hugging Face is a platform."]
    out = TASK.run(bundle, *TASK.parse({"text": "\n".join(texts)}, {"max_length": 5, "batch_size": 2})).value
    assert len(out) == 2
    assert seen[-1] == ["translate English to French: Hello world.", texts[1]]


def test_parameter_errors_are_one_clear_line(manager, tiny):
    with pytest.raises(UserError, match="batch_size"):
        run(manager, tiny, "t5-seq2seq", SHORT, batch_size=0)
    with pytest.raises(UserError, match="tgt_lang"):
        run(manager, tiny, "t5-seq2seq", SHORT, tgt_lang="fr; rm")


def test_language_codes_are_the_offered_ones_or_any_model_code():
    parse = TASK.params["tgt_lang"].parse
    assert [parse(v) for v in (None, " ", "FR", " de ", "kor", "kor_Hang", "ko-KR")] == \
        ["fr", "fr", "fr", "de", "kor", "kor_Hang", "ko-KR"]
    for bad in ("a b", ">>kor<<", "1en", "x" * 33):
        with pytest.raises(UserError, match="tgt_lang") as err:
            parse(bad)
        assert err.value.key == "bad_param"


@pytest.mark.parametrize(("name", "value", "key"), [
    ("max_length", 1025, "bad_param"), ("num_beams", 9, "bad_param"), ("batch_size", 33, "bad_param"),
    ("src_lang", "x" * 33, "bad_param"), ("tgt_lang", "e n", "bad_param"),
    ("text", "x" * 50_001, "too_large"), ("text", "a\n" * 65, "too_large"),
])
def test_bounds(name, value, key):
    with pytest.raises(UserError) as err:
        TASK.parse({"text": SHORT} if name != "text" else {}, {name: value})
    assert err.value.key == key


def test_api_endpoint(client, tiny):
    """/translation: drawn text, notes, raw JSON, code, details."""
    shown, table, notes, raw, code, details = map(value_of, client.predict(
        text=SHORT, src_lang="en", tgt_lang="fr", max_length=8, num_beams=0, batch_size=1,
        model=str(tiny["t5-seq2seq"]), api_name="/translation"))
    assert isinstance(raw, list) and len(raw) == 1
    assert shown == "\n".join(item["translation_text"] for item in raw)
    assert "AutoModelForSeq2SeqLM" in code and details["task"] == "translation"


@pytest.mark.browser
def test_browser_example_run(page, base_url, tiny, shoot):
    browser_example_run(page, base_url, str(tiny["t5-seq2seq"]), api_name="translation", title="Translation",
                        example="translate English to French: Hugging Face", length="max_length",
                        key="translation_text")
    shoot(page, "text_translation")


# ---- the same translations as transformers 4.57.6's pipeline ----------------------------------------------
TEXTS = ["The house is wonderful.", "Hello world, how are you today?", "My name is Sarah and I live in London."]
LONG = " ".join(["The Transformer is a sequence transduction model based entirely on attention."] * 60)


def v4_cases() -> list[dict]:
    """T5 en->fr / en->de (its task prefixes and defaults; 4.x named the pair in the task), BART and Marian
    (no task parameters: the pipeline's num_beams=4 over their max_length), Korean in, with and without
    parameters, a long line."""
    cases = []

    def case(model, src, tgt, params, call, texts=TEXTS):
        cases.append({"model": model, "inputs": {"text": "\n".join(texts)},
                      "params": {"src_lang": src, "tgt_lang": tgt, **params},
                      "v4": {"task": f"translation_{src}_to_{tgt}", "inputs": texts, "call": call}})

    case("t5-seq2seq", "en", "fr", {}, {}, texts=TEXTS[:1])  # 256 new tokens, greedy (its en->fr parameters)
    case("t5-seq2seq", "en", "de", {"max_new_tokens": 9}, {"max_new_tokens": 9})  # 3 beams from its parameters
    case("t5-seq2seq", "en", "ro", {"max_length": 12, "num_beams": 2},
         {"max_length": 12, "num_beams": 2, "max_new_tokens": None})
    for model in ("bart-seq2seq", "marian-seq2seq"):
        case(model, "en", "de", {}, {})
        case(model, "ko", "en", {}, {}, texts=["허깅페이스는 뉴욕에 있는 회사입니다.", "트랜스포머 라이브러리는 정말 좋아요."])
        case(model, "en", "de", {"num_beams": 1, "max_new_tokens": 7, "batch_size": 2},
             {"num_beams": 1, "max_new_tokens": 7, "batch_size": 2})
        case(model, "en", "de", {"max_length": 10}, {"max_length": 10, "max_new_tokens": None, "truncation": True},
             texts=[LONG, TEXTS[0]])
    return cases


@pytest.fixture(scope="module")
def translations_v4(manager, tiny):
    from tests.text_reading import against_v4

    return against_v4(manager, TASK, v4_cases(), tiny)


@pytest.mark.v4
def test_translations_equal_4x(translations_v4):
    outputs = set()
    for case, result, v4 in translations_v4:
        ours = [{"translation_text": item["translation_text"]} for item in result.output]
        assert ours == v4, (case["model"], case["params"])
        outputs.update(item["translation_text"] for item in ours)
    assert len(outputs) > len(translations_v4) * 2
    assert [i["truncated"] for i in translations_v4[-1][1].output] == [True, False]


@pytest.mark.v4
def test_the_code_reproduces_4x(translations_v4):
    for _case, result, v4 in translations_v4[:3]:
        assert "matches transformers 4.57.6's translation pipeline" in result.code
        assert [{"translation_text": i["translation_text"]} for i in printed_by(result.code)] == v4
