"""The Train tab through the live app and gradio_client: the data preview (columns, labels and counts), one-line
refusals of bad data, a tiny model trained end to end through /train and /train_status (the queue's worker
process), the trained folder in the Text classification picker and its run, a queued job cancelled, and the tab's drawings and
Korean catalog. The real MiniLM fine-tune is core.training's test; here the base model is a tiny random BERT."""

from __future__ import annotations

import json
import re
import time

import pytest

from demos.train import views

ROWS = [("what a wonderful, lovely film", "pos"), ("I loved every minute of it", "pos"),
        ("a delight from start to end", "pos"), ("great acting and a great story", "pos"),
        ("the best film this year", "pos"), ("happy, warm and funny", "pos"),
        ("a boring, dreadful mess", "neg"), ("I hated every minute of it", "neg"),
        ("dull from start to end", "neg"), ("awful acting and a silly story", "neg"),
        ("the worst film this year", "neg"), ("sad, cold and tedious", "neg"),
        ("charming and clever", "pos"), ("a joy to watch", "pos"), ("tiresome and flat", "neg"),
        ("a chore to sit through", "neg")]


def write_csv(path, rows, header=("text", "label")) -> str:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory) -> str:
    return write_csv(tmp_path_factory.mktemp("train_data") / "reviews.csv", ROWS, ("review", "sentiment"))


def train_args(data, model, **overrides) -> dict:
    from gradio_client import handle_file

    args = dict(data_file=handle_file(data) if data else None, dataset="", split="train", eval_file=None,
                eval_split="", text_column="review", text_pair_column="", label_column="sentiment", model=model,
                name="", epochs=1, learning_rate=1e-3, batch_size=4, max_length=32, weight_decay=0.0,
                warmup_ratio=0.0, seed=3, eval_each_epoch=True, save_each_epoch=False, lora=False, lora_r=8,
                eval_percent=25)
    args.update(overrides)
    return args


def wait_done(client, job: str, timeout: float = 240) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        *_, raw = client.predict(job, api_name="/train_status")
        if raw["state"] in ("done", "failed", "cancelled"):
            return raw
        time.sleep(0.5)
    raise AssertionError(f"job {job} did not finish: {raw}")


def test_preview_guesses_columns_and_counts_labels(client, data_csv):
    from gradio_client import handle_file

    text, pair, label, info, preview = client.predict(
        data_file=handle_file(data_csv), dataset="", split="train", eval_file=None, eval_split="",
        text_column="text", text_pair_column="", label_column="label", eval_percent=25, api_name="/train_data")
    assert (text["value"], label["value"], pair["value"]) == ("review", "sentiment", "")
    assert [c[0] if isinstance(c, (list, tuple)) else c for c in text["choices"]] == ["review", "sentiment"]
    assert "2 labels" in info and "`neg` 6" in info and "`pos` 6" in info  # 12 training rows, stratified
    assert "4 eval rows from a held-out 25% of the rows" in info
    assert preview["visible"] is True  # hidden until there are rows (no empty table with headers 1 2 3)
    assert preview["value"]["headers"] == ["review", "sentiment"] and len(preview["value"]["data"]) == 5


def test_a_typed_path_outside_the_servers_folders_is_refused(client, data_csv):
    """Only uploads and the model folders: the dataset box is no way to read the server's files."""
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="no such file or folder"):
        client.predict(data_file=None, dataset=data_csv, split="train", eval_file=None, eval_split="",
                       text_column="text", text_pair_column="", label_column="label", eval_percent=25,
                       api_name="/train_data")


@pytest.mark.parametrize("rows, expected", [
    ([(f"text {i}", "same") for i in range(12)], "holds one class only"),
    ([("a", "x"), ("", "y")] + [(f"t{i}", "xy"[i % 2]) for i in range(10)], "missing or empty values"),
    ([("a", "x"), ("b", "y"), ("c", "x")], "Too few rows to train"),
])
def test_bad_data_is_one_line(client, tiny, tmp_path, rows, expected):
    from gradio_client.exceptions import AppError

    data = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(AppError) as caught:
        client.predict(**train_args(data, str(tiny["bert-base"]), text_column="text", label_column="label"),
                       api_name="/train")
    assert expected in str(caught.value) and "\n" not in str(caught.value).strip()


def test_a_model_that_cannot_take_a_head_is_refused(client, tiny, data_csv, pack_dir):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="cannot take a text-classification head") as caught:
        client.predict(**train_args(data_csv, str(pack_dir / "whisper-tiny.en")), api_name="/train")
    assert "whisper-tiny.en (" in str(caught.value) and str(pack_dir) not in str(caught.value)  # its name only


def test_train_a_tiny_model_then_use_it(client, app, tiny, tiny_root, data_csv):
    """/train queues the job, /train_status follows it to the end: curve points, per-epoch eval, confusion over
    the eval rows, the saved folder; then the folder is a Text classification choice and runs there. Nothing
    the page gets names a server path: the script names the upload and the base model folder by their names,
    the status and summary name the trained folder as the pickers do."""
    from demos.text.text_classification import TASK

    job, _timer, line, code, *_ = client.predict(**train_args(data_csv, str(tiny["bert-base"]), name="tiny-reviews"),
                                                  api_name="/train")
    assert job and "Queued" in line
    assert re.search(r"eval_strategy=[\"']epoch", code) and "Trainer(" in code and "reviews.csv" in code
    assert 'MODEL = "bert-base"' in code and 'OUTPUT = "tiny-reviews"' in code
    assert "/tmp" not in code and str(tiny_root) not in code  # names, not the server's paths
    # a second job waits behind it with its place in the queue, and is cancelled there at once
    second, *_ = client.predict(**train_args(data_csv, str(tiny["bert-base"]), name="tiny-cancelled"),
                                api_name="/train")
    _timer, line, *_, raw = client.predict(second, api_name="/train_status")
    assert raw["state"] == "queued" and raw["position"] == 1 and "1 training run(s) ahead" in line
    assert "Cancelling" in client.predict(second, api_name="/train_cancel")
    assert client.predict(second, api_name="/train_status")[-1]["state"] == "cancelled"
    status = wait_done(client, job)
    assert status["state"] == "done", status
    result = status["result"]
    assert result["labels"] == ["neg", "pos"]
    confusion = result["confusion"]
    assert len(confusion) == 2 and all(len(r) == 2 for r in confusion)
    assert sum(map(sum, confusion)) == result["eval_rows"] == 4
    assert len(result["wrong"]) == sum(confusion[i][j] for i in range(2) for j in range(2) if i != j)
    assert 0.0 <= result["eval_accuracy"] <= 1.0 and 0.0 <= result["eval_f1"] <= 1.0
    assert status["loss"] and status["eval"] and status["eval"][-1]["epoch"] == pytest.approx(1.0)
    *_, summary, _wrong, _raw = client.predict(job, api_name="/train_status")
    assert "macro-F1" in summary and "`tiny-reviews`" in summary and "**tiny-reviews (local)**" in summary
    assert result["output_dir"] == "tiny-reviews" and status["model"] == "bert-base"
    folder = result["model_value"]  # what the pickers pass for it (their choices hold it already)
    shown = json.dumps([summary, {**status, "result": {**result, "model_value": None}}])
    assert "/tmp" not in shown and str(app.ctx.settings.trained_dir) not in shown and str(tiny_root) not in shown
    assert folder.startswith(str(app.ctx.settings.trained_dir))
    assert folder in [value for _, value in app.ctx.models.choices(TASK)[0]]
    label, *_ = client.predict(text="a lovely film", text_pair="", top_k=2, function_to_apply="default",
                               batch_size=1, model=folder, model_2="", model_3="",
                               api_name="/text_classification")
    assert {c["label"] for c in label["confidences"]} == {"neg", "pos"}


def test_the_script_names_a_dataset_folder_and_the_base_model_by_their_names(tiny, tmp_path):
    """A typed save_to_disk folder and a local base model: the Code panel names both folders, never their paths."""
    import datasets

    from core import training
    from demos.train.tab import script_names

    texts, labels = zip(*ROWS)
    rows = datasets.Dataset.from_dict({"text": list(texts), "label": list(labels)})
    datasets.DatasetDict({"train": rows}).save_to_disk(tmp_path / "reviews-ds")
    data = training.prepare_data(str(tmp_path / "reviews-ds"), eval_percent=25, seed=3)
    job = {"data": data.spec["data"], "eval": None, "model": str(tiny["bert-base"])}
    script = training.training_script(job["model"], data, {}, "mine", names=script_names(job, {}))
    assert 'load_from_disk("reviews-ds")["train"]' in script and 'MODEL = "bert-base"' in script
    assert str(tmp_path) not in script and str(tiny["bert-base"]) not in script


def test_status_of_an_unknown_job_is_one_line(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="no training job"):
        client.predict("nope", api_name="/train_status")


def test_drawings_follow_the_status():
    status = {"state": "running", "step": 5, "total_steps": 10, "epoch": 1.0, "eta_s": 75,
              "loss": [(1, 0.7), (2, 0.6)], "eval": [{"epoch": 1.0, "eval_accuracy": 0.5, "eval_f1": 0.4}]}
    assert "step 5 of 10" in views.progress(status) and "50%" in views.progress(status)
    assert "1:15" in views.progress(status)
    figure = views.curves(status)
    assert figure["data"][0]["y"] == [0.7, 0.6] and figure["data"][1]["y"] == [0.5]
    heat = views.confusion(["a", "b"], [[3, 1], [0, 2]])
    assert heat["data"][0]["z"] == [[3, 1], [0, 2]] and [n["text"] for n in heat["layout"]["annotations"]] == \
        ["3", "1", "0", "2"]
    assert "1 training run(s) ahead" in views.progress({"state": "queued", "position": 1})


def test_every_text_the_tab_shows_has_korean(settings, manager):
    """Build the tab alone: every label, help and text it passes through the translator has Korean."""
    import gradio as gr

    from core.i18n import Translator
    from core.ui import Context
    from demos.train import SPEC

    ctx = Context(settings=settings, models=manager, tr=Translator())
    with gr.Blocks():
        SPEC.build(ctx)
    missing = sorted(text for key, text in ctx.tr.en.items() if key not in ctx.tr.ko)
    assert len(ctx.tr.en) > 40 and not missing, missing


def test_every_text_the_tab_says_has_korean():
    """Texts made per request (say("...") in demos/train) are in the catalog too."""
    import ast
    from pathlib import Path

    from core.i18n import catalog

    said = set()
    for path in Path(views.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "say" and node.args \
                    and isinstance(node.args[0], ast.Constant):
                said.add(node.args[0].value)
    said |= {"eval accuracy", "eval macro-F1", *views.WRONG_HEADERS}  # said through a variable
    assert len(said) > 25
    assert not sorted(t for t in said if t not in catalog("ko"))


def test_training_switched_off_says_so(settings, manager):
    """--no-training: the tab is one line saying so, with no Train button and no training endpoints."""
    import dataclasses

    import gradio as gr

    from core.i18n import Translator, message
    from core.ui import Context
    from demos.train import SPEC

    off = dataclasses.replace(settings, training=False)
    ctx = Context(settings=off, models=manager, tr=Translator())
    with gr.Blocks() as demo:
        SPEC.build(ctx)
    shown = [b for b in demo.blocks.values() if isinstance(b, gr.components.Component)]
    assert [type(b).__name__ for b in shown] == ["Markdown"]
    assert list(ctx.tr.en.values()) == [message("training_off")] and "training_is_switched_off" in shown[0].value
    assert not demo.fns



def expect_empty_tab(page, hint: str) -> None:
    """The tab before data is chosen (tests/test_train_browser.py, both languages): the hint line, no empty
    preview table (gradio's headers 1 2 3), no raw JSON box, no result yet."""
    from playwright.sync_api import expect

    expect(page.locator("#train_labels")).to_contain_text(hint)
    for hidden in ("#train_preview", "#train_raw", "#train_wrong"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator("#train_summary")).to_have_text("")
