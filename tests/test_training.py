"""core.training and core.train_worker: the data checks (one line per kind of bad data), the pack's MiniLM
fine-tuned on tests/data/train_topics*.csv (held-out accuracy well above chance, the saved folder run through
text-classification), the Code panel's script executed on a tiny model (the same weights as the app's run),
and the worker process: queue positions, cancel, a killed worker."""

from __future__ import annotations

import csv
import os
import signal
import time
from pathlib import Path

import pytest

from core import limits, training
from core.errors import UserError
from core.limits import Limits

DATA = Path(__file__).resolve().parent / "data"
TOPICS = str(DATA / "train_topics.csv")
TOPICS_EVAL = str(DATA / "train_topics_eval.csv")
LABELS = ["cooking", "sports", "weather"]
FAST = {"epochs": 1, "learning_rate": 1e-3, "batch_size": 8, "max_length": 16}


def write_csv(path: Path, rows, header=("text", "label")) -> str:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def request_for(manager, model: str, data, out: Path, params: dict, **spec) -> dict:
    """A worker request as TrainingQueue.check makes it (model resolved through the manager)."""
    ref, source = manager.source_of(model)
    return {"data": data.spec["data"], "eval": data.spec["eval"], "split": None, "eval_split": None,
            "text_column": data.spec["text_column"], "text_pair_column": data.spec["text_pair_column"],
            "label_column": data.spec["label_column"], "model": ref.display, "source": source,
            "params": training.PARAMS.parse(params), "output_dir": str(out), "use_cpu": True, **spec}


# ---- data ----------------------------------------------------------------------------------------------
def test_prepare_data_finds_labels_and_holds_out_a_stratified_share():
    data = training.prepare_data(TOPICS, eval_percent=25, seed=1)
    assert data.columns == ["text", "label"]
    assert data.label_names == LABELS
    assert data.train_rows + data.eval_rows == 120 and data.eval_rows == 30
    assert data.label_counts == {name: 30 for name in LABELS}  # stratified: 10 of each label held out
    assert data.eval_from == "percent" and len(data.preview) == 5 and set(data.preview[0]) == {"text", "label"}
    again = training.prepare_data(TOPICS, eval_percent=25, seed=1)
    assert again.eval["text"] == data.eval["text"]  # the seed fixes the split
    other = training.prepare_data(TOPICS, eval_percent=25, seed=2)
    assert other.eval["text"] != data.eval["text"]


def test_prepare_data_with_eval_file_pairs_and_other_formats(tmp_path):
    data = training.prepare_data(TOPICS, eval=TOPICS_EVAL)
    assert (data.train_rows, data.eval_rows, data.eval_from) == (120, 30, "file")
    rows = [{"premise": f"sentence {i}", "hypothesis": f"other {i}", "gold": i % 2} for i in range(12)]
    import pandas as pd

    pd.DataFrame(rows).to_parquet(tmp_path / "pairs.parquet")
    pd.DataFrame(rows).to_json(tmp_path / "pairs.jsonl", orient="records", lines=True)
    for name in ("pairs.parquet", "pairs.jsonl"):
        pairs = training.prepare_data(str(tmp_path / name), text_column="premise", text_pair_column="hypothesis",
                                      label_column="gold", eval_percent=25)
        assert pairs.label_names == ["0", "1"]  # numbers sort as numbers
        assert set(pairs.train.column_names) == {"text", "text_pair", "label"}


def test_a_saved_dataset_folder_with_class_labels_and_its_own_eval_split(tmp_path):
    import datasets

    features = datasets.Features({"sentence": datasets.Value("string"),
                                  "topic": datasets.ClassLabel(names=["zeta", "alpha"])})
    rows = {"sentence": [f"s{i}" for i in range(10)], "topic": [i % 2 for i in range(10)]}
    datasets.DatasetDict({"train": datasets.Dataset.from_dict(rows, features=features),
                          "validation": datasets.Dataset.from_dict(rows, features=features)}).save_to_disk(tmp_path / "ds")
    data = training.prepare_data(str(tmp_path / "ds"), text_column="sentence", label_column="topic",
                                 eval_split="validation")
    assert data.label_names == ["zeta", "alpha"]  # the ClassLabel's own order
    assert (data.train_rows, data.eval_rows, data.eval_from) == (10, 10, "split")
    with pytest.raises(UserError) as caught:
        training.prepare_data(str(tmp_path / "ds"), text_column="sentence", label_column="topic", eval_split="test")
    assert caught.value.key == "train_data" and "validation" in caught.value.text()
    rows["topic"][3] = -1  # a ClassLabel's "no label"
    datasets.Dataset.from_dict(rows, features=features).save_to_disk(tmp_path / "unlabelled")
    with pytest.raises(UserError) as caught:
        training.prepare_data(str(tmp_path / "unlabelled"), text_column="sentence", label_column="topic")
    assert caught.value.key == "train_missing" and "row 4" in caught.value.text()


def _bad(tmp_path, rows, **kwargs) -> UserError:
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(UserError) as caught:
        training.prepare_data(path, **kwargs)
    text = caught.value.text()
    assert "\n" not in text
    return caught.value


GOOD = [(f"text number {i}", "a" if i % 2 else "b") for i in range(12)]


def test_bad_data_gets_one_clear_line_each(tmp_path):
    assert _bad(tmp_path, [(f"t{i}", "same") for i in range(12)]).key == "train_one_class"
    missing = _bad(tmp_path, GOOD[:5] + [("", "a")] + GOOD[6:])
    assert missing.key == "train_missing" and "row 6" in missing.text()
    assert "'text'" in missing.text("ko") and "6행" in missing.text("ko")  # a column's name is never translated
    assert _bad(tmp_path, GOOD[:5] + [("fine", "")] + GOOD[6:]).key == "train_missing"
    assert _bad(tmp_path, GOOD[:5]).key == "train_few_rows"
    assert _bad(tmp_path, GOOD, label_column="topic").key == "train_column"
    with limits.active(Limits(train_text_chars=100)):
        long = _bad(tmp_path, GOOD[:3] + [("x" * 150, "a")] + GOOD[4:])
    assert long.key == "train_long_text" and "150" in long.text() and "--max-train-text-chars" in long.text()
    with limits.active(Limits(train_rows=10)):
        assert _bad(tmp_path, GOOD).key == "limit"
    eval_path = write_csv(tmp_path / "eval.csv", [("x", "a"), ("y", "c"), ("z", "d")])
    unseen = _bad(tmp_path, GOOD, eval=eval_path)
    assert unseen.key == "train_eval_labels" and "'c', 'd'" in unseen.text()
    (tmp_path / "broken.csv").write_text("text,label\na,b\nc,d,e\n")
    with pytest.raises(UserError) as caught:
        training.prepare_data(str(tmp_path / "broken.csv"))
    assert "broken.csv: Error tokenizing data" in caught.value.text() and str(tmp_path) not in caught.value.text()
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UserError) as caught:
        training.prepare_data(str(tmp_path / "notes.txt"))
    assert caught.value.key == "train_data" and ".csv" in caught.value.text()
    with pytest.raises(UserError) as caught:
        training.prepare_data("someone/dataset", offline=True)
    assert caught.value.key == "train_needs_hub"


def test_a_base_model_that_cannot_take_a_classification_head(pack_dir, tiny):
    with pytest.raises(UserError) as caught:
        training.check_base_model(str(pack_dir / "whisper-tiny.en"), "whisper-tiny.en")
    assert caught.value.key == "train_no_head" and "Whisper" in caught.value.text()
    with pytest.raises(UserError):
        training.check_base_model(str(pack_dir / "efficientnet_lite0"), "efficientnet_lite0")
    training.check_base_model(str(pack_dir / "all-MiniLM-L6-v2"), "MiniLM")  # a BertModel: a new head fits
    training.check_base_model(str(tiny["bert-seqcls"]), "bert-seqcls")  # another head: replaced


def test_params_are_declared_once_with_bounds():
    assert training.PARAMS.defaults()["epochs"] == training.PARAMS["epochs"].default
    with pytest.raises(UserError):
        training.PARAMS.parse({"learning_rate": "nan"})
    with limits.active(Limits(train_epochs=2)), pytest.raises(UserError) as caught:
        training.PARAMS.parse({"epochs": 3})
    assert "--max-train-epochs" in caught.value.text()
    with pytest.raises(UserError):
        training.output_dir(Path("/tmp"), "../escape")


# ---- the real fine-tune ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_minilm_learns_the_topics_and_the_folder_runs_as_text_classification(manager, pack_dir):
    from core.registry import all_tasks, discover

    out = manager.settings.trained_dir / "minilm-topics"
    data = training.prepare_data(TOPICS, eval=TOPICS_EVAL)
    params = {"epochs": 1, "learning_rate": 1e-4, "batch_size": 16, "max_length": 32}
    events = []
    result = training.train(request_for(manager, str(pack_dir / "all-MiniLM-L6-v2"), data, out, params), events.append)
    assert result["eval_accuracy"] >= 0.8 and result["eval_f1"] >= 0.8  # chance: 0.33
    assert result["labels"] == LABELS and len(result["confusion"]) == 3
    assert sum(map(sum, result["confusion"])) == 30
    assert len(result["wrong"]) == 30 - sum(result["confusion"][i][i] for i in range(3))
    assert [e for e in events if e["type"] == "loss"] and [e for e in events if e["type"] == "eval"]
    card = (out / "README.md").read_text()
    assert "base_model: sentence-transformers/all-MiniLM-L6-v2" in card and "train_topics.csv" in card
    _, task = all_tasks(discover())["text-classification"]
    listed = [m for m in manager.local_models(refresh=True) if m.path == out.resolve()]
    assert listed and listed[0].labels == tuple(LABELS)
    choices, _ = manager.choices(task)
    assert str(out.resolve()) in [value for _, value in choices]
    run = manager.run(task, str(out), {"text": ["Whisk the flour into the melted butter and bake it."]}, {})
    assert run.output[0]["label"] == "cooking"
    assert {r["label"] for r in run.output} == set(LABELS)


# ---- the Code panel's script -------------------------------------------------------------------------------
def test_the_training_script_reproduces_the_run(manager, tiny, tmp_path):
    """The script, executed, trains the same weights as the app's run (same seed, same data, same steps)."""
    import torch
    from safetensors.torch import load_file

    data = training.prepare_data(TOPICS, eval_percent=20, seed=5)
    params = {**FAST, "seed": 5, "warmup_ratio": 0.1, "weight_decay": 0.01}
    app_out = tmp_path / "app"
    result = training.train(request_for(manager, str(tiny["bert-seqcls"]), data, app_out, params))
    script = training.training_script(str(tiny["bert-seqcls"]), data, params, str(tmp_path / "script"))
    assert 'eval_strategy="epoch"' in script.replace("'", '"') and "load_metric(" not in script
    assert "map(tokenize, batched=True)" in script and "stratify_by_column" in script
    namespace: dict = {"__name__": "__main__"}
    exec(compile(script, "training_script.py", "exec"), namespace)  # noqa: S102 - the point of the test
    mine, theirs = load_file(app_out / "model.safetensors"), load_file(tmp_path / "script" / "model.safetensors")
    assert mine.keys() == theirs.keys()
    for name in mine:
        assert torch.allclose(mine[name], theirs[name], atol=1e-6), name
    metrics = namespace["trainer"].evaluate()
    assert metrics["eval_accuracy"] == pytest.approx(result["eval_accuracy"], abs=1e-4)


def test_lora_trains_adapters_and_saves_a_plain_folder(manager, tiny, tmp_path):
    from transformers import AutoModelForSequenceClassification

    data = training.prepare_data(TOPICS, eval_percent=20)
    out = tmp_path / "lora"
    result = training.train(request_for(manager, str(tiny["bert-seqcls"]), data, out, {**FAST, "lora": True}))
    assert result["labels"] == LABELS
    model = AutoModelForSequenceClassification.from_pretrained(out)  # merged: loads without peft
    assert model.config.id2label == dict(enumerate(LABELS))
    script = training.training_script(str(tiny["bert-seqcls"]), data, {**FAST, "lora": True}, str(out))
    assert "TaskType.SEQ_CLS" in script and "merge_and_unload" in script


# ---- the worker process and the queue ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def queue(settings, manager):
    from core.train_worker import TrainingQueue

    return TrainingQueue(settings, source=manager.source_of, on_done=lambda result: manager.local_models(refresh=True))


def test_worker_trains_queues_cancels_and_survives_a_killed_worker(queue, tiny, manager):
    model = str(tiny["bert-seqcls"])
    first = queue.submit({"model": model, "data": TOPICS, "eval": TOPICS_EVAL, "name": "tiny-first", "params": FAST})
    slow = queue.submit({"model": model, "data": TOPICS, "name": "tiny-slow",
                         "params": {**FAST, "epochs": 10, "batch_size": 1}})
    doomed = queue.submit({"model": model, "data": TOPICS, "name": "tiny-doomed", "params": FAST})
    end = time.monotonic() + 30
    while queue.status(first)["state"] == "queued" and time.monotonic() < end:  # the runner takes it
        time.sleep(0.01)
    assert queue.status(first)["position"] == 0 and queue.status(first)["state"] == "running"
    assert [queue.status(j)["position"] for j in (slow, doomed)] == [1, 2]
    queue.cancel(doomed)
    assert queue.status(doomed)["state"] == "cancelled" and queue.status(slow)["position"] == 1

    done = queue.wait(first, timeout=300)
    assert done["state"] == "done", done["error"]
    result = done["result"]
    assert result["labels"] == LABELS and result["eval_rows"] == 30
    assert len(result["confusion"]) == 3 and sum(map(sum, result["confusion"])) == 30
    assert done["loss"] and len(done["eval"]) == 1 and done["step"] == done["total_steps"]
    folder = Path(result["output_dir"])
    assert folder.parent == manager.settings.trained_dir and (folder / "README.md").is_file()
    assert any(m.path == folder for m in manager.local_models())  # listed for the pickers

    end = time.monotonic() + 300
    while queue.status(slow)["step"] < 2 and time.monotonic() < end:
        time.sleep(0.2)
    running = queue.status(slow)
    assert running["state"] == "running" and running["eta_s"] is not None and running["total_steps"] == 960
    queue.cancel(slow)
    assert queue.wait(slow, timeout=60)["state"] == "cancelled"
    assert not (manager.settings.trained_dir / "tiny-slow").exists()

    killed = queue.submit({"model": model, "data": TOPICS, "name": "tiny-killed", "params": FAST})
    while not (queue._current and queue._current[0].id == killed and queue._current[1].pid) \
            and time.monotonic() < end:
        time.sleep(0.05)
    os.kill(queue._current[1].pid, signal.SIGKILL)  # as the kernel's OOM killer would, here before it trains
    failed = queue.wait(killed, timeout=60)
    assert failed["state"] == "failed" and "out of memory" in failed["error"] and "\n" not in failed["error"]
    assert queue.error(killed).key == "train_crashed"
    assert [j["state"] for j in queue.jobs()] == ["done", "cancelled", "cancelled", "failed"]


def test_the_queue_refuses_bad_requests_at_once(queue, settings, manager, pack_dir, tiny, tmp_path):
    from dataclasses import replace

    from core.train_worker import TrainingQueue

    with pytest.raises(UserError) as caught:
        queue.submit({"model": str(pack_dir / "whisper-tiny.en"), "data": TOPICS})
    assert caught.value.key == "train_no_head"
    with pytest.raises(UserError) as caught:
        queue.submit({"model": "/etc", "data": TOPICS})
    assert caught.value.key == "not_local"
    with pytest.raises(UserError) as caught:
        queue.submit({"model": str(tiny["bert-seqcls"]), "data": write_csv(tmp_path / "one.csv", [("a", "x")] * 9)})
    assert caught.value.key == "train_one_class"
    guarded = TrainingQueue(settings, source=manager.source_of, roots=manager.data_roots)
    with pytest.raises(UserError) as caught:  # a typed path must not read the server's disk
        guarded.check({"model": str(tiny["bert-seqcls"]), "data": TOPICS})
    assert caught.value.key == "train_data" and "no such file" in caught.value.text()
    off = TrainingQueue(replace(settings, training=False), source=queue.source)
    with pytest.raises(UserError) as caught:
        off.submit({"model": str(tiny["bert-seqcls"]), "data": TOPICS})
    assert caught.value.key == "training_off"
    with pytest.raises(UserError):
        queue.status("nope")
