"""The CLI shares the app's code: `tasks` lists every task, `run` prints the raw JSON, errors exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

SENTENCE = "Hugging Face is the best thing since sliced bread!"


def cli(*args, stdin=None):
    env = dict(os.environ, PLAYGROUND_NO_WARMUP="1")
    return subprocess.run([sys.executable, "app.py", *args], cwd=ROOT, capture_output=True, text=True,
                          input=stdin, env=env, timeout=300)


def test_tasks_lists_every_task_with_its_local_models(tiny_root, tiny):
    out = cli("tasks", "--json", "--models-dir", str(tiny_root), "--offline")
    assert out.returncode == 0, out.stderr
    rows = {r["task"]: r for r in json.loads(out.stdout)}
    row = rows["text-classification"]
    assert row["tab"] == "text" and row["api_name"] == "/text_classification"
    assert "sentiment-analysis" in row["aliases"]
    assert str(tiny["bert-seqcls"]) in row["local_models"]
    assert row["default_model"] in row["local_models"], "offline, the default falls back to a local model"
    human = cli("tasks", "--models-dir", str(tiny_root))
    assert human.returncode == 0 and "text-classification" in human.stdout


def test_run_prints_the_same_json_as_the_ui(tiny, tiny_root, client):
    model = str(tiny["bert-seqcls"])
    out = cli("run", "sentiment-analysis", SENTENCE, "--model", model, "--offline", "--param", "top_k=2",
              "--models-dir", str(tiny_root))
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    ui = client.predict(SENTENCE, "", 2, "default", 1, model, api_name="/text_classification")
    raw = ui[3]  # label, table, notes, raw
    assert [d["label"] for d in printed] == [d["label"] for d in raw]
    assert [round(d["score"], 5) for d in printed] == [round(d["score"], 5) for d in raw]


def test_run_imports_no_gradio(tiny, tiny_root):
    """The CLI pays only for what a run needs: no gradio module is imported (python -X importtime lists every
    import on stderr)."""
    env = dict(os.environ, PLAYGROUND_NO_WARMUP="1")
    out = subprocess.run([sys.executable, "-X", "importtime", "app.py", "run", "text-classification", SENTENCE,
                          "--model", str(tiny["bert-seqcls"]), "--offline", "--models-dir", str(tiny_root)],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")]
    assert "transformers" in imported and "core.cli" in imported  # (importlib.import_module's are not listed)
    assert not [name for name in imported if name.split(".")[0] in ("gradio", "gradio_client", "core.ui")]
    assert "core.ui" not in imported


def test_run_imports_only_the_tab_of_its_task():
    """`run TASK` imports the tab whose folder holds TASK's file, not the others; an alias finds no file, and the
    command then discovers every tab (the same table as before)."""
    probe = ("import sys; from core.cli import tabs_for; tabs = tabs_for('text-classification'); "
             "print([t.id for t in tabs], sorted({m.split('.')[1] for m in sys.modules if m.startswith('demos.')}), "
             "tabs_for('sentiment-analysis'), tabs_for('no-such-task'))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["['text']", "['text']", "None", "None"]


def test_run_reads_stdin_and_params_as_inputs(tiny, tiny_root):
    out = cli("run", "text-classification", "-", "--model", str(tiny["bert-reranker"]), "--offline",
              "--models-dir", str(tiny_root),
              "--param", "text_pair=A man is eating food.", stdin="A man is eating pasta.\n")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert isinstance(result, list) and isinstance(result[0]["score"], float)


def test_errors_exit_2_with_one_line(tiny, tiny_root):
    cases = [
        (["run", "text-classification", "", "--model", str(tiny["bert-seqcls"]), "--offline",
          "--models-dir", str(tiny_root)], "Please give some input"),
        (["run", "no-such-task", "x"], "Unknown task no-such-task"),
        (["run", "text-classification", "x", "--model", "someone/not-here", "--offline"], "not available offline"),
        (["run", "text-classification", "x", "--param", "top_k=lots", "--offline"], "Invalid value for top_k"),
    ]
    for args, expected in cases:
        out = cli(*args)
        assert out.returncode == 2, (args, out.stderr)
        lines = [line for line in out.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and expected in lines[0], (args, out.stderr)
        assert "Traceback" not in out.stderr and out.stdout == ""


def test_global_options_go_before_or_after_the_subcommand(tiny_root, capsys):
    import app

    for argv in (["--models-dir", str(tiny_root), "--offline", "tasks", "--json"],
                 ["tasks", "--json", "--models-dir", str(tiny_root), "--offline"]):
        assert app.main(argv) == 0
        rows = {r["task"]: r for r in json.loads(capsys.readouterr().out)}
        assert any(str(tiny_root) in m for m in rows["text-classification"]["local_models"]), argv


def test_a_reader_that_goes_away_ends_the_command_quietly(tiny_root):
    """`python app.py tasks --json | head -1`: the pipe is closed before the first write, so every write fails;
    the command exits 141 (as SIGPIPE would) with nothing on stderr, not a BrokenPipeError traceback."""
    env = dict(os.environ, PLAYGROUND_NO_WARMUP="1")
    proc = subprocess.Popen([sys.executable, "app.py", "tasks", "--json", "--models-dir", str(tiny_root), "--offline"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    proc.stdout.close()  # the reader is gone before the command writes
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 141 and err == "", err
