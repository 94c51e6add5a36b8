"""table-question-answering: answer a question from a table (TAPAS): the cells it points to and an
aggregation (SUM, COUNT...), one question per line, through the transformers 5 pipeline.

The table is read once, by its field (`Table`): a DataFrame from the editor, {"headers", "data"} from an API
client, {column: cells}, row dicts, CSV text or a .csv path from the CLI, all become {column: [cell text]}.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from core import limits
from core.codegen import call_args, place_kwargs, py, source_kwargs
from core.errors import UserError
from core.i18n import note
from core.params import Bool, Data, Lines
from core.registry import Loader, Output, TaskSpec
from demos.text.common import one_or_many

# bounds of any table (TAPAS itself takes at most 255 rows, checked with the model's sizes)
MAX_ROWS, MAX_COLUMNS, MAX_CELL_CHARS = 1000, 64, 500
MAX_CSV_BYTES = 1_000_000


def _too_large(detail: str) -> UserError:
    return UserError("too_large", what="Table", detail=detail)


def table_of(value: Any) -> dict[str, list[str]]:
    """A table as {column: [cell, ...]} with every cell a string (TAPAS reads cells as text).

    Accepts a pandas DataFrame (the UI), {"headers", "data"} (gradio_client), {column: cells}, a list of
    row dicts, CSV text, or the path of a .csv file (the CLI). Empty rows are dropped. At most MAX_ROWS
    rows, MAX_COLUMNS columns and MAX_CELL_CHARS characters a cell.
    """
    import pandas as pd

    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise UserError("empty_input", what="Table")
        path = Path(text).expanduser()
        if "\n" not in text and path.suffix.lower() in (".csv", ".tsv", ".txt"):
            if not path.is_file():
                raise UserError("bad_file", what="Table", detail=f"no such file: {path}")
            if path.stat().st_size > MAX_CSV_BYTES:
                raise _too_large(f"{path.stat().st_size:,} bytes; at most {MAX_CSV_BYTES:,}")
            text = path.read_text(encoding="utf-8-sig")
        try:
            value = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=None, engine="python")
        except Exception as exc:
            raise UserError("bad_file", what="Table (CSV)", detail=str(exc).splitlines()[0]) from None
    elif isinstance(value, dict) and "headers" in value and "data" in value:
        value = pd.DataFrame(value["data"], columns=value["headers"])
    try:
        frame = value if isinstance(value, pd.DataFrame) else pd.DataFrame(value)
    except Exception as exc:
        raise UserError("bad_file", what="Table", detail=str(exc).splitlines()[0]) from None
    if frame.shape[0] > MAX_ROWS or frame.shape[1] > MAX_COLUMNS:
        raise _too_large(f"{frame.shape[0]:,} rows × {frame.shape[1]:,} columns; at most {MAX_ROWS} rows and "
                         f"{MAX_COLUMNS} columns")
    headers = [str(h).strip() for h in frame.columns]
    if not headers or any(not h for h in headers) or len(set(headers)) != len(headers):
        raise UserError("bad_param", name="table", detail="every column needs a header, and headers must differ")
    rows = [["" if cell is None or cell != cell else str(cell).strip() for cell in row]
            for row in frame.itertuples(index=False, name=None)]
    rows = [row for row in rows if any(row)]
    if not rows:
        raise UserError("empty_input", what="Table")
    long = max((len(cell) for cell in [*headers, *(c for row in rows for c in row)]), default=0)
    if long > MAX_CELL_CHARS:
        raise _too_large(f"a cell of {long:,} characters; at most {MAX_CELL_CHARS}")
    return {h: [row[i] for row in rows] for i, h in enumerate(headers)}


class Table(Data):
    """A table in any shape table_of reads, parsed to {column: [cell text]} (read once, for run, code and
    render alike)."""

    kind = "table"

    def parse(self, value: Any) -> dict[str, list[str]]:
        table = table_of(super().parse(value))
        if table:
            limits.check("table_cells", len(table) * len(next(iter(table.values()))), self.title)
        return table


def call_of(inputs: dict, params: dict) -> dict:
    """The pipeline's keyword arguments besides the table (parsed values)."""
    kwargs: dict[str, Any] = {"query": one_or_many(inputs["query"])}
    if params["sequential"]:
        kwargs["sequential"] = True
    return kwargs


TABLE_TRUNCATED = ("⚠️ The table is larger than the {limit} tokens the model reads: only its first {kept} of {total} "
                   "rows were used (TAPAS drops rows to fit, truncation=\"drop_rows_to_fit\").")
NO_CELLS = "(no cells selected)"
NO_AGGREGATION = "(this model has no aggregation head)"


def run(pipe, inputs: dict, params: dict) -> Output:
    """{"answer", "coordinates", "cells", "aggregator"} for one question, a list of them for several; a note
    when TAPAS dropped rows to fit the table into the tokens it reads."""
    import pandas as pd

    table, kwargs = inputs["table"], call_of(inputs, params)
    sizes = getattr(pipe.model.config, "type_vocab_sizes", None)
    if sizes:  # rows and numeric ranks are embeddings with sizes[1] / sizes[4] positions (256), 0 for the question
        most, rows, columns = min(sizes[1], sizes[4]) - 1, len(next(iter(table.values()))), len(table)
        if rows > most or columns > sizes[2] - 1:
            raise UserError("too_large", what="Table", detail=f"{rows} rows × {columns} columns; TAPAS takes at most "
                                                              f"{most} rows and {sizes[2] - 1} columns")
    output = pipe(table=table, **kwargs)
    frame = pd.DataFrame(table)
    encoded = pipe.tokenizer(table=frame, queries=inputs["query"][0], truncation="drop_rows_to_fit")
    row_ids = [types[2] for types in encoded["token_type_ids"]]  # TAPAS token type 2: the cell's row (1-based)
    kept, total = max(row_ids, default=0), len(frame)
    notes = ()
    if kept < total:
        notes = (note(TABLE_TRUNCATED, limit=pipe.tokenizer.model_max_length, kept=kept, total=total),)
    return Output(output, notes=notes)


TABLE_NOTE = ("TAPAS reads every cell as text: give strings (numbers as \"36542\"); with int cells (pandas'\n"
              "read_csv makes them) its tokenizer raises TypeError. The pipeline turns the dict into a DataFrame.")


def code(ref, inputs: dict, params: dict, place) -> str:
    kwargs = call_of(inputs, params)
    load = call_args("table-question-answering", model=ref.source, **source_kwargs(ref), **place_kwargs(place))
    lines = [f"# {line}" for line in TABLE_NOTE.splitlines()]
    lines += ["from transformers import pipeline", "", f"pipe = pipeline({load})", "table = {"]
    lines += [f"    {py(name)}: {py(cells)}," for name, cells in inputs["table"].items()]
    lines += ["}", f"result = pipe(table=table, {call_args(**kwargs)})", "print(result)"]
    return "\n".join(lines) + "\n"


NOTES_TABLE = {
    "Repository": ["Transformers", "Datasets", "Tokenizers"],
    "Stars": ["36542", "4512", "3934"],
    "Contributors": ["651", "77", "34"],
    "Programming language": ["Python", "Python", "Rust, Python and NodeJS"],
}
CITIES_TABLE = {  # TAPAS checkpoints read English only: no Korean table
    "City": ["Seoul", "Busan", "Incheon", "Daegu"],
    "Population": ["9386000", "3317000", "2997000", "2363000"],
    "Area (km2)": ["605", "770", "1067", "884"],
}


def styled_table(table: dict[str, list[str]], coordinates: list) -> Any:
    """The table as a pandas Styler with the answer's cells highlighted."""
    import pandas as pd

    frame = pd.DataFrame(table)
    used = {(int(r), int(c)) for r, c in coordinates}
    return frame.style.apply(lambda col: ["background-color: #fde047; font-weight: 600"
                                          if (i, frame.columns.get_loc(col.name)) in used else ""
                                          for i in range(len(col))])


def read_csv_upload(path: str | None):
    """The uploaded CSV as a DataFrame of strings for the table editor (an upload event of the editor, not a
    run)."""
    import gradio as gr
    import pandas as pd

    if not path:
        return gr.update()
    try:
        try:
            if Path(path).stat().st_size > MAX_CSV_BYTES:
                raise _too_large(f"{Path(path).stat().st_size:,} bytes; at most {MAX_CSV_BYTES:,}")
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError("bad_file", what="Table", detail=str(exc)) from None
        return pd.DataFrame(table_of(text))
    except UserError as err:
        raise gr.Error(err.text(), print_exception=False) from None


def build(ctx) -> None:
    """The table editor (with a CSV upload), the question, the model picker and sequential on the left; the
    answer, the aggregator and the table with the used cells highlighted on the right."""
    import gradio as gr
    import pandas as pd

    from core.i18n import say
    from core.ui import examples, model_picker, result_panels, widgets, wire

    tr = ctx.tr
    with gr.Row():
        with gr.Column(scale=3):
            table = gr.Dataframe(value=pd.DataFrame(NOTES_TABLE), label=tr("Table"), interactive=True,
                                 type="pandas", datatype="str", wrap=True, elem_id="table_question_answering_table")
            upload = gr.UploadButton(tr("Load a CSV file"), file_types=[".csv", ".tsv", ".txt"], size="sm",
                                     elem_id="table_question_answering_upload")
            fields = {"table": table, **widgets(ctx, TASK, "query")}
            model = model_picker(ctx, TASK)
            fields |= widgets(ctx, TASK, "sequential")
            run_button = gr.Button(tr("Run"), variant="primary", elem_id="table_question_answering_run")
            examples(ctx, [
                ["How many stars does the transformers repository have?", pd.DataFrame(NOTES_TABLE)],
                ["What is the total number of contributors?\nWhich repositories use Python?",
                 pd.DataFrame(NOTES_TABLE)],
                ["Which city has the largest population?", pd.DataFrame(CITIES_TABLE)],
            ], [fields["query"], table])
        with gr.Column(scale=2):
            answer = gr.Textbox(label=tr("Answer"), interactive=False, elem_id="table_question_answering_answer")
            aggregator = gr.Textbox(label=tr("Aggregator"), interactive=False,
                                    elem_id="table_question_answering_aggregator")
            cells = gr.Dataframe(label=tr("Cells used (highlighted)"), interactive=False, wrap=True,
                                 elem_id="table_question_answering_cells")
            per_query = gr.Dataframe(headers=["question", "answer", "aggregator", "cells"], label=tr("Per question"),
                                     visible=False, interactive=False, wrap=True,
                                     column_widths=["30%", "25%", "17%", "28%"],
                                     elem_id="table_question_answering_per_query")
    upload.upload(read_csv_upload, inputs=[upload], outputs=[table], api_visibility="private")
    panels = result_panels(ctx, TASK)

    def render(result) -> dict:
        results = [result.output] if isinstance(result.output, dict) else list(result.output)
        first = results[0]
        rows = [[q, r["answer"], r.get("aggregator", ""), ", ".join(map(str, r["cells"]))]
                for q, r in zip(result.inputs["query"], results)]
        return {
            answer: "\n".join(r["answer"] if r["cells"] else say(NO_CELLS) for r in results),
            aggregator: first.get("aggregator", say(NO_AGGREGATION)),
            cells: styled_table(result.inputs["table"], first["coordinates"]),
            per_query: gr.update(value=rows, visible=len(results) > 1),
        }

    wire(ctx, TASK, run_button.click, fields, model, render, panels, [answer, aggregator, cells, per_query])


TASK = TaskSpec(
    id="table-question-answering",
    title="Table question answering",
    loader=Loader.pipeline("table-question-answering"),
    default_model="google/tapas-base-finetuned-wtq",
    models=("google/tapas-large-finetuned-wtq", "google/tapas-base-finetuned-wikisql-supervised",
            "google/tapas-base-finetuned-sqa"),
    run=run,
    code=code,
    inputs=(
        Lines("query", label="Question", help="One question per line runs them as one batch", required=True,
              lines=2, max_items=64, max_chars=10_000),
        Table("table", label="Table", required=True, max_chars=MAX_CSV_BYTES),
    ),
    params=(
        Bool("sequential", False, help="Conversational models (SQA): questions in order, each after the last"),
    ),
    architectures=("TapasForQuestionAnswering",),
    description="Answer a question from a table: the cells it points to and an aggregation (SUM, COUNT...).",
    build=build,
)
