"""The `train` command's contract: `python app.py train text-classification --model M --data FILE [--eval FILE]
[--text-column] [--label-column] [--epochs] [--learning-rate] [--batch-size] [--seed] --output DIR` saves a
loadable folder and prints JSON with eval_accuracy, eval_f1, train_seconds and labels (one subprocess); bad
data is one line on stderr and exit 2 (in process, through app.main)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_training import LABELS, TOPICS, TOPICS_EVAL, write_csv

ROOT = Path(__file__).resolve().parent.parent


def test_train_command_saves_a_model_that_runs_as_text_classification(tiny, tiny_root, manager):
    from core.registry import all_tasks, discover

    out = manager.settings.trained_dir / "cli-topics"
    args = [sys.executable, "app.py", "train", "text-classification", "--model", str(tiny["bert-seqcls"]),
            "--models-dir", str(tiny_root), "--offline", "--data", TOPICS, "--eval", TOPICS_EVAL,
            "--text-column", "text", "--label-column", "label", "--epochs", "1", "--learning-rate", "1e-3",
            "--batch-size", "16", "--seed", "7", "--max-length", "16", "--output", str(out)]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # stdout holds the JSON alone
    assert {"eval_accuracy", "eval_f1", "train_seconds", "labels"} <= set(result)
    assert result["labels"] == LABELS and 0 <= result["eval_accuracy"] <= 1 and 0 <= result["eval_f1"] <= 1
    assert result["train_seconds"] > 0 and result["output_dir"] == str(out.resolve())
    assert "note: epoch 1" in done.stderr
    assert json.loads((out / "config.json").read_text())["id2label"] == {str(i): n for i, n in enumerate(LABELS)}
    _, task = all_tasks(discover())["text-classification"]
    run = manager.run(task, str(out), {"text": ["Snow is falling on the hills."]}, {"top_k": 3})
    assert {r["label"] for r in run.output} == set(LABELS)


@pytest.mark.parametrize("rows, key_text", [
    ([(f"t{i}", "same") for i in range(12)], "one class only"),
    ([(f"t{i}", "a" if i % 2 else "b") for i in range(4)], "Too few rows"),
    ([(f"t{i}" if i != 3 else "", "a" if i % 2 else "b") for i in range(12)], "missing or empty values"),
])
def test_bad_data_is_one_line_and_exit_2(tiny, tiny_root, tmp_path, capsys, rows, key_text):
    from app import main

    data = write_csv(tmp_path / "bad.csv", rows)
    code = main(["train", "text-classification", "--model", str(tiny["bert-seqcls"]), "--models-dir", str(tiny_root),
                 "--offline", "--data", data, "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and key_text in err and err.startswith("error: ") and "\n" not in err
    assert not (tmp_path / "out").exists()


def test_a_model_without_a_classification_head_is_one_line(pack_dir, tmp_path, capsys):
    from app import main

    code = main(["train", "text-classification", "--model", str(pack_dir / "whisper-tiny.en"), "--models-dir",
                 str(pack_dir), "--offline", "--data", TOPICS, "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "cannot take a text-classification head" in err and "\n" not in err
