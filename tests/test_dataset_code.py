"""The dataset Code panel (core.dataset_code): the snippet it shows runs as printed and writes what the app's
dataset run wrote, for a pipeline task (KeyDataset, batch_size) and an AutoClass task (its batched loop)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os

import pytest

from core.dataset_code import Plan, Where, dataset_code
from demos.text.summarization import TASK as SUMMARIZATION
from demos.text.text_classification import TASK as TEXT_CLASSIFICATION
from demos.text.token_classification import TASK as NER

TEXTS = ["I love this movie.", "I hate this film.", "The weather is calm.", "Hugging Face is great!",
         "A long review of a short film, and more words.", "짧은 한국어 문장."]


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reviews")
    with open(folder / "reviews.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "review"])
        writer.writerows([i, t] for i, t in enumerate(TEXTS))
    return folder


def app_rows(manager, task, model, path, column, params, batch_size, limit=None):
    """The app's own dataset run (core.datasets_run) of the same rows: its output column, row by row."""
    from core.datasets_run import open_source, run_dataset

    source = open_source(str(path), offline=True)
    rows: list[dict] = []
    try:
        run_dataset(manager, task, model, source, columns={task.inputs.first: column}, params=params,
                    batch_size=batch_size, limit=limit, sink=rows.extend)
    finally:
        source.close()
    return rows


def executed(snippet: str, folder) -> list[dict]:
    """Run the snippet as a student would, in the folder that holds the data; the JSON Lines it wrote."""
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(snippet, "<snippet>", "exec"), {"__name__": "__main__"})
        with open(folder / "results.jsonl", encoding="utf-8") as f:
            return [json.loads(line) for line in f]
    finally:
        os.chdir(cwd)


def scores(output) -> list[tuple[str, float]]:
    items = output if isinstance(output, list) else [output]
    return [(d["label"], d["score"]) for d in items]


def test_pipeline_snippet_is_keydataset_with_the_runs_arguments_and_writes_the_apps_outputs(manager, tiny, reviews):
    model = str(tiny["bert-seqcls"])
    params = {"top_k": 2, "function_to_apply": "softmax"}
    snippet = dataset_code(TEXT_CLASSIFICATION, manager.resolve(model), manager.place, Where("file", "reviews.csv"),
                           Plan("review", batch_size=4, limit=5), params)
    assert "KeyDataset(ds, 'review')" in snippet and "batch_size=4" in snippet
    assert "top_k=2" in snippet and "function_to_apply='softmax'" in snippet
    assert "load_dataset('csv', data_files='reviews.csv'" in snippet and "range(min(5, len(ds)))" in snippet
    printed = executed(snippet, reviews)
    shown = app_rows(manager, TEXT_CLASSIFICATION, model, reviews / "reviews.csv", "review", params, 4, limit=5)
    assert [r["review"] for r in printed] == TEXTS[:5] == [r["review"] for r in shown]
    for mine, app in zip(printed, shown):
        assert [label for label, _ in scores(mine["output"])] == [label for label, _ in scores(app["output"])]
        assert [s for _, s in scores(mine["output"])] == pytest.approx([s for _, s in scores(app["output"])], abs=1e-5)


def test_ner_snippet_keeps_aggregation_and_writes_the_apps_entities(manager, tiny, reviews):
    model = str(tiny["bert-tokcls"])
    params = {"aggregation_strategy": "first"}
    snippet = dataset_code(NER, manager.resolve(model), manager.place, Where("file", "reviews.csv"),
                           Plan("review", batch_size=2), params)
    assert "aggregation_strategy='first'" in snippet
    printed = executed(snippet, reviews)
    shown = app_rows(manager, NER, model, reviews / "reviews.csv", "review", params, 2)
    assert len(printed) == len(TEXTS) == len(shown)
    for mine, app in zip(printed, shown):
        assert [(e["entity_group"], e["word"]) for e in mine["output"]] == \
            [(e["entity_group"], e["word"]) for e in app["output"]]


def test_autoclass_snippet_runs_the_tasks_batched_loop_over_the_column(manager, tiny, reviews):
    """Summarization (no pipeline in transformers 5): the task's own batched generate loop over the column."""
    model = str(tiny["bart-seq2seq"])
    params = {"max_new_tokens": 6, "num_beams": 1, "batch_size": 3}
    snippet = dataset_code(SUMMARIZATION, manager.resolve(model), manager.place, Where("file", "reviews.csv"),
                           Plan("review", batch_size=3, limit=4), params)
    assert "[row['review'] for row in ds]" in snippet and "batch_size=3" in snippet and "pipe = pipeline(" not in snippet
    printed = executed(snippet, reviews)
    shown = app_rows(manager, SUMMARIZATION, model, reviews / "reviews.csv", "review", params, 3, limit=4)
    # the app's row holds a single run's JSON (a list of one summary); the loop's output is that summary
    assert [r["output"]["summary_text"] for r in printed] == [r["output"][0]["summary_text"] for r in shown]
    assert len(printed) == 4


def test_sources_load_the_way_datasets_reads_them():
    """Each kind of source is loaded as the notes do: files by their loader, folders as imagefolder/audiofolder,
    save_to_disk folders, a streamed Hub dataset through a generator (an IterableDataset has no ds[i])."""
    from types import SimpleNamespace

    ref = SimpleNamespace(source="owner/model", revision=None)
    place = SimpleNamespace(device="cpu", dtype="float32", device_map=None)
    code = lambda where: dataset_code(TEXT_CLASSIFICATION, ref, place, where, Plan("text", limit=10), {})  # noqa: E731
    assert "load_dataset('csv', data_files='a.tsv', split='train', delimiter='\\t')" in code(Where("file", "a.tsv"))
    assert "load_dataset('json', data_files='a.jsonl'" in code(Where("file", "a.jsonl"))
    assert "load_dataset('text', data_files='a.txt'" in code(Where("file", "a.txt"))
    assert "load_from_disk('saved')" in code(Where("disk", "saved"))
    hub = code(Where("hub", "PolyAI/minds14", config="en-US", split="train", streaming=True))
    assert "load_dataset('PolyAI/minds14', name='en-US', split='train', streaming=True)" in hub
    assert "ds.take(10)" in hub and "def items():" in hub and "pipe(items(), batch_size=8" in hub
    compile(hub, "<snippet>", "exec")
