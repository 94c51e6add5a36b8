"""Table question answering on a tiny random TAPAS (structure only): answers pointing at cells, every table
shape read as text cells (once, by the field), the CSV upload, bounds and the dropped-rows note, the shown
code, the API and the browser."""

from __future__ import annotations

import re

import pytest

from core.errors import UserError
from core.jsonable import jsonable
from demos.text import table_question_answering as TQ
from demos.text.table_question_answering import NOTES_TABLE, TASK
from tests.text_reading import close, example_run, note_texts, printed_by, value_of


def run(manager, tiny, inputs, **params):
    return manager.run(TASK, str(tiny["tapas"]), inputs, {**TASK.defaults(), **params})


def test_table_qa_answer_points_at_cells(manager, tiny):
    out = run(manager, tiny, {"query": "How many stars does the transformers repository have?",
                              "table": NOTES_TABLE}).output
    assert set(out) == {"answer", "coordinates", "cells", "aggregator"}
    assert out["aggregator"] in ("NONE", "SUM", "AVERAGE", "COUNT")
    columns = list(NOTES_TABLE)
    assert out["cells"] == [NOTES_TABLE[columns[c]][r] for r, c in out["coordinates"]]
    many = run(manager, tiny, {"query": "How many stars?\nWhich language?", "table": "a,b\n1,2\n3,4\n"}).output
    assert isinstance(many, list) and len(many) == 2


def test_table_inputs_every_shape_as_strings(tmp_path):
    import pandas as pd

    expected = {"a": ["1", "x"], "b": ["2.5", ""]}
    csv = tmp_path / "t.csv"
    csv.write_text("a,b\n1,2.5\nx,\n,\n", encoding="utf-8")
    for value in (pd.DataFrame({"a": [1, "x"], "b": [2.5, None]}), {"headers": ["a", "b"], "data": [[1, 2.5], ["x", None]]},
                  "a,b\n1,2.5\nx,\n", str(csv), [{"a": 1, "b": 2.5}, {"a": "x", "b": None}]):
        assert TQ.table_of(value) == expected, value
        assert TASK.parse({"query": "q", "table": value}, {})[0]["table"] == expected  # the field reads it once
    for bad, what in (("", "empty"), ("a,b\n", "empty"), ({"headers": ["a", "a"], "data": [["1", "2"]]}, "headers"),
                      (str(tmp_path / "missing.csv"), "no such file")):
        with pytest.raises(UserError, match=what):
            TQ.table_of(bad)


def test_table_bounds(tmp_path):
    def key_of(table):
        with pytest.raises(UserError) as err:
            TASK.parse({"query": "q", "table": table}, {})
        return err.value.key, str(err.value)

    assert key_of({"n": [str(i) for i in range(TQ.MAX_ROWS + 1)]})[0] == "too_large"
    assert key_of({f"c{i}": ["1"] for i in range(TQ.MAX_COLUMNS + 1)})[0] == "too_large"
    key, text = key_of({"a": ["x" * (TQ.MAX_CELL_CHARS + 1)]})
    assert key == "too_large" and f"at most {TQ.MAX_CELL_CHARS}" in text
    assert key_of("a,b\n" + "1,2\n" * 300_000)[0] == "too_large"  # CSV text over the field's max_chars
    big = tmp_path / "big.csv"
    big.write_text("a,b\n" + "1,2\n" * 300_000, encoding="utf-8")
    key, text = key_of(str(big))
    assert key == "too_large" and "bytes" in text
    assert key_of({"a": []})[0] == "empty_input"
    with pytest.raises(UserError) as err:
        TASK.parse({"query": "\n".join(["q"] * 65), "table": NOTES_TABLE}, {})
    assert err.value.key == "too_large"


def test_csv_upload_fills_the_table_editor_with_text_cells(tmp_path):
    import gradio as gr

    csv = tmp_path / "repos.csv"
    csv.write_text("\ufeffRepository;Stars\nTransformers;36542\nDatasets;4512\n", encoding="utf-8")
    frame = TQ.read_csv_upload(str(csv))
    assert list(frame.columns) == ["Repository", "Stars"] and frame["Stars"].tolist() == ["36542", "4512"]
    with pytest.raises(gr.Error, match="Table"):
        TQ.read_csv_upload(str(tmp_path / "nothing.csv"))


def test_table_too_large_and_dropped_rows_note(manager, tiny):
    rows = 200
    big = {"city": [f"city {i}" for i in range(rows)], "people": [str(i * 1000) for i in range(rows)]}
    result = run(manager, tiny, {"query": "How many people?", "table": big})
    assert re.search(rf"only its first \d+ of {rows} rows were used", note_texts(result))
    assert result.output
    assert run(manager, tiny, {"query": "How many stars?", "table": NOTES_TABLE}).notes == ()
    huge = {"n": [str(i) for i in range(300)]}
    with pytest.raises(UserError, match="at most 255 rows"):
        run(manager, tiny, {"query": "How many?", "table": huge})


def test_the_shown_code_prints_the_apps_result(manager, tiny):
    result = run(manager, tiny, {"query": "How many stars does the transformers repository have?",
                                 "table": NOTES_TABLE})
    printed, stdout = printed_by(result.code)
    assert close(jsonable(printed), jsonable(result.output)), (printed, result.output)
    assert stdout.strip()


def test_used_cells_are_highlighted_in_the_drawn_table():
    import gradio as gr

    drawn = gr.Dataframe(interactive=False).postprocess(TQ.styled_table(NOTES_TABLE, [(0, 1), (2, 1)]))
    styled = {(r, c) for r, row in enumerate(drawn.metadata["styling"]) for c, css in enumerate(row) if css}
    assert styled == {(0, 1), (2, 1)} and drawn.headers == list(NOTES_TABLE)


def test_api_endpoint(client, tiny):
    tq = client.predict(query="How many stars?", table={"headers": list(NOTES_TABLE),
                                                        "data": [list(r) for r in zip(*NOTES_TABLE.values())]},
                        sequential=False, model=str(tiny["tapas"]), api_name="/table_question_answering")
    answer, aggregator, cells, per_query, notes, raw, code, details = map(value_of, tq)
    assert aggregator == raw["aggregator"] and cells["headers"] == list(NOTES_TABLE)
    styled = {(r, c) for r, row in enumerate(cells["metadata"]["styling"]) for c, css in enumerate(row) if css}
    assert styled == {tuple(rc) for rc in raw["coordinates"]}
    assert not notes and details["task"] == "table-question-answering"


@pytest.mark.browser
def test_browser_example_run(page, base_url, tiny, shoot):
    from playwright.sync_api import expect

    example_run(page, base_url, "Table question answering", "table_question_answering",
                "How many stars does the transformers", "query", tiny["tapas"])
    expect(page.locator("#table_question_answering_aggregator textarea")).to_have_value(
        re.compile("NONE|SUM|AVERAGE|COUNT"))
    expect(page.locator("#table_question_answering_cells")).to_contain_text("Transformers")
    shoot(page, "text_table_question_answering")


# ---- the same answers as transformers 4.57.6's pipeline ---------------------------------------------------
def v4_cases() -> list[dict]:
    """The notes' table with one and several questions (aggregations), a numeric table, sequential questions."""
    from tests.v4 import table

    numbers = {"city": ["Seoul", "Busan", "Paris", "Berlin"], "people": ["9411", "3349", "2102", "3645"],
               "year": ["2020", "2021", "2024", "2020"]}
    questions = ["How many stars does the transformers repository have?", "What is the total of contributors?",
                 "Which programming language is tokenizers written in?"]
    cases = []

    def case(frame, queries, params=None):
        cases.append({"model": "tapas", "inputs": {"table": frame, "query": "\n".join(queries)},
                      "params": params or {},
                      "v4": {"task": "table-question-answering", "inputs": table(_frame(frame)),
                             "call": {"query": queries if len(queries) > 1 else queries[0],
                                      **({"sequential": True} if params else {})}}})

    case(NOTES_TABLE, questions[:1])
    case(NOTES_TABLE, questions)
    case(numbers, ["How many people live in cities?", "Average people in 2020?"])
    case(numbers, ["Which city has the most people?", "And the year?"], {"sequential": True})
    return cases


def _frame(columns):
    import pandas as pd

    return pd.DataFrame(columns)


@pytest.fixture(scope="module")
def answers_v4(manager, tiny):
    from tests.text_reading import against_v4

    return against_v4(manager, TASK, v4_cases(), tiny)


@pytest.mark.v4
def test_answers_equal_4x(answers_v4):
    for case, result, v4 in answers_v4:
        assert jsonable(result.output) == v4, case["inputs"]["query"]
    assert {a["aggregator"] for _, r, _ in answers_v4 for a in (r.output if isinstance(r.output, list) else
                                                                 [r.output])} - {"NONE"}, "some aggregation"
