"""Token classification (NER) on a tiny random model (structure only): entities, tagged tokens, long texts
read in windows with their note, bounds, the shown code, the API, the CLI and the browser."""

from __future__ import annotations

import json
import re

import pytest

from core.errors import UserError
from core.jsonable import jsonable
from demos.text.token_classification import TASK
from tests.text_reading import (
    LONG,
    NER_SENTENCE,
    cli,
    close,
    example_run,
    note_texts,
    open_task,
    pick_model,
    printed_by,
    run_and_wait,
    value_of,
)


def run(manager, tiny, inputs, **params):
    return manager.run(TASK, str(tiny["bert-tokcls"]), inputs, {**TASK.defaults(), **params})


def test_ner_entities_point_into_the_text(manager, tiny):
    out = run(manager, tiny, {"text": NER_SENTENCE}, ignore_labels="").output
    assert out and all(set(e) == {"entity_group", "score", "word", "start", "end"} for e in out)
    assert {e["entity_group"] for e in out} <= {"O", "PER", "ORG", "LOC", "MISC"}
    for e in out:
        assert 0 <= e["start"] < e["end"] <= len(NER_SENTENCE) and 0 <= float(e["score"]) <= 1
    # nothing ignored: the groups cover every word of the sentence
    covered = "".join(NER_SENTENCE[e["start"]:e["end"]] for e in out).replace(" ", "")
    assert covered == NER_SENTENCE.replace(" ", "")


def test_ner_none_tags_tokens_and_ignores_o(manager, tiny):
    out = run(manager, tiny, {"text": NER_SENTENCE + "\nMy name is Sarah."},
              aggregation_strategy="none", batch_size=2).output
    assert isinstance(out, list) and len(out) == 2
    for tokens in out:
        for t in tokens:
            assert {"entity", "index", "word", "start", "end", "score"} <= set(t) and t["entity"] != "O"
            assert re.fullmatch(r"[BI]-(PER|ORG|LOC|MISC)", t["entity"])


def test_ner_reads_a_long_text_whole_with_stride_and_notes_it(manager, tiny):
    """stride > 0: tags reach the end of a text longer than the model's 512 tokens; stride 0: they stop early."""
    whole = run(manager, tiny, {"text": LONG}, ignore_labels="")
    cut = run(manager, tiny, {"text": LONG}, ignore_labels="", stride=0)
    assert max(e["end"] for e in whole.output) == len(LONG)
    assert max(e["end"] for e in cut.output) < len(LONG) * 0.8
    assert "overlapping windows (stride=32)" in note_texts(run(manager, tiny, {"text": LONG}))
    assert "truncated" in note_texts(cut) and "(stride is 0;" in note_texts(cut)
    assert "overlapping windows (stride=32)" in note_texts(whole)
    assert note_texts(run(manager, tiny, {"text": NER_SENTENCE})) == ""
    # the note names the line, in the reader's language
    several = run(manager, tiny, {"text": f"{NER_SENTENCE}\n{LONG}"}, aggregation_strategy="none")
    (note,) = several.notes
    assert note.text().startswith("⚠️ Line 2 is longer") and "aggregation_strategy \"none\" cannot use windows" in note.text()
    assert note.text("ko").startswith("⚠️ 2번째 줄의 길이가") and "창을 쓸 수 없습니다" in note.text("ko")


def test_ner_bad_parameters_are_one_line(manager, tiny):
    with pytest.raises(UserError, match="aggregation_strategy"):
        run(manager, tiny, {"text": NER_SENTENCE}, aggregation_strategy="longest")
    with pytest.raises(UserError, match="stride"):
        run(manager, tiny, {"text": NER_SENTENCE}, stride=600)
    with pytest.raises(UserError, match="empty"):
        run(manager, tiny, {"text": "  \n "})


@pytest.mark.parametrize("params,key", [
    ({"stride": -1}, "bad_param"), ({"stride": 257}, "bad_param"), ({"batch_size": 0}, "bad_param"),
    ({"batch_size": 33}, "bad_param"), ({"stride": float("nan")}, "bad_param"),
    ({"ignore_labels": ",".join(f"L{i}" for i in range(51))}, "too_large"), ({"ignore_labels": "x" * 51}, "too_large"),
])
def test_ner_bounds(manager, tiny, params, key):
    with pytest.raises(UserError) as err:
        run(manager, tiny, {"text": NER_SENTENCE}, **params)
    assert err.value.key == key


def test_ner_text_bounds(manager, tiny):
    with pytest.raises(UserError) as err:
        run(manager, tiny, {"text": "a" * 50_001})
    assert err.value.key == "too_large"
    with pytest.raises(UserError) as err:
        run(manager, tiny, {"text": "\n".join(["a"] * 257)})
    assert err.value.key == "too_large" and "257 lines" in str(err.value)


def test_ner_takes_transformers_names_and_values(manager, tiny):
    """`inputs` is the pipeline's own name for the text; AggregationStrategy values are upper case; an empty
    ignore_labels keeps every token while a missing one ignores "O"."""
    out = run(manager, tiny, {"inputs": NER_SENTENCE}, aggregation_strategy="FIRST", ignore_labels="")
    assert out.params["aggregation_strategy"] == "first" and out.params["ignore_labels"] == []
    assert out.inputs["text"] == [NER_SENTENCE]
    assert TASK.parse({"text": "a"}, {})[1]["ignore_labels"] == ["O"]
    assert TASK.parse({"text": "a"}, {"ignore_labels": "O, MISC"})[1]["ignore_labels"] == ["O", "MISC"]


CODE_CASES = [
    ({"text": NER_SENTENCE}, {}),
    ({"text": f"{NER_SENTENCE}\nMy name is Sarah."}, {"aggregation_strategy": "none", "batch_size": 2}),
]


@pytest.mark.parametrize("inputs,params", CODE_CASES, ids=["one", "batch-none"])
def test_the_shown_code_prints_the_apps_result(manager, tiny, inputs, params):
    result = run(manager, tiny, inputs, **params)
    printed, stdout = printed_by(result.code)
    assert close(jsonable(printed), jsonable(result.output)), (printed, result.output)
    assert stdout.strip()


def test_api_endpoint(client, tiny):
    ner = client.predict(text=NER_SENTENCE, aggregation_strategy="simple", ignore_labels="O", stride=32, batch_size=1,
                         model=str(tiny["bert-tokcls"]), api_name="/token_classification")
    highlight, table, notes, raw, code, details = map(value_of, ner)
    assert "".join(h["token"] for h in highlight) == NER_SENTENCE
    assert len(table["data"]) == len(raw) and details["task"] == "token-classification"
    assert not notes


def test_api_long_text_note_and_bound(client, tiny):
    from gradio_client.exceptions import AppError

    ner = client.predict(text=LONG, aggregation_strategy="simple", ignore_labels="O", stride=32, batch_size=1,
                         model=str(tiny["bert-tokcls"]), api_name="/token_classification")
    assert "overlapping windows (stride=32)" in value_of(ner[2])
    with pytest.raises(AppError, match="stride"):
        client.predict(text=NER_SENTENCE, aggregation_strategy="simple", ignore_labels="O", stride=10**9,
                       batch_size=1, model=str(tiny["bert-tokcls"]), api_name="/token_classification")


def test_cli_ner_alias(tiny):
    out = cli("ner", NER_SENTENCE, "--model", str(tiny["bert-tokcls"]), "--param", "ignore_labels=",
              "--param", "aggregation_strategy=first")
    assert out.returncode == 0, out.stderr
    entities = json.loads(out.stdout)
    assert entities and all({"entity_group", "start", "end"} <= set(e) for e in entities)


def test_cli_prints_the_long_text_note(tiny):
    out = cli("ner", LONG, "--model", str(tiny["bert-tokcls"]), "--param", "stride=0")
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("note: ⚠️ The input is longer than the")


@pytest.mark.browser
def test_browser_example_run(page, base_url, tiny, shoot):
    from playwright.sync_api import expect

    example_run(page, base_url, "Token classification (NER)", "token_classification", NER_SENTENCE, "text",
                tiny["bert-tokcls"])
    highlight = page.locator("#token_classification_highlight")
    expect(highlight).to_contain_text("Hugging")
    expect(highlight.get_by_role("button", name=re.compile("^(PER|ORG|LOC|MISC)$")).first).to_be_visible()
    expect(page.locator("#token_classification_table [role=row]").nth(1)).to_be_visible()
    shoot(page, "text_token_classification")


@pytest.mark.browser
def test_browser_long_text_note(page, base_url, tiny, shoot):
    from playwright.sync_api import expect

    open_task(page, base_url, "Token classification (NER)", "token_classification")
    page.locator("#token_classification_text textarea").fill(LONG)
    pick_model(page, "token_classification", tiny["bert-tokcls"])
    run_and_wait(page, page.locator("#task_token_classification"), "token_classification")
    expect(page.locator("#token_classification_notes")).to_contain_text("overlapping windows", timeout=60_000)
    shoot(page, "text_token_classification_long")


# ---- the same entities as transformers 4.57.6's pipeline --------------------------------------------------
TEXTS = ["Hugging Face is a French company based in New York City.", "My name is Wolfgang and I live in Berlin.",
         "허깅페이스는 뉴욕에 있는 회사입니다 🤗 정말   좋아요.", "Sarah  🎉 lives   in London,  England."]


def v4_cases() -> list[dict]:
    """Every aggregation strategy over English, Korean, emoji and runs of spaces (offsets into the text),
    ignore_labels (none, some), stride over a long text, a batch."""
    cases = []

    def case(texts, params, call):
        cases.append({"model": "bert-tokcls", "inputs": {"text": "\n".join(texts)}, "params": params,
                      "v4": {"task": "token-classification", "inputs": texts if len(texts) > 1 else texts[0],
                             "call": call}})

    for strategy in ("none", "simple", "first", "average", "max"):
        case(TEXTS, {"aggregation_strategy": strategy, "stride": 0},
             {"aggregation_strategy": strategy, "ignore_labels": ["O"]})
    case(TEXTS[2:], {"aggregation_strategy": "none", "ignore_labels": ""},
         {"aggregation_strategy": "none", "ignore_labels": []})
    case(TEXTS[:2], {"aggregation_strategy": "first", "ignore_labels": "O,B-PER,I-PER", "batch_size": 2},
         {"aggregation_strategy": "first", "ignore_labels": ["O", "B-PER", "I-PER"], "batch_size": 2})
    for strategy in ("simple", "max"):
        case([LONG], {"aggregation_strategy": strategy, "stride": 40},
             {"aggregation_strategy": strategy, "ignore_labels": ["O"], "stride": 40})
    return cases


@pytest.fixture(scope="module")
def entities_v4(manager, tiny):
    from tests.text_reading import against_v4

    return against_v4(manager, TASK, v4_cases(), tiny)


@pytest.mark.v4
def test_entities_equal_4x(entities_v4):
    for case, result, v4 in entities_v4:
        assert close(result.output, v4, tol=1e-5), case["params"]
    assert any(len(entities) for _, result, _ in entities_v4 for entities in result.output)


@pytest.mark.v4
def test_offsets_point_into_korean_emoji_and_spaces(entities_v4):
    """Tokens ("none") point at their characters, also after emoji and runs of spaces."""
    _, result, _ = entities_v4[0]
    for text, tokens in zip(TEXTS, result.output):
        assert tokens
        for token in tokens:
            word = token["word"].removeprefix("##")
            assert 0 <= token["start"] < token["end"] <= len(text)
            if word.isascii():
                assert text[token["start"]:token["end"]].lower() == word, token


def test_examples_follow_the_models_labels(manager, tiny, pack_dir):
    """CoNLL-style models get the company/person examples; a personal-data tagger (the pack's rampart, or any
    model with GIVEN_NAME/EMAIL-like types) gets names and addresses it can find."""
    from demos.text.common import config_labels
    from demos.text.token_classification import EXAMPLES, PII_EXAMPLES, example_rows

    assert example_rows(config_labels(manager, str(tiny["bert-tokcls"]))) == EXAMPLES
    assert example_rows(config_labels(manager, str(pack_dir / "rampart"))) == PII_EXAMPLES
    assert example_rows(("O", "B-EMAIL", "I-EMAIL")) == PII_EXAMPLES
    assert example_rows(()) == EXAMPLES


def test_every_entity_type_of_a_run_has_its_own_colour(manager, pack_dir):
    """rampart's 17 types: no two types present in one run share a colour (B-/I- of one type do)."""
    from demos.text.common import config_labels
    from demos.text.token_classification import PALETTE, color_map, entity_type

    labels = [label for label in config_labels(manager, str(pack_dir / "rampart")) if label != "O"]
    colors = color_map(labels)
    by_type: dict[str, set[str]] = {}
    for label, color in colors.items():
        by_type.setdefault(entity_type(label), set()).add(color)
    assert all(len(c) == 1 for c in by_type.values())
    distinct = {next(iter(c)) for c in by_type.values()}
    assert len(distinct) == min(len(by_type), len(PALETTE))
    assert color_map(["B-PER", "I-PER", "LOC"]) == {"B-PER": "#fca5a5", "I-PER": "#fca5a5", "LOC": "#86efac"}
