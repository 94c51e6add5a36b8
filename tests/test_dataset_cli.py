"""The dataset CLI contract: `python app.py run TASK --dataset PATH_OR_HUB_ID [--split S] [--config C]
[--column NAME] [--batch-size N] [--limit K] --output FILE`: one row per input row, in order, with the input
column(s), `output` (the single run's JSON) and `error`; progress on stderr; exit 0, or 2 with one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import app
from core.cli import tabs_for
from core.jsonable import jsonable
from core.registry import all_tasks
from tests.conftest import ROOT

TEXTS = ["we love this film", "the plot was dull", "", "a fine day in paris", "terrible acting", "six"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_data")
    (folder / "reviews.csv").write_text("id,review\n" + "".join(f'{i},"{t}"\n' for i, t in enumerate(TEXTS)))
    (folder / "pairs.tsv").write_text("premise\thypothesis\n" + "".join(f"{t}\tit is good\n" for t in TEXTS[:3]))
    return folder


def single(manager, tiny, text: str, **params):
    spec = all_tasks(tabs_for("text-classification"))["text-classification"][1]
    return jsonable(manager.run(spec, str(tiny["bert-seqcls"]), {"text": text}, params).output)


def close(a, b, tol=1e-4) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tol) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, float):
        return abs(a - b) <= tol
    return a == b


def test_the_contract_through_a_subprocess(tiny, tiny_root, manager, data, tmp_path):
    out = tmp_path / "labels.jsonl"
    env = dict(os.environ, PLAYGROUND_NO_WARMUP="1")
    done = subprocess.run(
        [sys.executable, "app.py", "run", "text-classification", "--dataset", str(data / "reviews.csv"),
         "--column", "review", "--param", "top_k=1", "--batch-size", "2", "--limit", "5", "--output", str(out),
         "--model", str(tiny["bert-seqcls"]), "--models-dir", str(tiny_root), "--offline"],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == ""
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["review"] for r in rows] == [t or None for t in TEXTS[:5]], "one row per input row, in order"
    assert [set(r) for r in rows] == [{"review", "output", "error"}] * 5
    for r in rows:
        if r["review"]:
            assert r["error"] is None and close(r["output"], single(manager, tiny, r["review"], top_k=1))
    assert rows[2]["output"] is None and "empty" in rows[2]["error"], "a failing row is reported and the run goes on"
    assert "progress: 5/5 rows" in done.stderr and '"kind": "labels"' in done.stderr


def test_pairs_to_csv_and_parquet_in_process(tiny, tiny_root, manager, data, tmp_path, capsys):
    import pyarrow.parquet as pq

    common = ["--model", str(tiny["bert-seqcls"]), "--models-dir", str(tiny_root), "--offline"]
    for suffix in ("csv", "parquet"):
        out = tmp_path / f"pairs.{suffix}"
        assert app.main(["run", "text-classification", "--dataset", str(data / "pairs.tsv"), "--column",
                         "text=premise", "--column", "text_pair=hypothesis", "--output", str(out), *common]) == 0
        table = pq.read_table(out).to_pylist() if suffix == "parquet" else \
            __import__("datasets").load_dataset("csv", data_files=str(out), split="train").to_list()
        assert [r["hypothesis"] for r in table] == ["it is good"] * 3
        assert [bool(r["error"]) for r in table] == [False, False, True]
        spec = all_tasks(tabs_for("text-classification"))["text-classification"][1]
        expected = jsonable(manager.run(spec, str(tiny["bert-seqcls"]), {"text": TEXTS[0], "text_pair": "it is good"},
                                        {}).output)
        assert close(json.loads(table[0]["output"]), expected)
    assert "done: 3 rows" in capsys.readouterr().err


@pytest.mark.parametrize("args, needle", [
    (["--dataset", "{data}/reviews.csv"], "--output"),
    (["--dataset", "{data}/reviews.csv", "--output", "{tmp}/out.xlsx"], ".jsonl, .csv, .parquet"),
    (["--dataset", "{data}/missing.csv", "--output", "{tmp}/o.jsonl"], "not a dataset file"),
    (["--dataset", "someone/reviews", "--output", "{tmp}/o.jsonl"], "offline"),
    (["--dataset", "{data}/reviews.csv", "--column", "nope", "--output", "{tmp}/o.jsonl"], "no column nope"),
    (["--dataset", "{data}/reviews.csv", "--param", "top_k=0", "--output", "{tmp}/o.jsonl"], "top_k"),
    (["A text", "--dataset", "{data}/reviews.csv", "--output", "{tmp}/o.jsonl"], "either INPUT or --dataset"),
])
def test_a_run_that_cannot_start_exits_2_with_one_line(tiny, tiny_root, data, tmp_path, capsys, args, needle):
    argv = ["run", "text-classification", *[a.format(data=data, tmp=tmp_path) for a in args],
            "--model", str(tiny["bert-seqcls"]), "--models-dir", str(tiny_root), "--offline"]
    assert app.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and needle in err[0], err
    assert not (tmp_path / "o.jsonl").exists(), "nothing is written when the run cannot start"
