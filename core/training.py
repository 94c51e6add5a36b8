"""Fine-tuning a text classifier with the Trainer (transformers 5): parameters, data checks, the run, the
saved folder with its model card, and the script the Code panel shows.

No gradio here, and nothing heavy at import: datasets, torch and transformers are imported inside the
functions. The run itself happens in a worker process (core.train_worker) or, for the CLI, in process;
both call `train(request, emit, should_stop)`. `training_script` writes the same steps as a standalone
transformers 5 script (eval_strategy, metrics without datasets.load_metric), and `compute_metrics` is one
function shared by the run and the script.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import limits
from core.errors import UserError
from core.loading import is_inside
from core.params import Bool, Float, Int, fields

TASK = "text-classification"
MIN_ROWS = 8              # training rows, at least
WRONG_ROWS = 50           # eval rows it got wrong, kept for the result
PREVIEW_ROWS = 5
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
FORMATS = {".csv": ("csv", {}), ".tsv": ("csv", {"delimiter": "\t"}), ".jsonl": ("json", {}),
           ".json": ("json", {}), ".parquet": ("parquet", {})}

PARAMS = fields(
    Int("epochs", 3, 1, 50, label="Epochs", help="Passes over the training data", limit="train_epochs"),
    Float("learning_rate", 5e-5, 1e-6, 1e-2, step=1e-6, label="Learning rate",
          help="Step size of AdamW; 2e-5 to 5e-5 suits full fine-tuning, about 1e-3 suits LoRA"),
    Int("batch_size", 16, 1, 128, label="Batch size", help="Examples per training step"),
    Int("max_length", 128, 8, 512, label="Max length (tokens)", help="Longer texts are truncated",
        limit="tokens"),
    Float("weight_decay", 0.0, 0.0, 0.5, step=0.01, label="Weight decay", help="AdamW's weight decay"),
    Float("warmup_ratio", 0.0, 0.0, 0.5, step=0.01, label="Warmup ratio",
          help="Share of the steps over which the learning rate rises from 0 (warmup_steps below 1)"),
    Int("seed", 42, 0, 2**31 - 1, label="Seed", help="Seeds the new head, the shuffling and the held-out split"),
    Bool("eval_each_epoch", True, label="Evaluate each epoch", help="eval_strategy='epoch'"),
    Bool("save_each_epoch", False, label="Save a checkpoint each epoch", help="save_strategy='epoch'"),
    Bool("lora", False, label="LoRA (peft)", help="Train small adapter matrices instead of every weight"),
    Int("lora_r", 8, 1, 64, label="LoRA rank", help="Rank of the adapter matrices (with LoRA)"),
    Int("eval_percent", 20, 5, 50, label="Held-out share for eval (%)",
        help="Used when no eval file or eval split is given"),
)


# ---- data ------------------------------------------------------------------------------------------
@dataclass
class TrainData:
    """What was found in the data: its columns, the label names (in id order) and their counts in the
    training rows, the row counts, a few preview rows, and the prepared datasets (columns text, [text_pair],
    label as ids) with the spec that made them."""

    columns: list[str]
    label_names: list[str]
    label_counts: dict[str, int]
    train_rows: int
    eval_rows: int
    preview: list[dict]
    eval_from: str                        # "file", "split" or "percent"
    spec: dict = field(default_factory=dict)
    train: Any = field(default=None, repr=False, compare=False)
    eval: Any = field(default=None, repr=False, compare=False)

    def describe(self) -> dict:
        """JSON-ready summary (no datasets)."""
        return {"columns": self.columns, "label_names": self.label_names, "label_counts": self.label_counts,
                "train_rows": self.train_rows, "eval_rows": self.eval_rows, "preview": self.preview,
                "eval_from": self.eval_from}


def _bad(detail: str) -> UserError:
    return UserError("train_data", detail=detail)


def read_source(data: str, split: str | None = None, *, offline: bool = False, allowed_roots=None):
    """The datasets.Dataset of a CSV / TSV / JSON Lines / Parquet file, a save_to_disk folder (its `split`,
    train by default) or a Hub dataset id (its `split`). allowed_roots: folders a local path must lie in (None:
    any, for the CLI); a path outside them gets the message of a path that does not exist."""
    import datasets

    from core.datasets_run import is_saved_dataset

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity(datasets.logging.CRITICAL)  # it logs a bad file's path; the error says it
    text = str(data or "").strip()
    if not text:
        raise UserError("empty_input", what="Training data")
    path = Path(os.path.abspath(Path(text).expanduser()))
    if allowed_roots is not None and not any(is_inside(path, Path(os.path.abspath(r))) for r in allowed_roots):
        path = Path("/nonexistent") / path.name  # told apart from a missing path by nothing
    try:
        if path.is_file():
            kind = FORMATS.get(path.suffix.lower())
            if kind is None:
                raise _bad(f"{path.name}: use a .csv, .tsv, .jsonl or .parquet file")
            builder, options = kind
            return datasets.load_dataset(builder, data_files=str(path), split="train", **options)
        if path.is_dir():
            if not is_saved_dataset(path):
                raise _bad(f"{path.name} is not a dataset folder saved with save_to_disk")
            loaded = datasets.load_from_disk(str(path))
            return _pick_split(loaded, split, path.name)
        if text.startswith(("/", ".", "~")) or "\\" in text or text.count("/") > 1:
            raise _bad(f"no such file or folder: {text[:120]}")
        if offline:
            raise UserError("train_needs_hub", data=text[:120])
        return datasets.load_dataset(text, split=split or "train")
    except UserError:
        raise
    except Exception as exc:  # a malformed file, a missing split, a Hub failure: one line
        seen = {id(exc)}
        while (inner := exc.__cause__ or exc.__context__) is not None and id(inner) not in seen:
            exc = inner  # datasets wraps the reader's own message ("An error occurred while generating...")
            seen.add(id(exc))
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0].replace(str(path), path.name)
        raise _bad(f"{path.name if path.exists() else text[:80]}: {first[:200]}") from None


def _pick_split(loaded, split: str | None, name: str):
    if hasattr(loaded, "keys"):  # a DatasetDict
        wanted = split or ("train" if "train" in loaded else next(iter(loaded)))
        if wanted not in loaded:
            raise _bad(f"{name} has no split {wanted!r}; it has: {', '.join(loaded)}")
        return loaded[wanted]
    return loaded


def _label_text(value):
    """A label as text (1.0 -> '1')."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _quoted(name: str) -> str:
    """A column or label name as messages show it (quoted: the catalog must not translate a name)."""
    return f"'{name}'"


def _check_columns(ds, columns: dict[str, str | None], what: str) -> None:
    for column in columns.values():
        if column and column not in ds.column_names:
            raise UserError("train_column", what=what, column=_quoted(column),
                            columns=", ".join(map(_quoted, ds.column_names)))


def _check_values(ds, columns: dict[str, str | None], what: str) -> None:
    """Missing values in any used column; over-long texts."""
    limit = limits.current().train_text_chars
    for role, column in columns.items():
        if not column:
            continue
        values = ds[column]
        unlabelled = -1 if isinstance(ds.features[column], _class_label()) else None  # a ClassLabel's "no label"
        missing = [i for i, v in enumerate(values) if v is None or (isinstance(v, str) and not v.strip())
                   or (isinstance(v, float) and math.isnan(v)) or (unlabelled is not None and v == unlabelled)]
        if missing:
            raise UserError("train_missing", what=what, column=_quoted(column), count=len(missing),
                            row=missing[0] + 1)
        if role != "label":
            long = next(((i, len(v)) for i, v in enumerate(values) if isinstance(v, str) and len(v) > limit), None)
            if long is not None:
                raise UserError("train_long_text", what=what, column=_quoted(column), row=long[0] + 1,
                                chars=f"{long[1]:,}", limit=f"{limit:,.0f}")


def _standard(ds, columns: dict[str, str | None]):
    """ds with only the columns text, [text_pair] and label (as text: a ClassLabel's names), renamed."""
    keep = {column: role for role, column in columns.items() if column}
    ds = ds.select_columns(list(keep)).rename_columns({c: r for c, r in keep.items() if c != r})
    label = ds.features["label"]
    as_text = label.int2str if isinstance(label, _class_label()) else _label_text
    return ds.map(lambda b: {"label": [as_text(v) for v in b["label"]]}, batched=True,
                  features=_features(ds, "text_pair" in ds.column_names))


def _class_label():
    import datasets

    return datasets.ClassLabel


def _features(ds, pair: bool):
    import datasets

    spec = {"text": datasets.Value("string"), "label": datasets.Value("string")}
    if pair:
        spec["text_pair"] = datasets.Value("string")
    return datasets.Features({k: spec[k] for k in ds.column_names})


def _sorted_labels(values: list[str]) -> list[str]:
    unique = sorted(set(values))
    try:
        return sorted(unique, key=lambda v: float(v))
    except ValueError:
        return unique


def prepare_data(data: str, *, eval: str | None = None, text_column: str = "text",
                 text_pair_column: str | None = None, label_column: str = "label", split: str | None = None,
                 eval_split: str | None = None, eval_percent: int | None = None, seed: int | None = None,
                 offline: bool = False, allowed_roots=None) -> TrainData:
    """Read, check and prepare the data; UserError with one line on bad data. The eval rows come from the eval
    file, else the source's eval_split, else a stratified held-out share (eval_percent, seed). allowed_roots:
    see read_source (a server passes its roots: a typed path must not read the server's disk)."""
    eval_percent = PARAMS["eval_percent"].parse(eval_percent)
    seed = PARAMS["seed"].parse(seed)
    text_column = (text_column or "text").strip()
    label_column = (label_column or "label").strip()
    text_pair_column = (text_pair_column or "").strip() or None
    columns = {"text": text_column, "text_pair": text_pair_column, "label": label_column}
    if len({c for c in columns.values() if c}) < len([c for c in columns.values() if c]):
        raise _bad("the text, second text and label columns must differ")
    source = read_source(data, split, offline=offline, allowed_roots=allowed_roots)
    all_columns = list(source.column_names)
    _check_columns(source, columns, "Training data")
    class_names = None
    feature = source.features.get(label_column)
    if isinstance(feature, _class_label()):
        class_names = list(feature.names)
    if eval:
        held, eval_from = read_source(eval, None, offline=offline, allowed_roots=allowed_roots), "file"
    elif eval_split:
        held, eval_from = read_source(data, eval_split, offline=offline, allowed_roots=allowed_roots), "split"
    else:
        held, eval_from = None, "percent"
    limits.check("train_rows", len(source) + (len(held) if held is not None else 0), "Training and eval rows")
    _check_values(source, columns, "Training data")
    if held is not None:
        _check_columns(held, columns, "Eval data")
        _check_values(held, columns, "Eval data")
    train = _standard(source, columns)
    train_labels = train["label"]
    names = class_names if class_names else _sorted_labels(train_labels)
    present = set(train_labels)
    names = [n for n in names if n in present]
    if len(names) < 2:
        raise UserError("train_one_class", column=_quoted(label_column), label=_quoted((names or ["none"])[0]))
    limits.check("labels", len(names), "Labels")
    if held is not None:
        held = _standard(held, columns)
        unseen = sorted(set(held["label"]) - present)
        if unseen:
            raise UserError("train_eval_labels", labels=", ".join(map(_quoted, unseen[:10])))
    label2id = {n: i for i, n in enumerate(names)}
    train = _encode(train, names, label2id)
    if held is None:
        if len(train) < MIN_ROWS:
            raise UserError("train_few_rows", detail=f"{len(train)} rows; at least {MIN_ROWS}")
        counts = Counter(train["label"])
        if min(counts.values()) < 2:
            lonely = names[min(counts, key=counts.get)]
            raise UserError("train_few_rows", detail=f"the label {lonely} has one row; a held-out split needs "
                                                    "at least 2 of each label (or give an eval file)")
        try:
            split_ds = train.train_test_split(test_size=eval_percent / 100, seed=seed, stratify_by_column="label")
        except ValueError as exc:  # fewer held-out rows than labels
            raise UserError("train_few_rows", detail=f"{len(train)} rows cannot hold out {eval_percent}% with "
                                                    f"every one of {len(names)} labels ({exc})") from None
        train, held = split_ds["train"], split_ds["test"]
    else:
        held = _encode(held, names, label2id)
    if len(train) < MIN_ROWS:
        raise UserError("train_few_rows", detail=f"{len(train)} training rows; at least {MIN_ROWS}")
    if len(held) < 1:
        raise UserError("train_few_rows", detail="no eval rows")
    limits.check("train_rows", len(train) + len(held), "Training and eval rows")
    counts = Counter(train["label"])
    preview_rows = source.select(range(min(PREVIEW_ROWS, len(source)))).to_list()
    spec = {"data": str(data), "eval": str(eval) if eval else None, "split": split, "eval_split": eval_split,
            "text_column": text_column, "text_pair_column": text_pair_column, "label_column": label_column,
            "eval_percent": eval_percent, "seed": seed, "eval_from": eval_from}
    return TrainData(columns=all_columns, label_names=names,
                     label_counts={names[i]: counts.get(i, 0) for i in range(len(names))},
                     train_rows=len(train), eval_rows=len(held), preview=[_plain_row(r) for r in preview_rows],
                     eval_from=eval_from, spec=spec, train=train, eval=held)


def _encode(ds, names: list[str], label2id: dict[str, int]):
    import datasets

    features = ds.features.copy()
    features["label"] = datasets.ClassLabel(names=names)
    return ds.map(lambda b: {"label": [label2id[v] for v in b["label"]]}, batched=True, features=features)


def _plain_row(row: dict) -> dict:
    return {k: (v if isinstance(v, (str, int, float, bool)) or v is None else str(v)) for k, v in row.items()}


# ---- the base model ------------------------------------------------------------------------------
def check_base_model(source: str, display: str) -> None:
    """UserError("train_no_head") unless AutoModelForSequenceClassification can put a head on the model at
    source (a folder or a cached snapshot) and it has a tokenizer."""
    folder = Path(source)
    if not folder.is_dir():
        return  # a Hub id not downloaded yet: from_pretrained will tell
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError("train_no_head", model=display, kind="a folder without a config.json") from None
    from transformers.models.auto.modeling_auto import MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES

    model_type = str(config.get("model_type", ""))
    if model_type not in MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES:
        arch = (config.get("architectures") or [model_type or "unknown model"])[0]
        raise UserError("train_no_head", model=display, kind=arch)
    if not any((folder / f).exists() for f in ("tokenizer.json", "tokenizer_config.json", "vocab.txt",
                                                "vocab.json", "tokenizer.model")):
        raise UserError("train_no_head", model=display, kind=f"a {model_type} without a tokenizer")


def output_dir(trained_dir: Path, name: str) -> Path:
    """trained_dir/name for a valid name (letters, digits, . _ -; at most 64); name-2, name-3... when that
    folder already holds something."""
    name = (name or "").strip()
    if not NAME.fullmatch(name) or name in (".", ".."):
        raise UserError("train_name", name=name[:80])
    folder, n = Path(trained_dir) / name, 1
    while folder.exists() and any(folder.iterdir()):  # never over another job's model
        n += 1
        folder = Path(trained_dir) / f"{name}-{n}"
    return folder


# ---- metrics (shared with the script) ------------------------------------------------------------------
def compute_metrics(eval_pred):
    """Accuracy and macro-F1 from the eval logits, with numpy (datasets no longer has metrics)."""
    import numpy as np

    logits, labels = eval_pred
    predictions = np.argmax(logits, axis=-1)
    f1s = []
    for k in range(logits.shape[-1]):
        tp = np.sum((predictions == k) & (labels == k))
        fp = np.sum((predictions == k) & (labels != k))
        fn = np.sum((predictions != k) & (labels == k))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return {"accuracy": float(np.mean(predictions == labels)), "f1": float(np.mean(f1s))}


# ---- the run -------------------------------------------------------------------------------------
def warm() -> None:
    """Import what a run needs (a worker process does it before its job comes)."""
    import datasets  # noqa: F401
    import torch  # noqa: F401
    from transformers import AutoModelForSequenceClassification, Trainer  # noqa: F401



def _callback(emit: Callable[[dict], None], should_stop: Callable[[], bool], max_seconds: float, stopped: dict):
    from transformers import TrainerCallback

    class Progress(TrainerCallback):
        """Sends loss, eval metrics and progress to the parent; stops on cancel or at the time limit."""

        def on_train_begin(self, args, state, control, **kwargs):
            self.start = time.monotonic()
            emit({"type": "progress", "step": 0, "total_steps": state.max_steps, "epoch": 0.0, "elapsed": 0.0})

        def on_step_end(self, args, state, control, **kwargs):
            elapsed = time.monotonic() - self.start
            emit({"type": "progress", "step": state.global_step, "total_steps": state.max_steps,
                  "epoch": float(state.epoch or 0), "elapsed": elapsed})
            if should_stop():
                stopped["why"] = "cancel"
                control.should_training_stop = True
            elif elapsed > max_seconds:
                stopped["why"] = "time"
                control.should_training_stop = True

        def on_log(self, args, state, control, logs=None, **kwargs):
            logs = logs or {}
            if "loss" in logs:
                emit({"type": "loss", "step": state.global_step, "loss": float(logs["loss"])})

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            metrics = metrics or {}
            emit({"type": "eval", "epoch": round(float(state.epoch or 0), 4),
                  **{k: float(v) for k, v in metrics.items() if k in ("eval_loss", "eval_accuracy", "eval_f1")}})

    return Progress()


def _tokenized(data: TrainData, tokenizer, max_length: int):
    pair = "text_pair" in data.train.column_names

    def tokenize(batch):
        if pair:
            return tokenizer(batch["text"], batch["text_pair"], truncation=True, max_length=max_length)
        return tokenizer(batch["text"], truncation=True, max_length=max_length)

    return data.train.map(tokenize, batched=True), data.eval.map(tokenize, batched=True)


def _steps(train_rows: int, params: dict) -> int:
    return math.ceil(train_rows / params["batch_size"]) * params["epochs"]


def train(request: dict, emit: Callable[[dict], None] = lambda event: None,
          should_stop: Callable[[], bool] = lambda: False) -> dict:
    """Fine-tune request["source"] on request's data; saves into request["output_dir"] and returns the result
    (eval_accuracy, eval_f1, eval_loss, train_seconds, labels, confusion, wrong rows, output_dir...).
    request: source (a folder or Hub id from_pretrained takes), model (its display name), data spec keys
    (data, eval, split, eval_split, text_column, text_pair_column, label_column), params (parsed PARAMS),
    output_dir, offline, use_cpu, max_seconds."""
    import numpy as np
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        PrinterCallback,
        Trainer,
        TrainingArguments,
        set_seed,
    )
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    params = PARAMS.parse(request.get("params") or {})
    spec = request
    data = prepare_data(spec["data"], eval=spec.get("eval"), text_column=spec.get("text_column", "text"),
                        text_pair_column=spec.get("text_pair_column"), label_column=spec.get("label_column", "label"),
                        split=spec.get("split"), eval_split=spec.get("eval_split"),
                        eval_percent=params["eval_percent"], seed=params["seed"], offline=spec.get("offline", False))
    out = Path(request["output_dir"])
    emit({"type": "data", **data.describe()})
    source = request["source"]
    names = data.label_names
    tokenizer = AutoTokenizer.from_pretrained(source)
    if tokenizer.pad_token is None:  # GPT-2 style tokenizers: batches need padding
        tokenizer.pad_token = tokenizer.eos_token
    train_ds, eval_ds = _tokenized(data, tokenizer, params["max_length"])
    set_seed(params["seed"])  # the new head's random weights come from this seed
    model = AutoModelForSequenceClassification.from_pretrained(
        source, num_labels=len(names), id2label=dict(enumerate(names)), label2id={n: i for i, n in enumerate(names)},
        ignore_mismatched_sizes=True)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    if params["lora"]:
        from peft import LoraConfig, TaskType, get_peft_model

        model = get_peft_model(model, LoraConfig(task_type=TaskType.SEQ_CLS, r=params["lora_r"],
                                                 lora_alpha=2 * params["lora_r"], lora_dropout=0.1))
    steps = _steps(len(train_ds), params)
    args = TrainingArguments(**training_arguments(params, str(out / "checkpoints"), steps),
                             use_cpu=bool(request.get("use_cpu", True)), disable_tqdm=True,
                             dataloader_pin_memory=not request.get("use_cpu", True))
    stopped: dict = {}
    trainer = Trainer(model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds,
                      processing_class=tokenizer, data_collator=DataCollatorWithPadding(tokenizer),
                      compute_metrics=compute_metrics,
                      callbacks=[_callback(emit, should_stop, float(request.get("max_seconds") or math.inf), stopped)])
    trainer.remove_callback(PrinterCallback)  # it prints every log line on stdout (the CLI's JSON goes there)
    start = time.perf_counter()
    train_out = trainer.train()
    train_seconds = time.perf_counter() - start
    if stopped.get("why") == "cancel":
        _clean(out)
        return {"cancelled": True}
    prediction = trainer.predict(eval_ds)
    logits, label_ids = prediction.predictions, prediction.label_ids
    metrics = compute_metrics((logits, label_ids))
    predicted = np.argmax(logits, axis=-1)
    confusion = np.zeros((len(names), len(names)), dtype=int)
    for truth, guess in zip(label_ids, predicted):
        confusion[int(truth), int(guess)] += 1
    probs = _softmax(logits)
    wrong = []
    for i in np.nonzero(predicted != label_ids)[0][:WRONG_ROWS]:
        row = {"text": data.eval[int(i)]["text"]}
        if "text_pair" in data.eval.column_names:
            row["text_pair"] = data.eval[int(i)]["text_pair"]
        row.update(label=names[int(label_ids[i])], predicted=names[int(predicted[i])],
                   score=round(float(probs[i, predicted[i]]), 4))
        wrong.append(row)
    final = trainer.model.merge_and_unload() if params["lora"] else trainer.model
    out.mkdir(parents=True, exist_ok=True)
    final.save_pretrained(out)
    tokenizer.save_pretrained(out)
    if not params["save_each_epoch"]:  # the Trainer made the folder for checkpoints it never wrote
        _clean_checkpoints(out)
    result = {
        "eval_accuracy": round(metrics["accuracy"], 4),
        "eval_f1": round(metrics["f1"], 4),
        "eval_loss": round(float(prediction.metrics.get("test_loss", float("nan"))), 4),
        "train_loss": round(float(train_out.training_loss), 4),
        "train_seconds": round(train_seconds, 2),
        "examples_per_second": round(float(train_out.metrics.get("train_samples_per_second", 0.0)), 2),
        "epochs": round(float(trainer.state.epoch or 0), 3),
        "steps": int(trainer.state.global_step),
        "stopped": stopped.get("why"),
        "labels": names,
        "label_counts": data.label_counts,
        "train_rows": data.train_rows,
        "eval_rows": data.eval_rows,
        "confusion": confusion.tolist(),
        "wrong": wrong,
        "output_dir": str(out.resolve()),
        "model_value": str(out.resolve()),
    }
    write_card(out, request, data, params, result)
    return result


def _clean(out: Path) -> None:
    """Remove what a cancelled run left in its output folder (checkpoints), and the folder when it is empty."""
    _clean_checkpoints(out)
    try:
        out.rmdir()
    except OSError:
        pass


def _clean_checkpoints(out: Path) -> None:
    import shutil

    shutil.rmtree(out / "checkpoints", ignore_errors=True)


def _softmax(logits):
    import numpy as np

    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def training_arguments(params: dict, output_dir: str, steps: int) -> dict:
    """TrainingArguments' keyword arguments for these params (shared by the run and the script)."""
    return {
        "output_dir": output_dir,
        "num_train_epochs": params["epochs"],
        "learning_rate": params["learning_rate"],
        "per_device_train_batch_size": params["batch_size"],
        "per_device_eval_batch_size": params["batch_size"],
        "weight_decay": params["weight_decay"],
        "warmup_steps": params["warmup_ratio"],  # transformers 5: a float below 1 is a share of the steps
        "seed": params["seed"],
        "eval_strategy": "epoch" if params["eval_each_epoch"] else "no",
        "save_strategy": "epoch" if params["save_each_epoch"] else "no",
        "logging_strategy": "steps",
        "logging_steps": max(1, steps // 50),
        "report_to": "none",
    }


# ---- the model card ------------------------------------------------------------------------------------
def base_model_name(source: str) -> str:
    """The Hub id a folder is a copy of (the offline pack's pack.json), else the folder's name or the id."""
    folder = Path(source)
    try:
        hub_id = json.loads((folder / "pack.json").read_text(encoding="utf-8")).get("hub_id")
        if hub_id:
            return str(hub_id)
    except (OSError, ValueError, AttributeError):
        pass
    return folder.name if folder.is_dir() else source


def write_card(out: Path, request: dict, data: TrainData, params: dict, result: dict) -> None:
    """README.md (a model card: data, parameters, metrics) and training.json beside the saved model."""
    base = base_model_name(request["source"])
    data_name = Path(str(data.spec["data"])).name
    eval_line = {"file": f"the file {Path(str(data.spec['eval'])).name}",
                 "split": f"the split {data.spec['eval_split']}",
                 "percent": f"a stratified {data.spec['eval_percent']}% held out (seed {data.spec['seed']})"}
    counts = ", ".join(f"{k} {v}" for k, v in data.label_counts.items())
    rows = "\n".join(f"| {k} | {v} |" for k, v in params.items())
    card = f"""---
library_name: transformers
pipeline_tag: text-classification
base_model: {base}
tags:
- text-classification
- transformers-playground
---

# {out.name}

{base} fine-tuned for text classification with the Trainer in the Transformers Playground.

## Data

- training data: {data_name} ({data.train_rows} rows; text column `{data.spec['text_column']}`{
    f", second text `{data.spec['text_pair_column']}`" if data.spec['text_pair_column'] else ""
}, label column `{data.spec['label_column']}`)
- labels ({len(data.label_names)}): {counts}
- eval: {data.eval_rows} rows from {eval_line[data.eval_from]}

## Parameters

| parameter | value |
|---|---|
{rows}

## Results on the eval rows

| metric | value |
|---|---|
| accuracy | {result['eval_accuracy']} |
| macro F1 | {result['eval_f1']} |
| eval loss | {result['eval_loss']} |
| training loss | {result['train_loss']} |
| training time | {result['train_seconds']} s |

## Use it

```python
from transformers import pipeline

classifier = pipeline("text-classification", model="{out.name}")
print(classifier("Your text here"))
```
"""
    (out / "README.md").write_text(card, encoding="utf-8")
    info = {"base_model": base, "task": TASK, "params": params, "labels": data.label_names,
            "data": {k: (Path(v).name if k in ("data", "eval") and v else v) for k, v in data.spec.items()},
            "metrics": {k: result[k] for k in ("eval_accuracy", "eval_f1", "eval_loss", "train_loss",
                                                "train_seconds")}}
    (out / "training.json").write_text(json.dumps(info, indent=2), encoding="utf-8")


# ---- the Code panel ------------------------------------------------------------------------------------
def _loader_line(path: str | None, split: str | None, shown: str | None = None) -> str:
    """The line that loads the data at path (a file, a save_to_disk folder or a Hub id), naming it shown."""
    text, shown = str(path), str(shown or path)
    suffix = Path(text).suffix.lower()
    if suffix in FORMATS:
        builder, options = FORMATS[suffix]
        extra = "".join(f", {k}={_py(v)}" for k, v in options.items())
        return f'load_dataset("{builder}", data_files={_py(shown)}, split="train"{extra})'
    if Path(text).is_dir():
        return f"load_from_disk({_py(shown)})[{_py(split or 'train')}]"
    return f"load_dataset({_py(shown)}, split={_py(split or 'train')})"


def _py(value: Any) -> str:
    """value as Python source, strings in double quotes."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_py(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_py(k)}: {_py(v)}" for k, v in value.items()) + "}"
    return repr(value)


def training_script(base_model: str, data: TrainData, params: dict, output_dir: str,
                    names: dict[str, str] | None = None) -> str:
    """The whole transformers 5 script that reproduces the run: data, labels, tokenizing with map(batched=True),
    the new head, TrainingArguments(eval_strategy=...), compute_metrics without load_metric, Trainer.train(),
    the saved folder. names: what to show instead of the server's paths ({path: name}: an upload's own name, a
    folder's name), for the data and the base model."""
    params = PARAMS.parse(params)
    spec = data.spec
    names = names or {}
    shown = {k: names.get(str(spec[k]), str(spec[k])) if spec.get(k) else None for k in ("data", "eval")}
    columns = {spec["text_column"]: "text", spec["label_column"]: "label"}
    if spec["text_pair_column"]:
        columns[spec["text_pair_column"]] = "text_pair"
    keep = [c for c in columns]
    renames = {c: r for c, r in columns.items() if c != r}
    uses_disk = any(Path(str(v)).is_dir() for v in (spec["data"],) if v)
    hub_id = base_model_name(base_model)
    model_line = f"MODEL = {_py(base_model)}"
    if hub_id != base_model and "/" in hub_id and (Path(base_model) / "pack.json").is_file():
        model_line = f"MODEL = {_py(hub_id)}  # the app trained its offline copy of this model"
        base_model = hub_id
    elif base_model in names:  # a folder on the server: named as the model pickers show it
        model_line = (f"MODEL = {_py(names[base_model])}  # the app's folder {names[base_model]} (local): "
                      "put your copy of the model here, or a Hub id")
        base_model = names[base_model]
    lines = [
        f"# Fine-tune {base_model} for text classification with the Trainer (transformers 5).",
        f"from datasets import ClassLabel{', load_dataset' if not uses_disk or spec.get('eval') else ''}"
        f"{', load_from_disk' if uses_disk else ''}",
        "from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding,",
        "                          Trainer, TrainingArguments, set_seed)",
    ]
    if params["lora"]:
        lines.append("from peft import LoraConfig, TaskType, get_peft_model")
    lines += [
        "",
        model_line,
        f"OUTPUT = {_py(output_dir)}",
        f"LABELS = {_py(data.label_names)}",
        "label2id = {name: i for i, name in enumerate(LABELS)}",
        "",
        "",
        "def prepare(ds):",
        '    """Keep the text and label columns, named text / label, with the labels as ids."""',
        f"    ds = ds.select_columns({_py(keep)})",
    ]
    if renames:
        lines.append(f"    ds = ds.rename_columns({_py(renames)})")
    lines += [
        "    label = ds.features[\"label\"]",
        "    as_text = label.int2str if isinstance(label, ClassLabel) else _label_text  # ids of a Hub dataset: names",
        "    features = ds.features.copy()",
        "    features[\"label\"] = ClassLabel(names=LABELS)",
        "    return ds.map(lambda b: {\"label\": [label2id[as_text(v)] for v in b[\"label\"]]}, batched=True,",
        "                  features=features)",
        "",
        "",
        inspect.getsource(_label_text).rstrip(),
        "",
        "",
        f"train_data = prepare({_loader_line(spec['data'], spec['split'], shown['data'])})",
    ]
    if spec["eval_from"] == "file":
        lines.append(f"eval_data = prepare({_loader_line(spec['eval'], None, shown['eval'])})")
    elif spec["eval_from"] == "split":
        lines.append(f"eval_data = prepare({_loader_line(spec['data'], spec['eval_split'], shown['data'])})")
    else:
        lines += [
            f"# {params['eval_percent']}% of the rows held out for evaluation, the same share of every label",
            f"split = train_data.train_test_split(test_size={params['eval_percent'] / 100!r}, seed={params['seed']}, "
            "stratify_by_column=\"label\")",
            "train_data, eval_data = split[\"train\"], split[\"test\"]",
        ]
    pair = ", batch[\"text_pair\"]" if spec["text_pair_column"] else ""
    steps = _steps(data.train_rows, params)
    arguments = training_arguments(params, output_dir + "/checkpoints", steps)
    arguments["output_dir"] = "OUTPUT_CHECKPOINTS"
    args_text = "\n".join(f"    {k}={_py(v)}," + ("  # below 1: a share of the steps (4.x: warmup_ratio)"
                                                    if k == "warmup_steps" and v else "")
                          for k, v in arguments.items()).replace('"OUTPUT_CHECKPOINTS"', 'OUTPUT + "/checkpoints"')
    lines += [
        "",
        "tokenizer = AutoTokenizer.from_pretrained(MODEL)",
        "if tokenizer.pad_token is None:",
        "    tokenizer.pad_token = tokenizer.eos_token",
        "",
        "",
        "def tokenize(batch):",
        f"    return tokenizer(batch[\"text\"]{pair}, truncation=True, max_length={params['max_length']})",
        "",
        "",
        "train_data = train_data.map(tokenize, batched=True)",
        "eval_data = eval_data.map(tokenize, batched=True)",
        "",
        f"set_seed({params['seed']})  # the new head's random weights",
        "model = AutoModelForSequenceClassification.from_pretrained(",
        "    MODEL, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)), label2id=label2id,",
        "    ignore_mismatched_sizes=True)  # a new head, even where the model had another",
        "if model.config.pad_token_id is None:",
        "    model.config.pad_token_id = tokenizer.pad_token_id",
    ]
    if params["lora"]:
        lines += [
            f"model = get_peft_model(model, LoraConfig(task_type=TaskType.SEQ_CLS, r={params['lora_r']}, "
            f"lora_alpha={2 * params['lora_r']}, lora_dropout=0.1))",
            "model.print_trainable_parameters()",
        ]
    lines += [
        "",
        "",
        inspect.getsource(compute_metrics).rstrip(),
        "",
        "",
        "args = TrainingArguments(",
        args_text,
        ")",
        "trainer = Trainer(model=model, args=args, train_dataset=train_data, eval_dataset=eval_data,",
        "                  processing_class=tokenizer, data_collator=DataCollatorWithPadding(tokenizer),",
        "                  compute_metrics=compute_metrics)",
        "trainer.train()",
        "print(trainer.evaluate())",
        "",
    ]
    if params["lora"]:
        lines.append("model = trainer.model.merge_and_unload()  # the adapters folded into the weights")
    else:
        lines.append("model = trainer.model")
    lines += [
        "model.save_pretrained(OUTPUT)",
        "tokenizer.save_pretrained(OUTPUT)",
        "",
        "# then: pipeline(\"text-classification\", model=OUTPUT)",
    ]
    return "\n".join(lines) + "\n"


# ---- the CLI: python app.py train text-classification ... ----------------------------------------------
def add_cli_options(parser) -> None:
    """The `train` subcommand's options: the data spec, the output, and one option per PARAMS field."""
    import argparse

    parser.add_argument("task", choices=(TASK,), help="what to train (text-classification)")
    parser.add_argument("--model", required=True, help="the base model: Hub id or local folder")
    parser.add_argument("--data", required=True,
                        help="training data: a .csv/.tsv/.jsonl/.parquet file, a save_to_disk folder or a Hub dataset id")
    parser.add_argument("--eval", help="eval data file (default: --eval-split, else a held-out share)")
    parser.add_argument("--split", help="the data's split to train on (Hub datasets and dataset folders; train)")
    parser.add_argument("--eval-split", help="the data's split to evaluate on")
    parser.add_argument("--text-column", default="text", help="column with the texts (text)")
    parser.add_argument("--text-pair-column", help="column with the second texts, for sentence pairs")
    parser.add_argument("--label-column", default="label", help="column with the labels (label)")
    parser.add_argument("--output", required=True, metavar="DIR", help="folder to save the trained model into")
    for name, f in PARAMS.items():
        flag = "--" + name.replace("_", "-")
        text = f"{f.help} (default {f.default})" if f.help else f"default {f.default}"
        if isinstance(f, Bool):
            parser.add_argument(flag, dest=f"param_{name}", action=argparse.BooleanOptionalAction, default=None,
                                help=text)
        else:
            parser.add_argument(flag, dest=f"param_{name}", default=None, metavar="N", help=text)


def run_cli(manager, args) -> int:
    """Train as the CLI's arguments say, in this process; prints the result as JSON on stdout and one line per
    evaluation on stderr. Bad input: one line on stderr, exit 2."""
    import sys

    settings = manager.settings
    try:
        with limits.active(settings.limits):
            params = PARAMS.parse({n: getattr(args, f"param_{n}") for n in PARAMS
                                   if getattr(args, f"param_{n}", None) is not None})
            ref, source = manager.source_of(args.model)
            check_base_model(source, ref.display)
            data = prepare_data(args.data, eval=args.eval, text_column=args.text_column,
                                text_pair_column=args.text_pair_column, label_column=args.label_column,
                                split=args.split, eval_split=args.eval_split, eval_percent=params["eval_percent"],
                                seed=params["seed"], offline=settings.offline)
            request = {**{k: data.spec[k] for k in ("data", "eval", "split", "eval_split", "text_column",
                                                    "text_pair_column", "label_column")},
                       "model": ref.display, "source": source, "params": params,
                       "output_dir": str(Path(args.output).expanduser().resolve()), "offline": settings.offline,
                       "use_cpu": settings.device in ("cpu", "auto") and not _cuda(), "max_seconds": settings.limits.train_seconds}

            def tell(event: dict) -> None:
                if event.get("type") == "eval":
                    shown = ", ".join(f"{k} {v:.4f}" for k, v in event.items() if k.startswith("eval_"))
                    print(f"note: epoch {event['epoch']:g}: {shown}", file=sys.stderr, flush=True)

            result = train(request, tell)
    except UserError as err:
        print(f"error: {err.text()}", file=sys.stderr)
        return 2
    except Exception as exc:  # a failure inside the Trainer: one line, as the other commands do
        from core.errors import explain

        print(f"error: {explain(exc, model=args.model, task=TASK).text()}", file=sys.stderr)
        return 2
    if result.get("stopped") == "time":
        print(f"note: stopped at the time limit ({settings.limits.train_seconds:g} s; --max-train-seconds)",
              file=sys.stderr)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()
